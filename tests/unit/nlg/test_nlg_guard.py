"""The grounding guard: every way a candidate can be wrong is caught."""
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlg import guard
from nlg.slots import lexicalise, slot_values

VALS = {"p1_name": "Trail Runner", "p1_price": "$59.50", "p2_name": "City Sneaker", "p2_price": "$45"}


def test_a_faithful_candidate_passes():
    assert guard.check("Try [p1_name] at [p1_price], or [p2_name] at [p2_price].", VALS) == []
    assert guard.check("At [p1_price], [p1_name] is great. [p2_name] is [p2_price].", VALS) == []
    assert guard.check("These two: [p1_name] ([p1_price]) and [p2_name] ([p2_price]).", VALS) == []


@pytest.mark.parametrize("cand, reason", [
    ("Try [p1_name] at [p1_price], or [p2_name] at [p3_price].", "unknown_slot:p3_price"),
    ("Try [p1_name] at [p1_price], or [p2_name].", "missing_slot:p2_price"),
    ("Try [p1_name] at [p1_price], [p1_name] or [p2_name] at [p2_price].", "repeated_slot:p1_name"),
    ("Try [p1_name] at [p2_price], or [p2_name] at [p1_price].", "misbound:p2_price"),
    ("[p1_name] and [p2_name] cost [p1_price] and [p2_price].", "misbound:p1_price"),
    ("Try [p1_name] at [p1_price], or [p2_name] at [p2_price], save 20 today.", "number:20"),
    ("Try [p1_name] at [p1_price] or [p2_name] at [p2_price], just $ more.", "currency:$"),
    ("Try [p1_name] at [p1_price] or [p2_name] at [p2_price], 10% off.", "currency:%"),
    ("Try [p1_name] at [p1_price] or [p2_name] at [p2_price], under fifty dollars.", "currency:dollars"),
    ("Here are three: [p1_name] at [p1_price], [p2_name] at [p2_price].", "number_word:three"),
    ("Try [p1_name] at [p1_price] or [p2_name] at [p2_price] [p1 name].", "malformed"),
])
def test_each_error_is_named(cand, reason):
    assert reason in guard.check(cand, VALS)


def test_number_words_are_fine_when_they_count_the_products():
    assert guard.check("Here are two: [p1_name] at [p1_price] and [p2_name] at [p2_price].", VALS) == []


def test_possessive_brand_binds_forward():
    vals = {"p1_name": "A", "p1_brand": "X", "p2_name": "B", "p2_brand": "Y"}
    assert guard.check("[p1_name] by [p1_brand], and [p2_brand]'s [p2_name].", vals) == []
    assert "misbound:p1_brand" in guard.check("[p1_name], and [p1_brand]'s [p2_name] by [p2_brand].", vals)


def test_known_names_and_unknown_words():
    vals = {"p1_name": "Air Zoom", "p1_brand": "Nike"}
    assert "name:Adidas" in guard.check("[p1_name] by [p1_brand], better than Adidas.", vals, lexicon=["Adidas", "Nike"])
    assert guard.check("[p1_name] by [p1_brand] beats Nike.", vals, lexicon=["Nike"]) == []  # Nike is a fact
    vocab = {"try", "by"}
    assert guard.check("Try [p1_name] by [p1_brand]", vals, vocab=vocab) == []
    assert "unknown_word:zorblax" in guard.check("Try [p1_name] by [p1_brand] Zorblax", vals, vocab=vocab)


