"""Keyboard use, the comparison table, phone-width layout and axe-core's WCAG 2.1 A/AA checks."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def a11y(run_scenario):
    return run_scenario("a11y_scenario.cjs", {"query": "show me backpacks"})


def test_the_chat_works_with_the_keyboard_alone(a11y):
    assert 0 < a11y["tabs_to_input"] <= 5
    assert a11y["tabs_to_details"] > 0 and a11y["focused_label"].startswith("Details of ")
    assert a11y["details_after_keyboard"] == 1


def test_compare_shows_a_comparison_table_of_catalog_facts(a11y, catalog):
    from actions.replies import money

    cols = a11y["comparison"]["columns"]
    assert len(cols) >= 2
    rows = {r[0]: r[1:] for r in a11y["comparison"]["rows"]}
    for i, col in enumerate(cols):
        p = catalog.get(col["id"])
        assert col["name"] == p.name
        assert rows["Price"][i] == money(p.price, p.currency)
        assert rows["Brand"][i] == (p.brand or "—")


def test_conversation_is_a_live_log(a11y):
    assert a11y["log_role"] == "log" and a11y["log_live"] == "polite"


def test_no_horizontal_scrolling_at_phone_width(a11y):
    assert a11y["narrow_overflow_px"] <= 0


@pytest.mark.parametrize("view", ["axe_chat", "axe_chat_narrow", "axe_kiosk_start", "axe_kiosk_cards", "axe_kiosk_where"])
def test_axe_finds_no_wcag_a_or_aa_violations(a11y, view):
    assert a11y[view]["passes"] > 10
    assert a11y[view]["violations"] == []


def test_kiosk_touch_targets_are_large_and_dialogs_close_with_escape(a11y):
    assert a11y["min_touch_target_px"] >= 44
    assert a11y["where_closed_by_escape"]
