"""Reply texts for checkout, orders, pickup reservations and the staff hand-off (merged into ``templates``).

Every figure comes from the facts: catalog prices re-read at checkout, the order and reservation records.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from actions.replies.text import join


def _lines(lines: List[Dict[str, Any]]) -> str:
    return "; ".join(f"{ln['quantity']} x {ln['name']} at {ln['price_text']}" for ln in lines)


def _changes(changes: List[Dict[str, str]]) -> str:
    return " ".join(f"The price of {c['name']} has changed from {c['was_text']} to {c['now_text']}." for c in changes)


def _confirm(f: Dict[str, Any]) -> str:
    text = _changes(f.get("price_changes") or [])
    text = (text + " " if text else "") + (
        f"Here's your order: {_lines(f['lines'])}. Total {f['cart_total_text']}, {f['fulfilment_text']}. "
        'Shall I place it? Say "place the order", or tell me if you\'d rather pick it up at a store.'
    )
    return text


def _placed(f: Dict[str, Any]) -> str:
    return (
        f"Done! Your order number is {f['order_id']}: {_lines(f['lines'])}, {f['total_text']} in total, "
        f"{f['fulfilment_text']}. Review it and pay here: {f['link']} (the link works for {f.get('link_hours', 24)} hours). "
        'Ask me "where is my order?" any time.'
    )


def _status(f: Dict[str, Any]) -> str:
    steps = join([f"{h['status_text']} {h['when_text']}" for h in f.get("history") or []])
    return (
        f"Order {f['order_id']} ({_lines(f['lines'])}, {f['total_text']}, {f['fulfilment_text']}) is "
        f"{f['status_text']}." + (f" So far: {steps}." if steps else "")
    )


def _order_list(f: Dict[str, Any]) -> str:
    return (
        "Your recent orders: "
        + "; ".join(
            f"{o['order_id']} on {o['when_text']}: {o['items_text']}, {o['total_text']}, {o['status_text']}"
            for o in f["orders"]
        )
        + "."
    )


def _held(f: Dict[str, Any]) -> str:
    return (
        f"Reserved: {f['quantity']} x {f['name']} at {f['store_name']}, held until {f['until_text']}. "
        f"Your pickup code is {f['code']}: show it at the counter and pay in store. "
        'Say "cancel my reservation" if your plans change.'
    )


def _handoff_queued(f: Dict[str, Any]) -> str:
    where = f" at {f['store_name']}" if f.get("store_name") else ""
    ahead = int(f.get("position") or 1) - 1
    queue = (
        "You're next in line."
        if ahead <= 0
        else f"There {'is' if ahead == 1 else 'are'} {ahead} shopper{'s' if ahead != 1 else ''} ahead of you."
    )
    return (
        f"I've asked a member of our staff{where} to join this chat. {queue} They'll see what we talked about, "
        'so you won\'t need to repeat yourself. Until they reply I can keep helping; say "back to the bot" '
        "any time to carry on with me."
    )


ORDER_TEMPLATES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "checkout_declined": lambda f: "OK, I haven't placed it. Your cart is still there when you're ready.",
    "checkout_empty": lambda f: "Your cart is empty, so there's nothing to check out yet. What would you like to find?",
    "unknown_store": lambda f: (
        f'We don\'t have a store called "{f["store_name"]}". Our stores are {join(f["store_names"])}.'
    ),
    "checkout_confirm": _confirm,
    "price_changed": lambda f: _changes(f["price_changes"]) + " Please check the order again before I place it.",
    "sold_out": lambda f: (
        f"Sorry, {f['name']} has just sold out at {f['where']}, so I didn't place the order and nothing was "
        "charged. Remove it from your cart or pick it up at another store."
    ),
    "order_placed": _placed,
    "order_exists": lambda f: f"Order {f['order_id']} is already placed ({f['status_text']}). Its page: {f['link']}.",
    "order_unknown": lambda f: (
        f"I can't find an order {f['order_id']} among your orders. Check the number on your confirmation, "
        "or ask for a person and our staff will look it up."
    ),
    "order_list": _order_list,
    "order_status": _status,
    "order_cancelled": lambda f: (
        f"Order {f['order_id']} is cancelled and you won't be charged for it ({f['total_text']})."
    ),
    "order_not_cancellable": lambda f: (
        f"Order {f['order_id']} is {f['status_text']}, so it can't be cancelled any more: our policy allows "
        "cancelling only until an order ships. You can return it within 30 days instead."
    ),
    "address_needed": lambda f: (
        f"Sure, order {f['order_id']} ({f['fulfilment_text']}). Tell me the new address in one message, "
        'e.g. "change the address to 12 Oak Street, Springfield".'
    ),
    "address_changed": lambda f: f"Done: order {f['order_id']} will now go to {f['address']}.",
    "address_not_changeable": lambda f: (
        f"Order {f['order_id']} is {f['status_text']} ({f['fulfilment_text']}), so its delivery address can't be "
        "changed any more: our policy allows it only until an order ships, and only for delivery orders."
    ),
    "reserve_held": _held,
    "reserve_short": lambda f: (
        f"Sorry, {f['store_name']} has only {f['available']} of {f['name']} left, so I can't hold {f['quantity']}."
        + (f" {join(f['elsewhere'])} {'has' if len(f['elsewhere']) == 1 else 'have'} it." if f.get("elsewhere") else "")
    ),
    "reserve_no_store": lambda f: f"Which store should I hold {f['name']} at? Our stores are {join(f['store_names'])}.",
    "reserve_bad_quantity": lambda f: f"I can hold 1 to {f['max']} units in one reservation. How many would you like?",
    "reserve_cancelled": lambda f: f"Reservation {f['code']} is cancelled and the item is back on the shelf.",
    "reserve_none": lambda f: "You have no reservation to cancel.",
    "handoff_queued": _handoff_queued,
    "ask_size": lambda f: (
        f"Which size of {f['name']}? "
        + (f"In stock: {join(f['sizes'])}." if f.get("sizes") else "No size is in stock right now.")
    ),
    "size_not_made": lambda f: (
        f"{f['name']} doesn't come in {f['size']}."
        + (f" Sizes in stock: {join(f['sizes'])}." if f.get("sizes") else "")
    ),
    "handoff_with_person": lambda f: "A member of our staff already has this conversation and will reply here.",
}
