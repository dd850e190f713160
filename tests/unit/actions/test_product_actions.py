"""Details, compare, choose, price, availability; ordinals against the last shown list; bad input."""
from __future__ import annotations

from action_helpers import Chat, ent, services_for

from actions.cart import ActionChoose, ActionShowCart
from actions.products import (
    ActionAnswerQuestion,
    ActionCheckAvailability,
    ActionCompare,
    ActionShowDetails,
    ActionTellPrice,
)
from actions.search import ActionAssessRequest, ActionRecommend
from actions.smalltalk import ActionDefaultFallback, ActionSmalltalk


def shown(chat, text="electric kettle"):
    chat.run(ActionAssessRequest, text, "search_product")
    chat.run(ActionRecommend, text, "search_product")
    return chat.card_ids


def test_second_one_resolves_against_the_last_shown_list(chat, retriever):
    ids = shown(chat)
    chat.run(ActionShowDetails, "tell me more about the second one", "ask_details", [ent("ordinal", "2")])
    p = retriever.get(ids[1])
    assert chat.text.startswith(p.name) and f"${p.price:,.2f}" in chat.text
    assert chat.cards[0]["id"] == ids[1]


def test_ordinal_words_without_entities_and_the_last_one(chat, retriever):
    ids = shown(chat)
    chat.run(ActionShowDetails, "what about the last one?", "ask_details")
    assert chat.cards[0]["id"] == ids[-1]
    chat.run(ActionTellPrice, "how much is #1", "ask_price")
    assert f"${retriever.get(ids[0]).price:,.2f}" in chat.text


def test_fifth_one_when_three_were_shown(chat):
    shown(chat)
    chat.run(ActionShowDetails, "the fifth one", "ask_details", [ent("ordinal", "5")])
    assert "only showed you 3 products" in chat.text and "1 to 3" in chat.text and not chat.cards


def test_ordinal_before_anything_was_shown(chat):
    chat.run(ActionShowDetails, "the second one", "ask_details", [ent("ordinal", "2")])
    assert "haven't shown you any products" in chat.text


def test_that_one_is_the_product_last_talked_about(chat):
    ids = shown(chat)
    chat.run(ActionShowDetails, "the third one", "ask_details", [ent("ordinal", "3")])
    chat.run(ActionCheckAvailability, "is it in stock?", "ask_availability", [ent("ordinal", "that")])
    assert chat.cards[0]["id"] == ids[2]


def test_ambiguous_reference_asks_which(chat):
    shown(chat)
    chat.run(ActionShowDetails, "tell me more", "ask_details")
    assert "Which one do you mean" in chat.text


def test_unknown_product_id_in_a_payload(chat):
    shown(chat)
    chat.run(ActionShowDetails, '/ask_details{"product_id":"nope"}', "ask_details", [ent("product_id", "nope")])
    assert 'can\'t find a product with id "nope"' in chat.text


def test_product_id_payload_works_after_the_list_changed(chat, retriever):
    chat.run(ActionShowDetails, '/ask_details{"product_id":"t1"}', "ask_details", [ent("product_id", "t1")])
    assert chat.text.startswith(retriever.get("t1").name)


def test_compare_all_shown_names_the_cheapest_and_best_rated(chat, retriever):
    ids = shown(chat)
    chat.run(ActionCompare, "compare them", "compare")
    ps = [retriever.get(i) for i in ids]
    cheapest = min(ps, key=lambda p: p.price)
    assert f"{cheapest.name} is the cheapest at ${cheapest.price:,.2f}" in chat.text
    best = max(ps, key=lambda p: p.rating)
    assert f"{best.name} has the best rating ({best.rating:g}/5)" in chat.text
    assert [c["id"] for c in chat.cards] == ids


def test_compare_two_ordinals(chat):
    ids = shown(chat)
    chat.run(ActionCompare, "compare the first and the third", "compare", [ent("ordinal", "1"), ent("ordinal", "3")])
    assert [c["id"] for c in chat.cards] == [ids[0], ids[2]]


def test_compare_the_first_two_of_three(chat):
    ids = shown(chat)
    chat.run(ActionCompare, "compare the first two", "compare", [ent("ordinal", "first")])
    assert [c["id"] for c in chat.cards] == ids[:2]


def test_compare_with_one_product_shown_names_it_rather_than_asking_for_a_search(chat, retriever, store):
    ids = shown(chat)
    store.set_shown("shopper1", ids[:1])  # a search that found one product
    chat.run(ActionCompare, "compare them", "compare")
    name = retriever.get(ids[0]).name
    assert f"only shown you one product so far, {name}" in chat.text and "Search for something first" not in chat.text
    assert not chat.cards


def test_choose_adds_quantity_to_the_redis_cart(chat, retriever, store):
    ids = shown(chat)
    chat.run(ActionChoose, "I'll take two of the second one", "choose", [ent("quantity", "2"), ent("ordinal", "2")])
    assert store.get_cart("shopper1") == {ids[1]: 2}
    p = retriever.get(ids[1])
    assert f"Added 2 × {p.name}" in chat.text and f"${p.price * 2:,.2f} in total" in chat.text


def test_availability_gives_stock_and_aisle(chat, retriever):
    chat.run(ActionCheckAvailability, "is it in stock", "ask_availability", [ent("product_id", "k1")])
    assert "4 in stock at" in chat.text and "Aisle 7 - Small Appliances" in chat.text
    assert "out of stock at" in chat.text


