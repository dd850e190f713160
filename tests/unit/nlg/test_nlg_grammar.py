import random

import pytest

from nlg import grammar


def test_alternatives_and_optionals_follow_the_frame():
    line = grammar.parse("{Try|How about} [p1_name]< at [p1_price]>?")
    rng = random.Random(0)
    outs = {grammar.tidy(grammar.render(line, frozenset({"p1_name"}), rng)) for _ in range(50)}
    assert outs == {"Try [p1_name]?", "How about [p1_name]?"}
    with_price = {grammar.tidy(grammar.render(line, frozenset({"p1_name", "p1_price"}), rng)) for _ in range(50)}
    assert with_price == {"Try [p1_name] at [p1_price]?", "How about [p1_name] at [p1_price]?"}


def test_nested_optional_needs_its_own_slots():
    line = grammar.parse("[p1_name]<; [p2_name]< at [p2_price]>>.")
    assert grammar.tidy(grammar.render(line, frozenset({"p1_name"}))) == "[p1_name]."
    assert grammar.tidy(grammar.render(line, frozenset({"p1_name", "p2_name"}))) == "[p1_name]; [p2_name]."
    full = frozenset({"p1_name", "p2_name", "p2_price"})
    assert grammar.tidy(grammar.render(line, full)) == "[p1_name]; [p2_name] at [p2_price]."


def test_macros_take_the_product_number():
    line = grammar.parse("See @item(2).", {"item": "[p#_name]< (#)>"})
    assert grammar.all_slots(line) == {"p2_name"}


@pytest.mark.parametrize("bad", ["{a|b", "<x", "a}", "[P1 name]", "@nope(1)"])
def test_malformed_lines_are_rejected(bad):
    with pytest.raises(grammar.GrammarError):
        grammar.parse(bad, {})


def test_tidy_fixes_spacing_and_capitals():
    assert grammar.tidy("  hi ,  there . ok!  so  ,.") == "Hi, there. Ok! So."


def test_sample_distinct_realises_exactly_the_frame():
    lines = [grammar.parse("{A|B|C} [p1_name]< by [p1_brand]>."), grammar.parse("[p1_name] and [p2_name].")]
    out = grammar.sample_distinct(lines, frozenset({"p1_name", "p1_brand"}), 10, random.Random(1))
    assert sorted(out) == ["A [p1_name] by [p1_brand].", "B [p1_name] by [p1_brand].", "C [p1_name] by [p1_brand]."]
