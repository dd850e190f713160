"""Guided flow: assess -> (questions) -> recommend -> refine, against real Redis and a tiny catalog."""
from __future__ import annotations

import re

from action_helpers import Chat, ent, services_for

from actions.products import ActionTellPrice
from actions.refine import ActionRefine
from actions.search import (
    ActionAskNeedBrand,
    ActionAskNeedBudget,
    ActionAskNeedCategory,
    ActionAssessRequest,
    ActionRecommend,
)
from actions.smalltalk import ActionSmalltalk
from retrieval.memory import InMemoryRetriever

PRICE = re.compile(r"\$(\d[\d,]*\.\d\d)")


def search(chat, text, entities=None):
    chat.run(ActionAssessRequest, text, "search_product", entities)
    assert chat.slots["vague_request"] is False, chat.slots
    chat.run(ActionRecommend, text, "search_product", entities)


def test_specific_request_searches_at_once_and_shows_three_with_reasons(chat, retriever, store):
    chat.run(ActionAssessRequest, "I need an electric kettle under $50", "search_product")
    assert chat.slots["vague_request"] is False
    chat.run(ActionRecommend, "I need an electric kettle under $50", "search_product")
    cards = chat.cards
    assert len(cards) == 3
    for c in cards:
        p = retriever.get(c["id"])
        assert p.price <= 50 and "Electric Kettle" in p.category
        line = next(ln for ln in chat.text.splitlines() if ln.startswith(f"{c['position']}. "))
        assert p.name in line and p.brand in line and f"${p.price:,.2f}" in line
        assert "(" in line and c["reason"], "each product carries a reason"
        assert c["currency"] == "USD" and c["image"] and "stock" in c
    assert store.get_shown("shopper1") == chat.card_ids
    assert chat.messages[0]["buttons"], "quick replies"


def test_reasons_come_from_the_products_data(chat, retriever):
    search(chat, "electric kettle")
    for c in chat.cards:
        p = retriever.get(c["id"])
        r = c["reason"]
        assert (r == "the lowest price of these" and p.price == min(retriever.get(i).price for i in chat.card_ids)) \
            or (r.startswith("rated ") and f"{p.rating:g}" in r) \
            or any(v in r for v in p.attributes.values()) or p.leaf_category in r, r


def test_vague_request_asks_at_most_three_skippable_questions(chat, store):
    chat.run(ActionAssessRequest, "I need a gift under $30", "search_product",
             [ent("max_price", "$30")])
    assert chat.slots["vague_request"] is True
    assert chat.slots["need_budget"], "the budget already given is not asked again"
    chat.run(ActionAskNeedCategory, "I need a gift under $30", "search_product")
    assert "What kind of thing" in chat.text and any(b["payload"] == "/skip" for b in chat.messages[0]["buttons"])
    chat.slots["need_category"] = "kettle"
    chat.run(ActionAskNeedBrand, "kettle", "inform")
    assert "brand" in chat.text.lower()
    chat.slots["need_brand"] = "any"
    chat.run(ActionRecommend, "any", "skip")
    assert len(chat.cards) == 3
    assert all(c["price"] <= 30 for c in chat.cards)
    assert all(chat.slots[s] is None for s in ("need_category", "need_budget", "need_brand"))


def test_all_questions_skipped_still_recommends(chat):
    chat.run(ActionAssessRequest, "something for my kitchen", "search_product")
    assert chat.slots["vague_request"] is True
    chat.run(ActionAskNeedBudget, "", "inform")
    assert "budget" in chat.text.lower() and len(chat.messages[0]["buttons"]) == 4
    chat.slots.update(need_category="any", need_budget="any", need_brand="any")
    chat.run(ActionRecommend, "any", "skip")
    assert len(chat.cards) == 3


def test_cheaper_keeps_constraints_and_never_repeats(chat, retriever, store):
    search(chat, "electric kettle")
    first = chat.cards
    cheapest = min(c["price"] for c in first)
    chat.run(ActionRefine, "cheaper", "refine", [ent("refinement", "cheaper")])
    second = chat.cards
    assert second, chat.text
    assert all(c["price"] < cheapest for c in second)
    assert not {c["id"] for c in second} & {c["id"] for c in first}
    assert all("Electric Kettle" in retriever.get(c["id"]).category for c in second), "stays on the product type"


