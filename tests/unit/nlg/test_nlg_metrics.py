import math

import pytest

from config import NLGSettings
from nlg.metrics import corpus_bleu, distinct_n, percentile, slot_error_rate


def test_bleu_bounds_and_a_hand_computed_case():
    assert corpus_bleu(["try [p1_name] at [p1_price] today ."], [["try [p1_name] at [p1_price] today ."]]) == pytest.approx(100)
    assert corpus_bleu(["a b c d"], [["e f g h"]]) == 0.0
    # hyp "the cat sat on the mat" vs ref "the cat is on the mat": p1=5/6 p2=3/5 p3=1/4 p4=0 -> 0
    assert corpus_bleu(["the cat sat on the mat"], [["the cat is on the mat"]]) == 0.0
    # two references: every n-gram found; brevity penalty from the closest length (5 vs 5)
    assert corpus_bleu(["a b c d e"], [["a b c d e f g", "a b c d e"]]) == pytest.approx(100)
    # shorter than every reference -> brevity penalty exp(1 - 6/5)
    assert corpus_bleu(["a b c d e"], [["a b c d e f"]]) == pytest.approx(100 * math.exp(1 - 6 / 5))


def test_distinct2():
    assert distinct_n(["a b c", "a b c"], 2) == pytest.approx(2 / 4)
    assert distinct_n(["a b", "c d"], 2) == 1.0


def test_slot_error_rate_counts_missing_invented_and_repeated():
    pairs = [("[p1_name] at [p1_price]", ["p1_name", "p1_price"]),  # 0 errors / 2
             ("[p1_name] [p1_name] [p2_price]", ["p1_name", "p1_brand"])]  # missing 1, invented 1, repeated 1 / 2
    assert slot_error_rate(pairs) == pytest.approx(3 / 4)


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(101)), 95) == 95


def test_config_env_overrides():
    cfg = NLGSettings.from_env({"SHOPGUIDE_NLG_LATENCY_BUDGET_MS": "120", "SHOPGUIDE_NLG_NUM_CANDIDATES": "6",
                              "SHOPGUIDE_NLG_VOCAB_CHECK": "false", "SHOPGUIDE_NLG_SEED": "4",
                              "SHOPGUIDE_NLG_MODEL_DIR": "/x"})
    assert (cfg.latency_budget_ms, cfg.num_candidates, cfg.vocab_check, cfg.seed, cfg.model_dir) == (120.0, 6, False, 4, "/x")
    assert NLGSettings.from_env({}, device="cpu").device == "cpu"
    assert str(NLGSettings(cache_dir="/c").resolved_cache_dir()) == "/c"
