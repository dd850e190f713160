"""Checkout, own orders, pickup reservations and the hand-off, through the actions, on a real Redis."""
from __future__ import annotations

import re

import pytest
from action_helpers import Chat, ent, services_for

from actions.cart import ActionChoose
from actions.orders import ActionCheckout, ActionPlaceOrder, about_my_order, order_id_in
from actions.refine import ActionRefine
from actions.reserve import ActionReserve
from actions.search import ActionAssessRequest, ActionRecommend
from actions.service import ActionAnswerService, ActionHandoff
from shopper.handoff import HandoffDesk
from shopper.links import shared_secret, verify
from shopper.orders import OrderBook
from shopper.reservations import Reservations


@pytest.fixture(scope="module")
def policies():
    from retrieval.encoder import get_encoder
    from retrieval.policies import PolicyIndex, load_policies

    return PolicyIndex(load_policies(), get_encoder())


@pytest.fixture
def services(retriever, store, policies):
    s = services_for(retriever, store)
    s.policies = policies
    s.orders = OrderBook(store.r, store.prefix)
    s.reservations = Reservations(store.r, store.prefix, hold_s=3600)
    s.desk = HandoffDesk(store.r, store.prefix)
    return s


def shown_kettles(chat):
    chat.run(ActionAssessRequest, "electric kettle", "search_product")
    chat.run(ActionRecommend, "electric kettle", "search_product")
    return chat.card_ids


def with_offer(chat, payload):
    """The tracker as Rasa keeps it after the bot offered a button with ``payload``."""
    return [{"event": "bot", "text": "Shall I place it?", "data": {"buttons": [{"title": "x", "payload": payload}]}}]


def test_checkout_quotes_then_places_one_order_and_links_to_it(chat, services, store, retriever):
    chat.run(ActionChoose, "add this one", "choose", [ent("product_id", "k1")])
    chat.run(ActionChoose, "and two of this", "choose", [ent("product_id", "k2"), ent("quantity", "2")])
    p1, p2 = retriever.get("k1"), retriever.get("k2")
    chat.run(ActionCheckout, "I'm ready to check out", "checkout")
    assert "Shall I place it?" in chat.text and f"${p1.price + 2 * p2.price:,.2f}" in chat.text
    assert chat.messages[-1]["buttons"][0]["payload"] == "/place_order"
    chat.run(ActionPlaceOrder, "place the order", "place_order")
    order_id = re.search(r"order number is (\d+)", chat.text).group(1)
    link = re.search(r"(http\S+/checkout/(\S+?)) ", chat.text)
    secret = shared_secret(store.r, store.prefix)
    assert verify(link.group(2), secret) == order_id
    assert store.get_cart("shopper1") == {}
    order = services.orders.get(order_id, "shopper1")
    assert [ln["quantity"] for ln in order["lines"]] == [1, 2]
    # a double click: the same order, no second one, no more stock taken
    units = services.orders.levels(p2.id, {s: st.quantity for s, st in p2.stock.items()})
    chat.run(ActionPlaceOrder, "place the order", "place_order")
    assert f"Order {order_id} is already placed" in chat.text
    assert len(services.orders.for_shopper("shopper1")) == 1
    assert services.orders.levels(p2.id, {s: st.quantity for s, st in p2.stock.items()}) == units


def test_yes_after_the_quote_places_it(chat, services):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k2")])
    chat.run(ActionCheckout, "checkout", "checkout")
    chat.run(ActionRefine, "yes", "affirm", events=with_offer(chat, "/place_order"))
    assert "order number is" in chat.text


def test_confirming_words_right_after_the_quote_place_it_whatever_the_intent(chat):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k2")])
    chat.run(ActionCheckout, "checkout", "checkout")
    chat.run(ActionCheckout, "complete my purchase", "checkout", events=with_offer(chat, "/place_order"))
    assert "order number is" in chat.text
    chat.run(ActionCheckout, "complete my purchase", "checkout")  # no quote offered just now: quote again
    assert "order number is" not in chat.text


def test_checkout_with_an_empty_cart_says_so(chat):
    chat.run(ActionCheckout, "check out", "checkout")
    assert "Your cart is empty" in chat.text