def test_other_brands_excludes_the_brands_shown(chat, retriever):
    search(chat, "electric kettle")
    brands = {c["brand"] for c in chat.cards}
    chat.run(ActionRefine, "other brands", "refine", [ent("refinement", "other_brand")])
    assert chat.cards and not {c["brand"] for c in chat.cards} & brands


def test_show_more_then_exhausted(chat):
    search(chat, "electric kettle")
    seen = set(chat.card_ids)
    chat.run(ActionRefine, "show more", "refine", [ent("refinement", "more")])
    assert chat.cards and not set(chat.card_ids) & seen
    seen |= set(chat.card_ids)
    chat.run(ActionRefine, "show more", "refine", [ent("refinement", "more")])
    seen |= set(chat.card_ids)
    assert len(seen) == 7  # every kettle, none twice
    chat.run(ActionRefine, "show more", "refine", [ent("refinement", "more")])
    assert not chat.cards and "seen them all" in chat.text


def test_naming_another_product_starts_a_new_search_in_its_own_category(chat, retriever):
    search(chat, "electric kettle")
    assert all("Electric Kettle" in retriever.get(c["id"]).category for c in chat.cards)
    chat.run(ActionRefine, "green tea", "inform", [ent("product", "green tea")])
    assert chat.cards, chat.text
    assert all("Tea" in retriever.get(c["id"]).category for c in chat.cards), chat.text


def test_new_constraint_overrides_and_keeps_the_rest(chat, retriever):
    search(chat, "electric kettle under $60")
    chat.run(ActionRefine, "in red", "inform", [ent("colour", "red")])
    assert chat.cards
    for c in chat.cards:
        p = retriever.get(c["id"])
        assert p.attributes["colour"] == "red" and p.price <= 60


def test_no_results_names_the_constraint_and_relaxes_on_yes(chat, retriever, store):
    search(chat, "electric kettle in red under $10")
    assert not chat.cards
    assert "empties the list is \"under $10.00\"" in chat.text and "Shall I drop it" in chat.text
    assert any(b["payload"] == "/affirm" for b in chat.messages[0]["buttons"])
    assert store.get_context("shopper1").offer == "price"
    chat.run(ActionRefine, "yes", "affirm")
    assert chat.cards and all(retriever.get(i).attributes["colour"] == "red" for i in chat.card_ids)


def test_unknown_brand_empties_the_list(chat):
    search(chat, "electric kettle from gucci", [ent("brand", "Gucci")])
    assert not chat.cards and "brand gucci" in chat.text


def test_start_over_forgets_the_search(chat, store):
    search(chat, "electric kettle")
    chat.run(ActionRefine, "start over", "refine", [ent("refinement", "start_over")])
    assert "start over" in chat.text.lower()
    assert store.get_shown("shopper1") == [] and store.get_context("shopper1").query == ""


def test_refine_before_any_search_asks_what_to_find(chat):
    chat.run(ActionRefine, "cheaper", "refine", [ent("refinement", "cheaper")])
    assert "looking for" in chat.text and not chat.cards


def test_similar_to_an_ordinal(chat, retriever):
    search(chat, "electric kettle")
    target = chat.card_ids[1]
    chat.run(ActionRefine, "more like the second one", "refine", [ent("refinement", "similar"), ent("ordinal", "2")])
    assert chat.cards and target not in chat.card_ids
    assert all(retriever.get(i).category == retriever.get(target).category for i in chat.card_ids)


def test_prices_in_text_are_the_catalogs(chat, retriever):
    search(chat, "electric kettle")
    shown = PRICE.findall(chat.text)
    assert sorted(float(x.replace(",", "")) for x in shown) == sorted(retriever.get(i).price for i in chat.card_ids)


