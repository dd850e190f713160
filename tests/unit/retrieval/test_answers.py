"""Answering a question about one product from its own catalog text (real MiniLM)."""
import pytest

from retrieval.answers import MIN_ANSWER_SCORE, answer, evidence_texts
from retrieval.encoder import get_encoder
from retrieval.schema import Product

CONDITIONER = Product(
    id="d1", name="Lustre & Co. Unscented Volumising Conditioner 750 ml", brand="Lustre & Co.", price=6.5,
    description="Volumising conditioner for curly hair, from Lustre & Co., 750 ml. Free of added fragrance.",
    attributes={"benefit": "Volumising", "scent": "Unscented", "hair_type": "Curly", "pack_size": "750 ml"})
JACKET = Product(
    id="d2", name="Harbor & Pine Men's Grid Fleece Jacket - Grey, M", brand="Harbor & Pine", price=39.0,
    description="A grid fleece in grey, warm for layering on cool days, size M. Has zipped hand pockets.",
    attributes={"gender": "Men's", "colour": "grey", "size": "M"})


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


def test_candidates_are_description_sentences_then_attributes():
    texts = evidence_texts(CONDITIONER)
    assert texts[:2] == [("Volumising conditioner for curly hair, from Lustre & Co., 750 ml.", "description"),
                         ("Free of added fragrance.", "description")]
    assert ("hair type: Curly", "attribute") in texts and len(texts) == 6


@pytest.mark.parametrize("product,question,expected", [
    (CONDITIONER, "is it scented?", "scent: Unscented"),
    (CONDITIONER, "is it good for curly hair?", "hair type: Curly"),
    (JACKET, "does it have pockets?", "Has zipped hand pockets."),
    (JACKET, "what size is it?", "size: M"),
])
def test_the_answering_text_is_quoted(encoder, product, question, expected):
    ev = answer(question, product, encoder)
    assert ev is not None and ev.text == expected and ev.score >= MIN_ANSWER_SCORE


@pytest.mark.parametrize("question", ["is it dishwasher safe?", "what's the weather tomorrow?", "", "   "])
def test_nothing_is_claimed_when_the_catalog_does_not_say(encoder, question):
    assert answer(question, CONDITIONER, encoder) is None


def test_huge_or_odd_questions_and_bare_products(encoder):
    assert answer("is it scented? " * 5000, CONDITIONER, encoder).text == "scent: Unscented"
    assert answer("\x00\u202e is it 🧴 scented?", CONDITIONER, encoder) is not None
    assert answer("is it scented?", Product(id="x", name="Plain thing"), encoder) is None