def test_a_price_that_changed_since_adding_is_said_before_confirming(chat, store, retriever):
    ids = shown_kettles(chat)
    chat.run(ActionChoose, "add the first one", "choose", [ent("ordinal", "1")])
    store.add_to_cart("shopper1", ids[0], 0, price=1.00)  # it was $1.00 when added
    chat.run(ActionCheckout, "check out", "checkout")
    p = retriever.get(ids[0])
    assert f"has changed from $1.00 to ${p.price:,.2f}" in chat.text


def test_pickup_at_a_store_without_the_units_is_sold_out_and_takes_nothing(chat, services):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k1")])
    chat.run(ActionCheckout, "check out for pickup at downtown", "checkout")  # k1: 0 at downtown
    assert "pickup at" in chat.text
    chat.run(ActionPlaceOrder, "place the order", "place_order")
    assert "just sold out" in chat.text and services.orders.for_shopper("shopper1") == []


def test_deliver_instead_switches_a_pickup_quote_to_delivery(chat):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k2")])
    chat.run(ActionCheckout, "check out for pickup at riverside", "checkout")
    deliver = next(b for b in chat.messages[-1]["buttons"] if b["title"] == "Deliver instead")
    assert deliver["payload"] == '/checkout{"store":"delivery"}'
    chat.run(ActionCheckout, "", "checkout", [ent("store", "delivery")])
    assert "delivery (you give the address when you pay)" in chat.text


def test_unknown_store_at_checkout_is_named(chat):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k2")])
    chat.run(ActionCheckout, "check out with pickup at the airport store", "checkout")
    assert 'We don\'t have a store called "airport"' in chat.text


def place(chat, pid="k2", how="check out"):
    chat.run(ActionChoose, "add it", "choose", [ent("product_id", pid)])
    chat.run(ActionCheckout, how, "checkout")
    chat.run(ActionPlaceOrder, "place the order", "place_order")
    return re.search(r"order number is (\d+)", chat.text).group(1)


def test_status_cancel_and_address_of_own_orders_only(chat, services):
    oid = place(chat)
    chat.run(ActionAnswerService, f"where is my order {oid}?", "ask_order_status")
    assert f"Order {oid}" in chat.text and "is placed" in chat.text
    services.orders.advance(oid)
    chat.run(ActionAnswerService, "where is my order?", "ask_order_status")
    assert "is packed" in chat.text and "So far: placed" in chat.text
    chat.run(ActionAnswerService, "change the address to 12 Oak Street, Springfield", "ask_change_address")
    assert "will now go to 12 Oak Street, Springfield" in chat.text
    chat.run(ActionAnswerService, "cancel it", "ask_cancel_order")
    assert f"Order {oid} is cancelled" in chat.text
    # another shopper: the same words as for a number that does not exist
    mallory = Chat(services, sender="mallory")
    mallory.run(ActionAnswerService, f"where is my order {oid}?", "ask_order_status")
    leaked = mallory.text
    mallory.run(ActionAnswerService, "where is my order 99999?", "ask_order_status")
    assert leaked.replace(oid, "N") == mallory.text.replace("99999", "N")
    assert "can't find an order" in leaked


def test_shipped_orders_cannot_be_cancelled(chat, services):
    oid = place(chat)
    services.orders.advance(oid, "shipped")
    chat.run(ActionAnswerService, f"please cancel order {oid}", "ask_cancel_order")
    assert "can't be cancelled any more" in chat.text


def test_how_to_questions_still_get_the_policy(chat, services):
    place(chat)
    chat.run(ActionAnswerService, "how do I cancel an order?", "ask_cancel_order")
    assert "(from" in chat.text.lower() or "policy" in chat.text.lower()
    assert services.orders.for_shopper("shopper1")[0]["status"] == "placed"


@pytest.mark.parametrize("text", ["how do I cancel an order?", "what is your cancellation policy", "if I cancel is it free?"])
def test_general_questions_are_not_about_my_order(text):
    assert not about_my_order(text, changes_it=True)


@pytest.mark.parametrize("text,expected", [("where is my order 40213?", "40213"), ("order #40007", "40007"),
                                           ("status of 40001", "40001"), ("I ordered 2 kettles", None)])