def test_wrong_roles_and_spliced_claims_are_caught_by_the_closed_corpus_check():
    vals = {"shipping_days": "3 business days", "free_shipping_min": "$50"}
    corpus = ["It arrives in [shipping_days], free over [free_shipping_min].", "Shipping costs [shipping_cost].",
              "The fee is [shipping_cost].", "It is free over [free_shipping_min]."]
    known = {g for t in corpus for g in guard.ngrams(t)}
    assert guard.check("It arrives in [shipping_days], free over [free_shipping_min].", vals, known_ngrams=known) == []
    # sentences recombine freely: trigrams do not cross a sentence end
    assert guard.check("It is free over [free_shipping_min]. It arrives in [shipping_days], free over [free_shipping_min].",
                       {**vals}, known_ngrams=known) == ["repeated_slot:free_shipping_min"]
    bad = guard.check("It arrives in [shipping_days]. Shipping costs [free_shipping_min].", vals, known_ngrams=known)
    assert "ngram:costs [free_shipping_min]" in bad
    lie = guard.check("It arrives in [shipping_days], free over [free_shipping_min]. The fee is free.", vals,
                      known_ngrams=known)
    assert "ngram:fee is free" in lie  # every bigram is known, the claim is not
    assert "malformed" in guard.check("It arrives in [shipping_days], free over  [free_shipping_min].", vals)
    assert guard.ngrams("Try [p2_name]. Ok!") == [
        "^ try", "try [p#_name]", "[p#_name] .", ". $", "^ try [p#_name]",
        "^ ok", "ok !", "! $", "^ ok !", "ok ! $", "^ ok ! $"]
    # a false claim spliced from known trigrams is caught by its four words
    known4 = {g for t in ["Otherwise shipping is [shipping_cost].", "Spend over [free_shipping_min] and shipping is free."]
              for g in guard.ngrams(t)}
    assert "ngram:otherwise shipping is free" in guard.check(
        "Otherwise shipping is free.", {}, known_ngrams=known4)
    # the two words before a slot set its role
    known3 = {g for t in ["Otherwise it's [shipping_cost].", "Typically it's [shipping_days] to reach you."]
              for g in guard.ngrams(t)}
    assert "ngram:otherwise it's [shipping_days]" in guard.check(
        "Otherwise it's [shipping_days].", {"shipping_days": "3 days"}, known_ngrams=known3)
    # a new combination of known pieces around placeholders is fine
    corpus2 = ["Any preferences for [category] under a budget?", "Anything under [budget]?"]
    known2 = {g for t in corpus2 for g in guard.ngrams(t)}
    assert guard.check("Any preferences for [category] under [budget]?", {"category": "x", "budget": "y"},
                       known_ngrams=known2) == []


def test_empty_and_placeholder_only_candidates_fail():
    assert "empty" in guard.check("", {})
    assert "empty" in guard.check("[p1_name].", {"p1_name": "A"})


def test_ungrounded_finds_figures_outside_the_values():
    vals = {"p1_name": "Pack of 12 Pens", "p1_price": "$5"}
    assert guard.ungrounded("Pack of 12 Pens costs $5.", vals) == []
    assert guard.ungrounded("Pack of 12 Pens costs $5, or 3 for $12.", vals) == ["number:3", "number:12", "currency:$"]


words = st.sampled_from(["Try", "at", "or", "for", "only", "two", "save", "$", "9", "12.5", "%", "[p1_name]",
                         "[p1_price]", "[p2_name]", "[p2_price]", "[p3_price]", "USD", "rated", "[budget]", ",", "."])


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(words, min_size=1, max_size=14),
       name1=st.text(alphabet=string.ascii_letters + string.digits + " $€%.", min_size=1, max_size=15),
       name2=st.text(alphabet=string.ascii_letters + string.digits + " $€%.", min_size=1, max_size=15),
       p1=st.floats(0, 5000), p2=st.floats(0, 5000))
def test_whatever_passes_the_guard_states_only_facts(tokens, name1, name2, p1, p2):
    """Random candidates, adversarial names: a candidate that passes never adds a figure."""
    vals = slot_values({"p1_name": "A" + name1, "p1_price": p1, "p2_name": "B" + name2, "p2_price": p2})
    cand = " ".join(tokens)
    if guard.check(cand, vals):
        return
    text = lexicalise(cand, vals).text
    assert guard.ungrounded(text, vals) == []
    for v in vals.values():
        assert text.count(v) >= 1