def test_form_validation_ignores_slots_cleared_before_activation(retriever, store):
    """At activation rasa-sdk validates every slot set since the user spoke, None included."""
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.search import ValidateShoppingForm

    parse = {"text": "I need a gift", "intent": {"name": "search_product"}, "entities": []}
    events = [{"event": "user", "text": "I need a gift", "parse_data": parse},
              {"event": "slot", "name": "vague_request", "value": True},
              {"event": "slot", "name": "need_category", "value": None},
              {"event": "slot", "name": "need_budget", "value": None},
              {"event": "slot", "name": "need_brand", "value": None}]
    slots = {"vague_request": True, "need_category": None, "need_budget": None, "need_brand": None,
             "requested_slot": None}
    tracker = Tracker("s", slots, parse, events, False, None, {"name": "shopping_form"}, "action_listen")
    domain = {"forms": {"shopping_form": {"required_slots": ["need_category", "need_budget", "need_brand"]}},
              "slots": {k: {} for k in slots}}
    d = CollectingDispatcher()
    out = asyncio.run(ValidateShoppingForm().run(d, tracker, domain))
    assert d.messages == []
    assert all(e["value"] is None for e in out if e["event"] == "slot")


def test_budget_answer_without_a_number_is_asked_again(retriever, store):
    from action_helpers import make_tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.search import ValidateShoppingForm

    d = CollectingDispatcher()
    v = ValidateShoppingForm()
    assert v.validate_need_budget("kitchen stuff", d, make_tracker("kitchen stuff", "inform"), {}) == {"need_budget": None}
    assert "number" in d.messages[0]["text"]
    assert v.validate_need_budget("under $40", d, make_tracker("under $40", "inform"), {}) == {"need_budget": "under $40"}
    assert v.validate_need_budget("whatever", d, make_tracker("whatever", "skip"), {}) == {"need_budget": "any"}


def test_button_payloads_are_read_by_their_entities_not_their_text(chat, retriever):
    search(chat, "electric kettle")
    before = set(chat.card_ids)
    chat.run(ActionRefine, '/inform{"max_price":"40"}', "inform", [ent("max_price", "40")])
    assert chat.cards and all(c["price"] <= 40 for c in chat.cards)
    assert all("Electric Kettle" in retriever.get(c["id"]).category for c in chat.cards)
    assert not set(chat.card_ids) & before
    chat.run(ActionRefine, '/refine{"refinement":"cheaper"}', "refine", [ent("refinement", "cheaper")])
    assert "inform" not in chat.text


def test_a_product_name_nlu_could_not_place_is_searched_not_answered_with_a_fallback(chat, retriever):
    from actions.smalltalk import ActionSmalltalk

    chat.run(ActionSmalltalk, "gooseneck kettle", "nlu_fallback")
    assert [retriever.get(c["id"]).name for c in chat.cards][:1] == ["Ironbark Gooseneck Electric Kettle"], chat.text
    chat.run(ActionSmalltalk, "tell me a joke", "nlu_fallback")
    assert not chat.cards and "didn't understand" in chat.text


def test_a_brand_on_its_own_the_nlu_could_not_place_shows_that_brand(chat, retriever):
    chat.run(ActionSmalltalk, "Copperline", "nlu_fallback")
    assert chat.cards and {retriever.get(c["id"]).brand for c in chat.cards} == {"Copperline"}, chat.text


def test_a_kind_the_store_does_not_carry_gets_a_plain_no_and_no_cards(chat, store):
    events = chat.run(ActionAssessRequest, "I want a fast road bike", "search_product")
    assert {"event": "slot", "name": "vague_request", "value": False} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]  # no guided questions
    assert not chat.messages
    chat.run(ActionRecommend, "I want a fast road bike", "search_product")
    assert "we don't carry bikes" in chat.text.lower() and not chat.cards
    assert [m.get("outcome") for m in chat.messages] == ["not_carried"]
    assert not chat.messages[0].get("buttons")  # this catalog has nothing that goes with bikes
    assert store.get_context("shopper1").not_carried is None  # said once, then forgotten


def test_an_unknown_kind_is_not_answered_with_lookalikes(chat):
    chat.run(ActionAssessRequest, "a samurai sword for display", "search_product")
    chat.run(ActionRecommend, "a samurai sword for display", "search_product")
    assert "don't carry" in chat.text and not chat.cards


