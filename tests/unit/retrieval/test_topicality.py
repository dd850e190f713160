"""Topic checks over the demo catalog: stems, topical products, coverage of a request's words."""
from __future__ import annotations

import pytest

from retrieval.catalog import load_catalog
from retrieval.topicality import Topicality, is_topical, stems


@pytest.fixture(scope="module")
def topic() -> Topicality:
    return Topicality(load_catalog("demo"))


def test_stems_meet_across_plurals():
    assert stems("Running Shoes") == stems("running shoe") == {"run", "shoe"}


def test_a_brand_alone_does_not_make_a_product_topical(topic):
    chips = next(p for p in topic.catalog.products if p.leaf_category == "Potato Chips")
    assert is_topical(chips, stems("potato chips")) and not is_topical(chips, stems(chips.brand or "zzz"))


@pytest.mark.parametrize("words,low,high", [
    ("dry skin winter", 0.5, 1.0),         # a moisturiser's own text holds most of it
    ("electric kettle", 1.0, 1.0),
    ("hardest working man hollywood", 0.0, 0.49),  # "work" in Work Boots is not a request for them
    ("samurai sword", 0.0, 0.0),
])
def test_coverage_is_the_share_of_the_words_one_product_holds(topic, words, low, high):
    assert low <= topic.coverage(stems(words)) <= high


def test_kinds_and_names(topic):
    assert topic.has_kind(stems("kettle")) and not topic.has_kind(stems("smartwatch"))
    assert topic.names_a_product(stems("phone charger"))