def test_availability_without_stock_data(chat):
    chat.run(ActionCheckAvailability, "where is it", "ask_availability", [ent("product_id", "t1")])
    assert "don't have store stock data" in chat.text


def test_price_of_all_shown(chat, retriever):
    ids = shown(chat)
    chat.run(ActionTellPrice, "how much are they", "ask_price")
    for i in ids:
        assert f"${retriever.get(i).price:,.2f}" in chat.text


def test_actions_do_not_branch_on_the_channel(retriever, store):
    """Cards ride along on every channel (channels/render.py renders them per channel); the text
    alone still lists every product, for channels that show no cards."""
    chat = Chat(services_for(retriever, store), channel="cmdline")
    shown(chat)
    assert len(chat.cards) == 3 and chat.text.count("\n") >= 3
    assert "{" not in chat.text


def test_store_outage_gets_a_clear_message(retriever, memory_store):
    chat = Chat(services_for(retriever, memory_store))
    memory_store.down = True
    chat.run(ActionAssessRequest, "electric kettle", "search_product")
    assert "can't reach my memory" in chat.text
    memory_store.down = False
    shown(chat)
    assert len(chat.cards) == 3


def test_smalltalk_and_fallback(chat):
    for intent, words in [("greet", "shopping guide"), ("help", "cheaper"), ("bot_challenge", "automated"),
                          ("out_of_scope", "only help with shopping"), ("nlu_fallback", "didn't understand")]:
        chat.run(ActionSmalltalk, "x", intent)
        assert words in chat.text, intent
    events = chat.run(ActionDefaultFallback, "x", "")
    assert events == [{"event": "rewind", "timestamp": None}] and chat.text


def test_deny_after_an_offer_keeps_constraints(chat, store):
    chat.run(ActionAssessRequest, "electric kettle under $5", "search_product")
    chat.run(ActionRecommend, "electric kettle under $5", "search_product")
    assert store.get_context("shopper1").offer == "price"
    chat.run(ActionSmalltalk, "no", "deny")
    assert "keep under $5.00" in chat.text and store.get_context("shopper1").offer is None


def test_the_cart_lists_what_was_added_priced_from_the_catalog(chat, retriever, store):

    chat.run(ActionShowCart, "what's in my cart?", "show_cart")
    assert "cart is empty" in chat.text and not chat.cards
    ids = shown(chat)
    chat.run(ActionChoose, "I'll take two of the second one", "choose", [ent("quantity", "2"), ent("ordinal", "2")])
    chat.run(ActionChoose, "and the first one", "choose", [ent("ordinal", "1")])
    chat.run(ActionShowCart, "what's in my cart?", "show_cart")
    second, first = retriever.get(ids[1]), retriever.get(ids[0])
    total = round(2 * second.price + first.price, 2)
    assert f"3 items, ${total:,.2f} in total" in chat.text, chat.text
    assert f"2 × {second.name} (${second.price:,.2f} each)" in chat.text
    assert sorted(chat.card_ids) == sorted([ids[0], ids[1]])


def test_a_question_is_answered_with_the_products_own_text(chat, retriever):
    ids = shown(chat)
    p = retriever.get(ids[0])
    chat.run(ActionAnswerQuestion, "what is the first one made of?", "ask_product_question", [ent("ordinal", "1")])
    assert chat.text == f'About {p.name}, the product page says: "material: {p.attributes["material"]}"'
    # "it" is now that product; what the catalog doesn't say is not guessed
    chat.run(ActionAnswerQuestion, "does it come with a five year warranty?", "ask_product_question")
    assert chat.text.startswith(f"The product page for {p.name} doesn't say, so I won't guess.")
    assert "material " + p.attributes["material"] in chat.text


def test_a_question_before_anything_was_shown(chat):
    chat.run(ActionAnswerQuestion, "is it waterproof?", "ask_product_question")
    assert "haven't shown you any products" in chat.text


def test_asking_for_a_person_gets_the_hand_off_reply_whatever_the_nlu_said(chat):
    for intent in ("bot_challenge", "out_of_scope", "nlu_fallback"):
        chat.run(ActionSmalltalk, "I want to talk to a real person", intent)
        assert chat.messages[0]["outcome"] == "handoff" and "person" in chat.text and not chat.cards
    chat.run(ActionSmalltalk, "are you a bot?", "bot_challenge")
    assert chat.messages[0]["outcome"] == "smalltalk"


def test_second_one_after_a_shorter_list_means_the_earlier_lists_second(chat, retriever, store):
    """ "shampoo under 300" showed 3, "a bit cheaper?" showed 1, "what about the 2nd one": the earlier list's."""
    ids = shown(chat)
    store.set_shown(chat.sender, [ids[2]])
    chat.run(ActionShowDetails, "what about the 2nd one", "ask_details", [ent("ordinal", "2")])
    assert "mean number 2 of the 3 before that" in chat.text
    assert chat.cards[0]["id"] == ids[1]
    assert store.get_shown_before(chat.sender) == ids


def test_a_number_past_both_lists_is_still_out_of_range(chat, store):
    ids = shown(chat)
    store.set_shown(chat.sender, [ids[0]])
    chat.run(ActionShowDetails, "the fifth one", "ask_details", [ent("ordinal", "5")])
    assert "I only showed you one product" in chat.text and not chat.cards


def test_showing_the_same_list_again_keeps_the_earlier_one(chat, store):
    ids = shown(chat)
    store.set_shown(chat.sender, [ids[0]])
    store.set_shown(chat.sender, [ids[0]])
    assert store.get_shown_before(chat.sender) == ids
