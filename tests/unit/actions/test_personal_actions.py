"""The shopper's preferences in the dialogue: noted when stated, applied to search (and said so), listed,
forgotten one by one, switched off, erased; a new shopper gets exactly today's ranking."""
from __future__ import annotations

import pytest
from action_helpers import Chat, P, products, services_for

from actions.base import ShopAction
from actions.search import ActionAssessRequest, ActionRecommend
from actions.service import ActionPrivacy
from retrieval.memory import InMemoryRetriever
from shopper.profile import ProfileBook
from support.redis_process import traces

SNACKS = ["Grocery", "Snacks", "Snack Bars"]


def catalog():
    return products() + [
        P("s1", "Crunchy Honey Snack Bar", "Barnhouse", 3.49, SNACKS, 4.6),
        P("s2", "Chocolate Snack Bar", "Barnhouse", 2.99, SNACKS, 4.5),
        P("s3", "Greenleaf Naturals Vegan Oat Snack Bar", "Greenleaf Naturals", 3.99, SNACKS, 4.1, diet="Vegan"),
        P("s4", "Almond Vegan Snack Bar", "Nutty Co", 4.49, SNACKS, 4.0, diet="Vegan"),
        P("c2", "Salted Potato Chips Sharing Bag", "Hillside Kettle", 3.49, ["Grocery", "Snacks", "Potato Chips"], 4.1),
        P("g1", "Potato Chips Poker Set", "Gamenight", 15.99, ["Toys & Games", "Card Games"], 4.5),
    ]


@pytest.fixture
def personal(store, redis_client):
    services = services_for(InMemoryRetriever(catalog(), name="test"), store)
    services.profiles = ProfileBook(redis_client, "test", ttl_s=600)
    return services


def search(chat, text):
    chat.run(ActionAssessRequest, text, "search_product")
    chat.run(ActionRecommend, text, "search_product")


def test_a_stated_diet_and_brand_shape_the_next_search_and_the_reply_says_so(personal):
    chat = Chat(personal)
    chat.run(ActionAssessRequest, "I only buy vegan food, and I love Greenleaf Naturals", "search_product")
    assert "Noted: you eat vegan and you like Greenleaf Naturals" in chat.text
    search(chat, "show me some snack bars")
    assert set(chat.card_ids) <= {"s3", "s4"} and chat.card_ids[0] == "s3"
    assert "vegan, as you asked" in chat.text


def test_a_new_shopper_gets_todays_ranking(personal, store):
    plain = Chat(services_for(InMemoryRetriever(catalog(), name="test"), store), sender="plain")
    new = Chat(personal, sender="newcomer")
    search(plain, "show me some snack bars")
    search(new, "show me some snack bars")
    assert new.card_ids == plain.card_ids and "as you asked" not in new.text


def test_an_allergy_leaves_out_what_mentions_it_and_nothing_fitting_is_said_plainly(personal):
    chat = Chat(personal)
    chat.run(ActionAssessRequest, "I'm vegan and I'm allergic to nuts", "search_product")
    search(chat, "snack bars")
    assert chat.card_ids == ["s3"]
    chat2 = Chat(personal, sender="vegan2")
    chat2.run(ActionAssessRequest, "I'm vegan", "search_product")
    search(chat2, "potato chips")
    assert chat2.cards == [] and "none that fit what you told me: you eat vegan" in chat2.text
    assert "as you asked" not in chat2.text  # nor the poker set that happens to match the words


def test_memory_is_listed_forgotten_one_by_one_and_switched_off(personal):
    chat = Chat(personal)
    chat.run(ActionAssessRequest, "I'm vegan and I love Greenleaf Naturals", "search_product")
    chat.run(ActionPrivacy, "what do you remember about me?", "ask_privacy")
    assert "Here's what I remember: you eat vegan and you like Greenleaf Naturals" in chat.text
    events = chat.run(ActionAssessRequest, "forget that I'm vegan", "search_product")  # whatever the NLU said
    assert "I've forgotten that you eat vegan" in chat.text and events == [{"event": "followup", "name": "action_listen"}]
    chat.run(ActionRecommend, "stop personalising", "refine")
    assert "stopped personalising" in chat.text
    chat.run(ActionPrivacy, "what do you know about me", "ask_privacy")
    assert "Personalisation is off" in chat.text
    chat.run(ActionAssessRequest, "I'm vegan", "search_product")
    assert "Noted" not in chat.text and personal.profiles.preferences(chat.sender) == []


def test_forget_me_erases_and_confirms(personal, redis_client):
    chat = Chat(personal)
    chat.run(ActionAssessRequest, "I'm vegan", "search_product")
    search(chat, "snack bars")
    chat.run(ShopActionProbe, "please delete everything you know about me", "deny")
    assert "I've deleted everything I kept about you" in chat.text
    assert [k for k in redis_client.scan_iter(match="*") if chat.sender in k] == [f"test:erase:{chat.sender}"]


class ShopActionProbe(ShopAction):
    """Any shopping action: the privacy controls come before its own work."""

    def name(self) -> str:
        return "action_probe"

    def act(self, turn):
        turn.say("greet")
        return []


def test_more_like_what_i_bought_last_time(personal):
    chat = Chat(personal)
    chat.run(ShopActionProbe, "more like what I bought last time", "search_product")
    assert "can't find more like it" in chat.text and chat.cards == []
    personal.profiles.signal(chat.sender, "k1", "bought")
    chat.run(ShopActionProbe, "more like what I bought last time", "search_product")
    assert chat.card_ids and "k1" not in chat.card_ids
    assert all(personal.retriever.get(pid).leaf_category == "Electric Kettle" for pid in chat.card_ids)


