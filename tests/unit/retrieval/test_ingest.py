import json

import pytest

from retrieval.ingest import CatalogError, CatalogMapping, load_mapping, read_catalog

MAPPING = CatalogMapping(
    name="t", format="csv", path="x.csv", currency="INR",
    fields={"id": "pid", "name": "title", "brand": "maker", "category": ["cat", "sub"], "price": "price", "rating": "stars"},
    attributes={"colour": "colour"},
)

GOOD_AND_BAD = (
    "pid,title,maker,cat,sub,price,stars,colour\n"
    "1,Red Mug,Acme,Kitchen,Mugs,\"1,200\",4.5,red\n"
    "2,,Acme,Kitchen,Mugs,100,4,\n"          # empty name
    "3,Blue Mug,Acme,Kitchen,Mugs,cheap,4,\n"  # price not a number
    "4,Plate,Acme,Kitchen,Plates,-5,4,\n"      # negative price
    "1,Dup Mug,Acme,Kitchen,Mugs,10,4,\n"      # duplicate id
    "5,Bowl,Acme,Kitchen,Bowls,10,9,\n"        # rating > 5
    "6,Cup,Acme,Kitchen,Cups,10,,,extra\n"     # too many cells
    "7,Glass,,Kitchen,Glasses,₹ 30,,\n"        # no brand, currency sign: fine
)


def test_bad_rows_are_skipped_and_reported_with_file_row_and_field(tmp_path):
    f = tmp_path / "cat.csv"
    f.write_text(GOOD_AND_BAD)
    load = read_catalog(f, MAPPING)
    assert [p.id for p in load.products] == ["1", "7"]
    assert load.rows_read == 8 and len(load.errors) == 6
    by_row = {e.row: e for e in load.errors}
    assert by_row[3].field == "name" and str(f) in str(by_row[3])
    assert by_row[4].field == "price" and "not a number" in by_row[4].message
    assert by_row[5].field == "price"
    assert by_row[6].field == "id" and "duplicate" in by_row[6].message
    assert by_row[7].field == "rating"
    assert by_row[8].field == "<row>"
    p = load.products[0]
    assert p.price == 1200 and p.currency == "INR" and p.category == ["Kitchen", "Mugs"] and p.attributes == {"colour": "red"}
    assert load.products[1].brand is None and load.products[1].price == 30
    assert "6 rows skipped" in load.summary()


def test_strict_mode_aborts_on_first_bad_row(tmp_path):
    f = tmp_path / "cat.csv"
    f.write_text(GOOD_AND_BAD)
    with pytest.raises(CatalogError, match=r"cat.csv:3: field 'name'"):
        read_catalog(f, MAPPING, strict=True)


def test_missing_column_names_the_field(tmp_path):
    f = tmp_path / "cat.csv"
    f.write_text("pid,title\n1,Mug\n")
    load = read_catalog(f, MAPPING)
    assert not load.products and load.errors[0].field == "brand" and "missing" in load.errors[0].message


def test_jsonl_native_rows(tmp_path):
    f = tmp_path / "c.jsonl"
    rows = [{"id": "a", "name": "Tea", "price": 2}, "not json", {"id": "b"}, [1, 2]]
    f.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    load = read_catalog(f, load_mapping("demo"))
    assert [p.id for p in load.products] == ["a"]
    assert [(e.row, e.field) for e in load.errors] == [(2, "<row>"), (3, "name"), (4, "<row>")]


def test_unknown_mapping_lists_shipped_ones():
    with pytest.raises(CatalogError, match="bigbasket"):
        load_mapping("nope")


def test_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        read_catalog(tmp_path / "none.csv", MAPPING)


@pytest.mark.parametrize("name", ["bigbasket", "instacart", "myntra_fashion"])
def test_shipped_mappings_load_real_catalog_samples(name, shared_dir):
    m = load_mapping(name)
    load = read_catalog(m.resolve_path(shared_dir / "datasets"), m, limit=2000)
    assert load.rows_read == 2000
    assert len(load.products) + len(load.errors) == 2000
    assert len(load.products) >= 1990
    p = load.products[0]
    assert p.id and p.name and p.category
    if name == "bigbasket":
        assert p.currency == "INR" and p.price is not None and len(p.category) == 3
    if name == "myntra_fashion":
        assert p.attributes.get("colour") and p.brand


def test_bigbasket_full_import_reports_its_one_nameless_row(shared_dir):
    m = load_mapping("bigbasket")
    load = read_catalog(m.resolve_path(shared_dir / "datasets"), m)
    assert load.rows_read == 27555
    assert len(load.products) + len(load.errors) == 27555
    assert all(e.field == "name" for e in load.errors)