def test_order_numbers(text, expected):
    assert order_id_in(text) == expected


def test_reserve_the_second_one_at_riverside(chat, services, retriever):
    ids = ["k3", "k2", "k1"]
    services.store.set_shown("shopper1", ids)  # k2: 10 on the shelf at riverside
    chat.run(ActionReserve, "reserve the second one at riverside", "reserve", [ent("ordinal", "2")])
    code = re.search(r"pickup code is ([A-Z0-9]{6})", chat.text).group(1)
    r = services.reservations.get(code, "shopper1")
    assert r["product_id"] == ids[1] and r["store_id"] == "riverside" and r["quantity"] == 1
    assert [x["code"] for x in services.reservations.for_store("riverside")] == [code]
    chat.run(ActionAnswerService, "cancel my reservation", "ask_cancel_order")
    assert f"Reservation {code} is cancelled" in chat.text
    assert services.reservations.for_store("riverside") == []


@pytest.mark.parametrize("text", ["reserve 0 of it at riverside", "reserve -2 at riverside",
                                  "reserve 500 at riverside", "reserve loads of them at riverside"])
def test_bad_reservation_quantities_get_a_clear_reply(chat, text):
    chat.run(ActionReserve, text, "reserve", [ent("product_id", "k2")])
    assert "I can hold 1 to 10 units" in chat.text


def test_reserving_at_a_store_that_lacks_it_or_an_unknown_store(chat, services):
    chat.run(ActionReserve, "reserve it at downtown", "reserve", [ent("product_id", "k1")])  # 0 downtown
    assert "downtown has only 0" in chat.text.lower() and "has only 0" in chat.text and "riverside" in chat.text.lower()
    chat.run(ActionReserve, "reserve it at the airport store", "reserve", [ent("product_id", "k1")])
    assert 'We don\'t have a store called "airport"' in chat.text
    fresh = Chat(services, sender="fresh")  # no store said, none remembered
    fresh.run(ActionReserve, "reserve it", "reserve", [ent("product_id", "k3")])
    assert "Which store should I hold" in fresh.text


def test_the_kiosk_reserves_at_its_own_store(chat, services):
    chat.run(ActionReserve, "reserve two of it", "reserve", [ent("product_id", "k2"), ent("quantity", "2")],
             metadata={"store_id": "riverside"})
    assert "Reserved: 2 x" in chat.text and services.reservations.for_store("riverside")[0]["quantity"] == 2


def test_asking_for_a_person_queues_the_shopper_with_context(chat, services):
    shown_kettles(chat)
    chat.run(ActionHandoff, "I want to talk to a real person", "request_human", metadata={"store_id": "riverside"})
    assert "asked a member of our staff" in chat.text and "next in line" in chat.text
    state = services.desk.get("shopper1")
    assert state["status"] == "waiting" and state["store_id"] == "riverside"
    assert state["looking_at"] and state["last_messages"] == ["I want to talk to a real person"]
    other = Chat(services, sender="shopper2")
    other.run(ActionHandoff, "can I speak to someone", "request_human")
    assert "1 shopper ahead of you" in other.text


SHOES = ["Sports", "Footwear", "Running Shoes"]


@pytest.fixture
def shoe_chat(store, policies):
    from action_helpers import P

    from retrieval.memory import InMemoryRetriever

    shoes = [
        P(f"v{i}", f"Velocita Road Running Shoes - {c.title()}, UK {n}", "Velocita", 79.0, SHOES, 4.5, c,
          {"riverside": (q, "Aisle 20 - Running")}, size=f"UK {n}")
        for i, (c, n, q) in enumerate([("blue", 4, 2), ("blue", 7, 1), ("blue", 9, 0), ("red", 7, 3)])
    ]
    shoes = [s.copy(update={"group": "velocita-road"}) for s in shoes]
    s = services_for(InMemoryRetriever(shoes, name="shoes"), store)
    s.policies, s.orders = policies, OrderBook(store.r, store.prefix)
    s.reservations = Reservations(store.r, store.prefix, hold_s=3600)
    store.set_shown("shopper1", ["v0"])
    return Chat(s)