def link(personal, owner, other):
    import re

    owner.run(ShopActionProbe, "link my phone", "search_product")
    code = re.search(r"link code is ([A-Z0-9]{8})", owner.text).group(1)
    other.run(ShopActionProbe, f"link {code}", "search_product")
    return code


def test_linked_chats_share_one_profile_and_cart_from_then_on(personal):
    kiosk, phone, stranger = Chat(personal, sender="kiosk-s"), Chat(personal, sender="phone-s"), Chat(personal, sender="x-s")
    kiosk.run(ActionAssessRequest, "I'm vegan and I love Greenleaf Naturals", "search_product")
    personal.store.add_to_cart("kiosk-s", "s3", 2, price=3.99)
    personal.store.add_to_cart("phone-s", "s4", 1, price=4.49)  # the phone's own cart joins the shared one
    code = link(personal, kiosk, phone)
    assert "share your preferences (2) and your cart (3 items)" in phone.text
    phone.run(ActionAssessRequest, "I never buy Barnhouse", "search_product")  # said on the phone ...
    kiosk.run(ActionPrivacy, "what do you remember about me?", "ask_privacy")  # ... known at the kiosk
    assert "you'd rather not buy Barnhouse" in kiosk.text and "you eat vegan" in kiosk.text
    search(phone, "show me some snack bars")
    assert set(phone.card_ids) <= {"s3", "s4"} and "vegan, as you asked" in phone.text
    personal.store.add_to_cart(personal.profiles.identity("phone-s"), "s1", 1, price=3.49)
    assert personal.store.get_cart("kiosk-s") == {"s3": 2, "s4": 1, "s1": 1}
    stranger.run(ShopActionProbe, f"link {code}", "search_product")  # used once: a second use gets nothing
    assert "That code doesn't work" in stranger.text and personal.profiles.preferences("x-s") == []
    assert personal.profiles.identity("x-s") == "x-s" and personal.store.get_cart("x-s") == {}


def test_forget_me_in_a_linked_chat_erases_the_shared_profile_and_the_link(personal, redis_client):
    web, phone = Chat(personal, sender="web-s-0123456789abcdef"), Chat(personal, sender="phone-s-0123456789abcdef")
    web.run(ActionAssessRequest, "I'm vegan", "search_product")
    personal.store.add_to_cart("web-s-0123456789abcdef", "s3", 1, price=3.99)
    link(personal, web, phone)
    phone.run(ShopActionProbe, "forget me", "search_product")
    assert "I've deleted everything I kept about you" in phone.text
    assert personal.profiles.preferences("web-s-0123456789abcdef") == []
    assert personal.store.get_cart("web-s-0123456789abcdef") == {}
    left = traces(redis_client, "phone-s-0123456789abcdef")
    assert left == ["test:erase:phone-s-0123456789abcdef"]  # the Rasa process deletes the tracker after the turn
    personal.store.add_to_cart("web-s-0123456789abcdef", "s4", 1)  # the owner chat forgets too: its links go
    link(personal, web, phone)
    web.run(ShopActionProbe, "forget me", "search_product")
    assert personal.profiles.identity("phone-s-0123456789abcdef") == "phone-s-0123456789abcdef"


def test_guessing_link_codes_is_locked_after_five_misses(personal):
    book = personal.profiles
    code = book.link_code("owner-s")
    assert [book.redeem("guesser", "ZZZZZZZZ") for _ in range(5)] == [None] * 5
    assert book.redeem("guesser", code) is None  # even the right code, once locked out
    assert book.redeem("someone-else", code.lower()) == "owner-s"
    assert 0 < personal.store.r.ttl(f"test:link:{book.link_code('owner-s')}") <= 600


def test_cards_name_the_preferences_they_meet(personal):
    chat = Chat(personal)
    chat.run(ActionAssessRequest, "I'm vegan and I love Greenleaf Naturals", "search_product")
    search(chat, "snack bars")
    reasons = {c["id"]: c.get("reason", "") for c in chat.cards}
    assert "vegan, as you asked" in reasons["s3"] and "Greenleaf Naturals, a brand you like" in reasons["s3"]
    assert "a brand you like" not in reasons.get("s4", "")


def test_a_message_that_only_states_preferences_is_noted_without_a_search(personal):
    chat = Chat(personal)
    events = chat.run(ActionAssessRequest, "hey there, I'm gluten free and I really like Greenleaf Naturals", "search_product")
    assert events == [{"event": "followup", "name": "action_listen"}] and chat.cards == []
    assert "Noted: you eat gluten-free and you like Greenleaf Naturals" in chat.text and "What can I find" in chat.text
    chat.run(ActionAssessRequest, "I'm vegan, show me some snack bars", "search_product")
    assert "Noted: you eat vegan" in chat.text and "What can I find" not in chat.text


def test_add_it_uses_the_size_the_shopper_said_they_wear(store, redis_client):
    from test_cards_variants import catalog as shoes

    from actions.cart import ActionChoose

    services = services_for(InMemoryRetriever(shoes(), name="shoes"), store)
    services.profiles = ProfileBook(redis_client, "test", ttl_s=600)
    chat = Chat(services)
    chat.run(ActionAssessRequest, "I'm a UK 10 in shoes", "search_product")
    store.set_shown(chat.sender, ["v1"])
    chat.run(ActionChoose, "add the first one", "add_to_cart")
    assert store.get_cart(chat.sender) == {"v2": 1}  # the blue model in UK 10, not a size question
    other = Chat(services, sender="no-size")
    store.set_shown("no-size", ["v1"])
    other.run(ActionChoose, "add the first one", "add_to_cart")
    assert "Which size" in other.text and store.get_cart("no-size") == {}