def test_a_kind_named_by_another_word_with_an_occasion_is_searched_not_refused(chat, retriever):
    # "teabags" is a shopper's name for Tea (data/kinds.yml) that no product name holds; "office" and
    # "kitchen" are occasion words, but the kind is what the request asks for, not a word said in passing
    chat.run(ActionAssessRequest, "I need teabags for the office kitchen", "search_product")
    chat.run(ActionRecommend, "I need teabags for the office kitchen", "search_product")
    assert "don't carry" not in chat.text
    assert chat.cards and {retriever.get(c["id"]).category[-1] for c in chat.cards} == {"Tea"}, chat.text


def test_a_named_kind_limits_the_list_to_that_kind(chat, retriever):
    chat.run(ActionAssessRequest, "a kettle please", "search_product")
    chat.run(ActionRecommend, "a kettle please", "search_product")
    assert chat.cards and all("Electric Kettle" in c["category"] for c in chat.cards)
    assert chat.messages[-1]["outcome"] == "products"
    assert retriever.calls[-1]["filters"].category == "electric kettle"


def test_a_price_question_before_any_search_searches_the_kind_it_names(chat, retriever):
    chat.run(ActionTellPrice, "how much are electric kettles?", "ask_price")
    assert chat.cards and {retriever.get(c["id"]).category[-1] for c in chat.cards} == {"Electric Kettle"}
    other = Chat(chat.services, sender="shopper2")
    other.run(ActionTellPrice, "what does a mattress cost", "ask_price")
    assert "don't carry mattresses" in other.text and not other.cards


def test_a_refinement_as_the_first_message_still_says_what_is_not_carried(chat):
    chat.run(ActionRefine, "do you sell motorbikes?", "inform")
    assert "don't carry" in chat.text and not chat.cards


def test_off_topic_naming_a_kind_not_sold_says_so(chat):
    chat.run(ActionSmalltalk, "what's the going rate for a king size mattress", "out_of_scope")
    assert "don't carry mattresses" in chat.text and not chat.cards
    chat.run(ActionSmalltalk, "what's the capital of peru", "out_of_scope")
    assert "don't carry" not in chat.text and not chat.cards


def test_only_a_brand_shows_that_brand(chat, retriever):
    chat.run(ActionRefine, "Copperline", "inform", [ent("brand", "Copperline")])
    assert chat.cards and {retriever.get(c["id"]).brand for c in chat.cards} == {"Copperline"}, chat.text


def test_shoes_alone_search_the_whole_footwear_branch_and_are_never_not_carried(store):
    from retrieval.catalog import load_catalog

    demo = load_catalog("demo")
    retriever = InMemoryRetriever([p for p in demo.products if p.category[0] in ("Footwear", "Home")], name="shoes")
    chat = Chat(services_for(retriever, store))
    text = "I need a stable shoe that doesn't wobble, with soft cushioning"
    chat.run(ActionAssessRequest, text, "search_product")
    chat.run(ActionRecommend, text, "search_product")
    assert chat.cards and all(retriever.get(c["id"]).category[0] == "Footwear" for c in chat.cards), chat.text
    assert "don't carry" not in chat.text and retriever.calls[-1]["filters"].category == "footwear"
    other = Chat(chat.services, sender="shopper2")
    other.run(ActionAssessRequest, "a shoe rack for the hall", "search_product")
    other.run(ActionRecommend, "a shoe rack for the hall", "search_product")
    assert "don't carry" in other.text and not other.cards


def test_a_long_request_from_a_man_who_runs_asking_for_shoes_gets_shoes(store):
    from retrieval.catalog import load_catalog

    retriever = InMemoryRetriever([p for p in load_catalog("demo").products if p.category[0] == "Footwear"], name="s")
    chat = Chat(services_for(retriever, store))
    text = "I am a man in my 40s. I run on roads and sometimes on a treadmill. I want shoes that feel soft."
    chat.run(ActionAssessRequest, text, "search_product")
    chat.run(ActionRecommend, text, "search_product")
    assert chat.cards and "don't carry" not in chat.text, chat.text


def test_a_carried_kind_is_never_said_not_to_be_carried(chat, store):
    from shopper.store import SearchContext

    store.save_context("shopper1", SearchContext(query="kettle", not_carried="an electric kettle"))
    chat.run(ActionRecommend, "an electric kettle", "search_product")
    assert "don't carry" in chat.text and "Electric Kettle" not in chat.text, chat.text
