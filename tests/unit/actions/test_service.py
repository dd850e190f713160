"""Store-service questions answered from data/policies/ (real MiniLM), a person asked for, privacy."""
from __future__ import annotations

import re

import pytest
from action_helpers import Chat, services_for

from actions.service import ActionAnswerService, ActionHandoff, ActionPrivacy, about_own_order
from actions.smalltalk import ActionSmalltalk
from retrieval.memory import InMemoryRetriever


@pytest.fixture(scope="module")
def policies():
    from retrieval.encoder import get_encoder
    from retrieval.policies import PolicyIndex, load_policies

    return PolicyIndex(load_policies(), get_encoder())


@pytest.fixture
def chat(retriever, store, policies):
    services = services_for(retriever, store)
    services.policies = policies
    return Chat(services)


@pytest.mark.parametrize("intent,text,topic", [
    ("ask_returns", "can I send back shoes that don't fit?", "returns"),
    ("ask_delivery", "do you ship to Alaska?", "delivery_area"),
    ("ask_delivery", "how much is shipping, is it ever free?", "delivery_fees"),  # a delivery question with its own section
    ("ask_delivery", "can I collect it from one of your shops?", "stores"),
    ("ask_delivery", "how much longer do I have to wait for my parcel?", "order_status"),  # about an order placed
    ("ask_delivery", "my delivery is late", "order_status"),
    ("ask_cancel_order", "if I cancel now, when will I get my refund?", "returns"),
    ("ask_payment", "can I pay with PayPal?", "payment"),
    ("ask_order_status", "where is my order 40213?", "order_status"),
    ("ask_cancel_order", "I need to cancel my order", "cancel_order"),
    ("ask_change_address", "I gave the wrong delivery address", "change_address"),
    ("ask_stores", "when does the riverside store open on sunday?", "stores"),
])
def test_service_questions_get_the_policy_of_their_topic(chat, policies, intent, text, topic):
    chat.run(ActionAnswerService, text, intent)
    (msg,) = chat.messages
    assert msg["outcome"] == f"service:{topic}" and not chat.cards
    assert re.search(r"\(from our .+ (policy|list)\)", msg["text"]), msg["text"]
    section_texts = " ".join(s.text for s in policies.sections if s.topic == topic)
    for number in re.findall(r"\d+(?:[.:]\d+)?", msg["text"].split(" (from our")[0]):
        assert number in section_texts, (number, msg["text"])  # every figure is the policy's own


def test_a_complaint_in_a_service_question_gets_a_person(chat):
    chat.run(ActionAnswerService, "your deliveries are always slow, I am done with this shop", "ask_delivery")
    assert chat.messages[0]["outcome"] == "handoff" and not chat.cards


@pytest.mark.parametrize("text,own", [
    ("how long does delivery take?", False), ("do you deliver to Hawaii?", False),
    ("when will my order arrive?", True), ("I ordered a kettle 10 days ago", True),
    ("still waiting for the parcel", True), ("it has not arrived yet", True), ("is delivery free?", False),
])
def test_a_delivery_question_is_about_an_order_placed_only_when_it_says_so(text, own):
    assert about_own_order(text) is own


def test_a_question_about_one_order_says_what_is_needed_to_look_it_up(chat):
    chat.run(ActionAnswerService, "where is my order 4021?", "ask_order_status")
    assert "order number" in chat.text and "email" in chat.text


def test_asking_for_a_person_says_where_people_can_help(store, policies):
    from retrieval.catalog import load_catalog

    demo = load_catalog("demo")
    services = services_for(InMemoryRetriever(demo.products[:300], store_names=None), store)
    chat = Chat(services)
    chat.run(ActionHandoff, "I want to talk to a real person", "request_human")
    assert chat.messages[0]["outcome"] == "handoff" and not chat.cards
    assert "person" in chat.text


def test_privacy_says_what_is_kept_and_for_how_long(chat):
    chat.run(ActionPrivacy, "what do you know about me?", "ask_privacy")
    assert chat.messages[0]["outcome"] == "service:privacy"
    assert "7 days" in chat.text and "90 days" in chat.text


def test_a_service_question_the_nlu_sent_to_the_product_search_is_answered_from_the_policy(chat):
    from actions.search import ActionAssessRequest, ActionRecommend

    chat.run(ActionAssessRequest, "I need to cancel my order", "search_product")
    chat.run(ActionRecommend, "I need to cancel my order", "search_product")
    assert [m["outcome"] for m in chat.messages] == ["service:cancel_order"] and not chat.cards


def test_a_service_question_the_nlu_called_off_topic_is_answered_from_the_policy(chat):
    from actions.smalltalk import ActionSmalltalk

    chat.run(ActionSmalltalk, "what is your return policy?", "out_of_scope")
    assert chat.messages[0]["outcome"] == "service:returns"
    chat.run(ActionSmalltalk, "what's the capital of France", "out_of_scope")
    assert chat.messages[0]["outcome"] == "off_topic"


def test_product_requests_are_not_taken_for_service_questions(chat):
    from actions.search import ActionAssessRequest, ActionRecommend

    chat.run(ActionAssessRequest, "an electric kettle under $50", "search_product")
    chat.run(ActionRecommend, "an electric kettle under $50", "search_product")
    assert chat.cards and chat.messages[-1]["outcome"] == "products"


def test_a_need_described_in_words_reaches_the_kind_that_meets_it(store):
    """ "keep my coffee hot on my commute" names Travel Mug by what it does: travel mugs are shown."""
    from action_helpers import P

    from actions.search import ActionAssessRequest, ActionRecommend

    mugs = ["Home & Kitchen", "Drinkware", "Travel Mug"]
    items = [P("m1", "Steelcraft Insulated Travel Mug 450 ml", "Steelcraft", 19.0, mugs, 4.5),
             P("m2", "Trailhead Travel Mug with Lid", "Trailhead", 14.0, mugs, 4.1),
             P("c1", "Morning Roast Ground Coffee", "Morning Roast", 8.0, ["Grocery", "Coffee", "Ground Coffee"], 4.4)]
    chat = Chat(services_for(InMemoryRetriever(items), store))
    chat.run(ActionAssessRequest, "something to keep my coffee hot on my commute", "search_product")
    chat.run(ActionRecommend, "something to keep my coffee hot on my commute", "search_product")
    assert chat.cards and all("Travel Mug" in c["category"] for c in chat.cards)


def test_an_order_number_on_its_own_gets_the_order_status_answer(chat):
    chat.run(ActionSmalltalk, "Order #40213", "nlu_fallback")
    assert [m.get("outcome") for m in chat.messages] == ["service:order_status"], chat.text


@pytest.mark.parametrize("intent", ["out_of_scope", "nlu_fallback"])
def test_a_message_about_my_order_the_nlu_could_not_place_gets_the_order_status_answer(chat, intent):
    chat.run(ActionSmalltalk, "when can I expect my delivery with the pandemic going on?", intent)
    assert chat.messages[0]["outcome"] == "service:order_status" and not chat.cards
    assert "order number" in chat.text
