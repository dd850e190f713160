from retrieval.filters import Filters, colour_matches
from retrieval.schema import Product, StoreStock


def _p(**kw):
    base = dict(id="1", name="Cotton T-Shirt", brand="Acme", category=["Apparel", "Tops"], price=20.0,
                attributes={"colour": "red"}, stock={"a": StoreStock(store_id="a", quantity=2, aisle="Aisle 1")})
    base.update(kw)
    return Product(**base)


def test_violations_name_each_broken_constraint():
    f = Filters(max_price=10, brands=frozenset({"zeta"}), colour="blue", in_stock_at="b")
    assert f.violations(_p()) == ["price", "brands", "colour", "in_stock_at"]
    assert Filters(max_price=30, brands=frozenset({"acme"}), colour="red", in_stock_at="a").matches(_p())


def test_product_without_price_fails_a_price_bound():
    assert Filters(max_price=30).violations(_p(price=None)) == ["price"]


def test_colour_is_whole_word():
    assert not colour_matches("red", _p(name="Reduced Fat Milk", attributes={}))
    assert colour_matches("red", _p(name="Red Apple", attributes={}))
    assert not colour_matches("tan", _p(name="Stainless Steel Pan", attributes={"colour": "silver"}))


def test_merge_keeps_old_constraints_unless_overridden():
    old = Filters(max_price=50, brands=frozenset({"acme"}))
    new = old.merge(Filters(max_price=30, colour="red"))
    assert (new.max_price, new.brands, new.colour) == (30, {"acme"}, "red")


def test_without_and_active_follow_relax_order():
    f = Filters(max_price=5, colour="red", in_stock_at="a")
    assert f.active() == ["in_stock_at", "colour", "price"]
    assert f.without("price").max_price is None and f.without("colour").colour is None
    assert Filters().is_empty()


def test_describe_is_readable():
    assert Filters(min_price=2, max_price=5).describe("USD") == ["between 2 and 5 USD"]
    assert Filters(exclude_brands=frozenset({"dove"})).describe() == ["not dove"]
