"""The judge of `make bench-understanding` (scripts/bench_understanding.py) on hand-made replies: no servers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _load():
    spec = importlib.util.spec_from_file_location("bench_understanding", REPO / "scripts" / "bench_understanding.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_understanding"] = mod
    spec.loader.exec_module(mod)
    return mod


bu = _load()
judge = bu.judge

SHOE = {
    "id": "p1",
    "name": "Velocita Women's Road Running Shoes - Blue, UK 4",
    "category": "Footwear > Athletic Shoes > Running Shoes",
}
SHOE2 = {
    "id": "p2",
    "name": "Northpeak Men's Stability Running Shoes - White, UK 9",
    "category": "Footwear > Athletic Shoes > Running Shoes",
}
TOP = {
    "id": "p3",
    "name": "Pulse Active Men's Tank Running Top - Teal, S",
    "category": "Apparel > Activewear > Running Tops",
}
LOCK = {"id": "p4", "name": "Steelguard U-Lock", "category": "Sports & Outdoors > Cycling > Bike Lock"}


def msg(text: str = "", cards=None):
    m = {"recipient_id": "s", "text": text}
    if cards is not None:
        m["custom"] = {"type": "product_cards", "act": "results", "cards": cards}
    return m


# -- products:<Type> -------------------------------------------------------------------------
def test_products_all_cards_of_the_type():
    v = judge("products:Running Shoes", [msg("Here are my top picks:", [SHOE, SHOE2])], ["products"])
    assert v == {"ok": True, "error": False, "why": ""}


def test_products_one_wrong_card_fails():
    v = judge("products:Running Shoes", [msg("Top picks:", [SHOE, TOP])])
    assert not v["ok"] and not v["error"] and "1 of 2" in v["why"]


def test_products_no_cards_fails():
    assert not judge("products:Running Shoes", [msg("Which size?")], ["clarify"])["ok"]


def test_type_match_is_case_and_plural_tolerant_and_not_a_prefix():
    assert bu.card_is_type(SHOE, "running shoe")
    assert bu.card_is_type(SHOE, "RUNNING SHOES")
    assert bu.card_is_type({"category": ["Footwear", "Athletic Shoes", "Running Shoes"]}, "Running Shoes")
    assert bu.card_is_type(SHOE, "Footwear")  # a level above the leaf is a type too
    assert not bu.card_is_type(TOP, "Running Shoes")
    assert not bu.card_is_type({"category": "Footwear > Athletic Shoes > Trail Running Shoes"}, "Running Shoes")
    assert bu.card_is_type({"category": "Pet > Pet Treats > Dog Treats"}, "dog treat")
    assert bu.card_is_type({"category": "Toys & Games > Puzzles & Games > Board Game"}, "board games")


def test_name_decides_only_without_a_category():
    assert bu.card_is_type({"name": "Fast Running Shoe - Red"}, "Running Shoes")
    assert not bu.card_is_type(
        {"name": "Running Shoe Laces", "category": "Footwear > Accessories > Laces"}, "Running Shoes"
    )


# -- not_carried -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "We don't carry smartwatches.",
        "Sorry, we do not sell bikes.",
        "Laptops aren't something we carry... actually, not something we sell at all.",
        "We don\u2019t stock cameras.",
    ],
)
def test_not_carried_said_plainly(text):
    assert judge("not_carried", [msg(text)], ["not_carried"])["ok"]


def test_not_carried_products_pushed_as_match_fails():
    v = judge("not_carried", [msg("Here are my top picks:", [LOCK, LOCK])])
    assert not v["ok"] and "doesn't carry" in v["why"]


def test_not_carried_alternatives_need_the_outcome():
    replies = [msg("We don't sell bikes, but we do have bike helmets and locks:", [LOCK])]
    assert judge("not_carried", replies, ["not_carried"])["ok"]
    assert not judge("not_carried", replies, ["products"])["ok"]
    assert not judge("not_carried", replies, [])["ok"]


# -- service / handoff / off_topic / smalltalk -------------------------------------------------
def test_service_needs_its_outcome_and_no_cards():
    text = "You can return most items within 30 days (Returns policy)."
    assert judge("service:returns", [msg(text)], ["service:returns"])["ok"]
    assert not judge("service:returns", [msg(text)], [])["ok"]  # no outcome label yet
    assert not judge("service:returns", [msg(text)], ["service:delivery_times"])["ok"]
    assert not judge("service:returns", [msg(text, [SHOE])], ["service:returns"])["ok"]


def test_handoff_by_outcome_or_text():
    assert judge("handoff", [msg("Let me get you to someone.")], ["handoff"])["ok"]
    assert judge("handoff", [msg("A member of our staff can help: call 0800 123.")])["ok"]
    assert not judge("handoff", [msg("I am a shopping assistant bot.")])["ok"]
    assert not judge("handoff", [msg("Our team picked these:", [SHOE])], ["handoff"])["ok"]


def test_off_topic_only_needs_no_cards():
    assert judge("off_topic", [msg("I can only help with shopping here.")], ["off_topic"])["ok"]
    assert judge("off_topic", [msg("Your cart is empty.")])["ok"]
    assert not judge("off_topic", [msg("How about this?", [LOCK])])["ok"]


def test_smalltalk_not_the_fallback():
    assert judge("smalltalk", [msg("Hi! What are you shopping for today?")], ["smalltalk"])["ok"]
    assert not judge("smalltalk", [msg("Hi!")], ["fallback"])["ok"]
    fallback = "Sorry, I didn't understand that. Tell me what you're looking for, or say \"help\"."
    assert not judge("smalltalk", [msg(fallback)])["ok"]
    assert not judge("smalltalk", [msg("Hello", [SHOE])])["ok"]


# -- errors / empty ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expect", ["off_topic", "smalltalk", "not_carried", "service:returns", "handoff", "products:Running Shoes"]
)
def test_empty_reply_or_error_outcome_is_an_error(expect):
    assert judge(expect, []) == {"ok": False, "error": True, "why": "empty reply"}
    assert judge(expect, [msg("")])["error"]
    v = judge(expect, [msg("Something went wrong on my side.")], ["error"])
    assert v == {"ok": False, "error": True, "why": "error outcome"}


def test_unknown_label_is_wrong():
    assert not judge("weather", [msg("Sunny.")])["ok"]


# -- tracker, sampling, scoring ----------------------------------------------------------------
def test_turn_outcomes_are_the_bot_events_after_the_last_user_message():
    tracker = {
        "events": [
            {"event": "action", "name": "action_session_start"},
            {"event": "bot", "text": "old", "metadata": {"outcome": "smalltalk"}},
            {"event": "user", "text": "where is my order"},
            {"event": "action", "name": "action_service"},
            {"event": "bot", "text": "Orders arrive in 3-5 days.", "metadata": {"outcome": "service:order_status"}},
            {"event": "bot", "text": "no label", "metadata": {}},
            {"event": "action", "name": "action_listen"},
        ]
    }
    assert bu.turn_outcomes(tracker) == ["service:order_status"]
    assert bu.turn_outcomes({}) == []


def test_stratified_sample_keeps_every_class_and_is_seeded():
    rows = [{"id": str(i), "text": "t", "expect": "off_topic" if i < 90 else f"service:x{i % 3}"} for i in range(100)]
    a = bu.stratified_sample(rows, 20, seed=1)
    assert len(a) == 20 and a == bu.stratified_sample(rows, 20, seed=1)
    assert {r["expect"] for r in a} == {"off_topic", "service:x0", "service:x1", "service:x2"}
    assert bu.stratified_sample(rows, 500) == rows


def test_score_counts_classes_macro_errors_and_examples():
    recs = [
        {"id": "1", "text": "hi", "expect": "smalltalk", "replies": [msg("Hello!")], "outcomes": [], "ms": 100},
        {"id": "2", "text": "yo", "expect": "smalltalk", "replies": [], "outcomes": [], "ms": 300},
        {
            "id": "3",
            "text": "bike",
            "expect": "not_carried",
            "replies": [msg("Top picks", [LOCK])],
            "outcomes": [],
            "ms": 200,
        },
        {
            "id": "4",
            "text": "x",
            "expect": "off_topic",
            "replies": [],
            "outcomes": [],
            "ms": None,
            "exception": "TimeoutError()",
        },
    ]
    s = bu.score(recs)
    assert s["classes"]["smalltalk"]["n"] == 2 and s["classes"]["smalltalk"]["share"] == 0.5
    assert s["macro"] == round((0.5 + 0 + 0) / 3, 4)
    assert s["errors"] == 2 and s["p50_ms"] == 200
    fail = s["classes"]["not_carried"]["failures"][0]
    assert fail["shown"]["cards"] == [{"name": LOCK["name"], "category": LOCK["category"]}]
    assert fail["shown"]["text"] == "Top picks"


def test_not_carried_wording_is_about_the_store():
    assert judge("not_carried", [msg("We don't have any bikes, sorry.")])["ok"]
    assert not judge("not_carried", [msg("I don't have store stock data for that; order it online.")])["ok"]
    assert not judge("not_carried", [msg("I couldn't find anything matching that.")])["ok"]
