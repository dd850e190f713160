"""The corpus itself: coverage, size, consistency with the guard, the held-out split."""
import re

from nlg import guard, templates
from nlg.corpus import build_examples, corpus_hash, stats
from nlg.slots import product_slot

REQUIRED_ACTS = {
    "greet", "ask_category", "ask_budget", "ask_preference", "recommend", "recommend_with_reason",
    "refine_result", "no_results", "details", "compare", "confirm_choice", "price", "availability",
    "aisle", "out_of_scope", "fallback", "goodbye", "thanks", "help", "bot_challenge", "ask_more",
    "add_to_cart", "store_hours", "shipping", "returns",
}


def dummy_values(slots):
    return {s: f"<{s}>" for s in slots}


def test_at_least_25_acts_including_the_required_ones(corpus):
    assert len(corpus.acts) >= 25
    assert REQUIRED_ACTS <= set(corpus.acts)


def test_every_act_has_at_least_60_distinct_replies(corpus):
    st = stats(corpus)
    small = {a: s["distinct_replies"] for a, s in st.items() if s["distinct_replies"] < 60}
    assert not small, small


def test_recommend_covers_one_to_three_products_and_compare_two_to_three(corpus):
    n = lambda fr: sum(1 for s in fr if (p := product_slot(s)) and p[1] == "name")  # noqa: E731
    assert {n(f) for f in corpus.acts["recommend"].frames} == {1, 2, 3}
    assert {n(f) for f in corpus.acts["compare"].frames} == {2, 3}
    assert any("relaxed" in f for f in corpus.acts["no_results"].frames)


def test_corpus_lines_carry_no_figures(corpus):
    for act, srcs in corpus.line_src.items():
        for src in srcs:
            assert not re.search(r"\d|[$€£¥₹%]", re.sub(r"\[[a-z0-9_]+\]|@\w+\(\d\)", "", src)), (act, src)


def test_every_training_reply_passes_the_guard(corpus):
    vocab = None
    for ex in build_examples(corpus, "train") + build_examples(corpus, "heldout"):
        reasons = guard.check(ex.text, dummy_values(ex.slots), vocab=vocab)
        assert not reasons, (ex, reasons)


def test_heldout_combinations_never_appear_in_training(corpus):
    train = {(e.act, frozenset(e.slots)) for e in build_examples(corpus, "train")}
    held = {(e.act, frozenset(e.slots)) for e in build_examples(corpus, "heldout")}
    assert len(held) >= 20
    assert not (train & held)
    # each held-out frame is a new combination of slots the act uses in training
    for act, fr in held:
        seen = {s for a, f in train if a == act for s in f}
        assert fr <= seen, (act, sorted(fr - seen))


def test_expansion_is_deterministic(corpus):
    a = build_examples(corpus, "train", seed=5, per_act=40)
    b = build_examples(corpus, "train", seed=5, per_act=40)
    assert a == b
    assert len(corpus_hash()) == 64


def test_templates_state_every_slot_of_every_frame_and_pass_the_guard(corpus):
    for act, spec in corpus.acts.items():
        assert "{" not in spec.template_src, f"{act}: templates have no alternatives"
        for fr in spec.frames:
            vals = dummy_values(sorted(fr))
            delex, missing = templates.render_delex(act, vals, corpus)
            assert not missing, (act, fr, missing)
            assert not guard.check(delex, vals), (act, fr, delex, guard.check(delex, vals))
