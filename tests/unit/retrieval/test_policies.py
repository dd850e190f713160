"""Store-service answers from data/policies/ (real MiniLM, real bm25s)."""
import re

import pytest

from retrieval.demo_catalog import load_stores
from retrieval.encoder import get_encoder
from retrieval.policies import (
    EVAL_TOPICS,
    POLICIES_DIR,
    PolicyError,
    PolicyHit,
    PolicyIndex,
    answer_text,
    cite,
    load_policies,
    parse_policy,
)

_NUMBER = re.compile(r"\$?\d[\d,.:]*\d|\$?\d")


@pytest.fixture(scope="module")
def sections():
    return load_policies()


@pytest.fixture(scope="module")
def index(sections):
    return PolicyIndex(sections, get_encoder())


def test_every_policy_file_parses_into_titled_sections_with_numbers():
    files = sorted(POLICIES_DIR.glob("*.md"))
    assert len(files) >= 10
    for path in files:
        secs = parse_policy(path.read_text(encoding="utf-8"), path)
        assert secs and all(s.title and s.heading and s.text for s in secs), path
        assert all("<!--" not in s.text and "-->" not in s.text for s in secs), path
        assert any(_NUMBER.search(s.text) for s in secs), f"{path.name} carries no concrete number"


def test_every_evaluation_topic_exists_and_others_keep_their_names(sections):
    topics = {s.topic for s in sections}
    assert set(EVAL_TOPICS) <= topics
    assert {"warranty", "price_match", "gift_cards", "membership", "privacy"} <= topics


def test_store_sections_come_from_stores_yml(sections):
    stores = load_stores()
    generated = [s for s in sections if s.policy == "stores"]
    assert len(generated) == len(stores) + 1
    for store in stores:
        (sec,) = [s for s in generated if s.heading == store["name"]]
        assert store["address"] in sec.text and store["hours"] in sec.text
    every = next(s for s in generated if s.heading == "All stores")
    assert all(store["name"] in every.text for store in stores)
    assert not any("Market Street" in p.read_text() for p in POLICIES_DIR.glob("*.md"))


def test_bad_files_get_clear_errors(tmp_path):
    (tmp_path / "untitled.md").write_text("## A section\nSome text.\n")
    with pytest.raises(PolicyError, match="untitled.md.*level-1 title"):
        load_policies(tmp_path, include_stores=False)
    (tmp_path / "untitled.md").write_text("# Title\n## Empty\n<!-- asks: a | b -->\n")
    with pytest.raises(PolicyError, match="untitled.md:2.*empty"):
        load_policies(tmp_path, include_stores=False)
    with pytest.raises(PolicyError, match="no policy files"):
        load_policies(tmp_path / "missing", include_stores=False)


def test_topic_comments_and_list_items(tmp_path):
    md = "# Things\n<!-- topic: things -->\n## One\n- costs $5\n- ships in 2 days\n## Two\n<!-- topic: other -->\nText.\n"
    one, two = parse_policy(md, tmp_path / "file.md")
    assert (one.topic, one.text, one.policy) == ("things", "costs $5. ships in 2 days.", "file")
    assert two.topic == "other"


@pytest.mark.parametrize(
    "question,topic",
    [
        ("how many days have I got to send back a jumper that doesn't fit", "returns"),
        ("the blender I got doesn't work, I'd like my money back", "returns"),
        ("my order was due last week and still isn't here", "order_status"),
        ("could you tell me the tracking code for my purchase", "order_status"),
        ("I changed my mind, please stop the order I placed this morning", "cancel_order"),
        ("I typed my old flat as the shipping address, can that be fixed", "change_address"),
        ("do you send orders to Mexico", "delivery_area"),
        ("can I pay for it over several months", "payment"),
        ("what time does the riverside shop close on Sunday", "stores"),
        ("is there a shop I can walk into", "stores"),
        ("how much do you charge for shipping", "delivery_fees"),
        ("the code SAVE10 is rejected at checkout", "gift_cards"),
        ("please delete everything you know about me", "privacy"),
    ],
)
def test_paraphrases_land_on_the_right_topic(index, question, topic):
    found = index.topic_of(question)
    assert found is not None and found[0] == topic, (question, found, index.search(question, k=2))
    assert 0.0 < found[1] <= 1.0


@pytest.mark.parametrize(
    "question,topic",
    [("do you take Amex", "payment"), ("a competitor has the same kettle for less", "price_match")],
)
def test_terse_questions_rank_the_right_section_first_even_below_the_threshold(index, question, topic):
    assert index.search(question, k=1)[0].section.topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "what's the capital of Australia",
        "tell me a joke about penguins",
        "I need a waterproof rain jacket for hiking",
        "how tall is mount everest",
        "",
        "   ",
        "🙂🛒🎉",
    ],
)
def test_unrelated_questions_get_no_topic(index, question):
    assert index.topic_of(question) is None


def test_huge_and_odd_questions_do_not_crash(index):
    assert index.topic_of("x" * 10_000) is None
    hits = index.search("how long does delivery take? " * 400, k=2)
    assert len(hits) == 2 and hits[0].section.topic == "delivery_area"
    assert index.search("\x00\u202e🧾 has order 4021 shipped yet?\x07", k=1)[0].section.topic == "order_status"
    assert index.search("🙂🛒🎉", k=1) == [] or isinstance(index.search("🙂🛒🎉", k=1)[0], PolicyHit)


def test_answers_are_short_quotes_whose_numbers_come_from_the_section(index, sections):
    for section in sections:
        text = answer_text(PolicyHit(section, 1.0))
        assert text and len(text) <= 450 and text.count(". ") <= 2, section.heading
        assert section.text.startswith(text.rstrip("…")), section.heading
        for number in _NUMBER.findall(text):
            assert number in section.text, (section.heading, number)
    hit = index.search("what's your refund time", k=1)[0]
    assert "5 business days" in answer_text(hit) and cite(hit) == "(from our Returns and refunds policy)"
    store = index.search("where is the eastgate store", k=1)[0]
    assert "Eastgate Retail Park" in answer_text(store) and cite(store) == "(from our store list)"