def test_adding_a_model_with_sizes_asks_the_size_then_takes_it(shoe_chat, store):
    shoe_chat.run(ActionChoose, "add the first one", "choose", [ent("ordinal", "1")])
    assert "Which size of Velocita Road Running Shoes? In stock: UK 4 and UK 7" in shoe_chat.text
    assert [b["title"] for b in shoe_chat.messages[-1]["buttons"]] == ["UK 4", "UK 7"]
    assert store.get_cart("shopper1") == {}
    shoe_chat.run(ActionChoose, "add the first one in a UK 7", "choose", [ent("ordinal", "1")])
    assert store.get_cart("shopper1") == {"v1": 1}  # the blue one shown, in UK 7
    shoe_chat.run(ActionChoose, "add the first one in red size 7", "choose", [ent("ordinal", "1"), ent("colour", "red")])
    assert store.get_cart("shopper1") == {"v1": 1, "v3": 1}


@pytest.mark.parametrize("typed", ["UK 7", "uk 7 please", "size UK 7", "I'll take the UK 7"])
def test_a_size_typed_after_the_question_is_taken_whatever_action_the_nlu_picked(shoe_chat, store, typed):
    from actions.search import ActionAssessRequest

    shoe_chat.run(ActionChoose, "add the first one", "choose", [ent("ordinal", "1")])
    asked = [{"event": "bot", "text": shoe_chat.text, "data": {"buttons": shoe_chat.messages[-1]["buttons"]}}]
    events = shoe_chat.run(ActionAssessRequest, typed, "search_product", events=asked)
    assert store.get_cart("shopper1") == {"v1": 1} and "Added" in shoe_chat.text
    assert events[-1] == {"event": "followup", "name": "action_listen"}  # the search the NLU chose does not run


def test_a_size_typed_without_a_size_question_is_no_answer(shoe_chat, store):
    from actions.search import ActionAssessRequest

    shoe_chat.run(ActionAssessRequest, "UK 7", "search_product")
    assert store.get_cart("shopper1") == {}
    other = [{"event": "bot", "text": "Anything else?", "data": {"buttons": [{"title": "UK 7", "payload": "/greet"}]}}]
    shoe_chat.run(ActionAssessRequest, "UK 7", "search_product", events=other)
    assert store.get_cart("shopper1") == {}  # a button that is not a size choice is not pressed


def test_a_size_typed_after_a_reservation_asked_it_holds_that_size(shoe_chat):
    shoe_chat.run(ActionReserve, "reserve the first one at riverside", "reserve", [ent("ordinal", "1")])
    asked = [{"event": "bot", "text": shoe_chat.text, "data": {"buttons": shoe_chat.messages[-1]["buttons"]}}]
    shoe_chat.run(ActionChoose, "UK 4", "choose", events=asked)
    code = re.search(r"pickup code is ([A-Z0-9]{6})", shoe_chat.text).group(1)
    assert shoe_chat.services.reservations.get(code)["variant"] == "UK 4, blue"


def test_a_size_the_model_does_not_come_in(shoe_chat, store):
    shoe_chat.run(ActionChoose, "add the first one in UK 15", "choose", [ent("ordinal", "1")])
    assert "doesn't come in UK 15" in shoe_chat.text and store.get_cart("shopper1") == {}


def test_reservations_hold_the_variant(shoe_chat):
    shoe_chat.run(ActionReserve, "reserve the first one in UK 4 at riverside", "reserve", [ent("ordinal", "1")])
    code = re.search(r"pickup code is ([A-Z0-9]{6})", shoe_chat.text).group(1)
    r = shoe_chat.services.reservations.get(code)
    assert r["product_id"] == "v0" and r["variant"] == "UK 4, blue"


def test_paying_words_the_nlu_was_unsure_of_still_check_out(chat):
    from actions.smalltalk import ActionSmalltalk

    chat.run(ActionChoose, "add it", "choose", [ent("product_id", "k2")])
    chat.run(ActionSmalltalk, "time to pay for my cart", "nlu_fallback")
    assert "Shall I place it?" in chat.text
    chat.run(ActionSmalltalk, "what's the weather", "nlu_fallback")
    assert "Shall I place it?" not in chat.text
