"""Reply texts for what the assistant remembers about a shopper (merged into ``templates``)."""

from __future__ import annotations

from typing import Any, Callable, Dict

from actions.replies.text import join

CONTROLS = (
    'Say "forget that I\'m vegan" (or any item) to drop one, "stop personalising" to turn it off, '
    'or "forget me" to delete everything.'
)


def _noted(f: Dict[str, Any]) -> str:
    return f'Noted: {join(f["items"])}. I\'ll keep to that when I search ("what do you remember about me?" shows it).'


def _applied(f: Dict[str, Any]) -> str:
    return f'I kept to what you told me: {join(f["items"])}. Say "forget that ..." to drop it.'


def _nothing_fits(f: Dict[str, Any]) -> str:
    return (
        f"I found {f.get('query') or 'some'} products, but none that fit what you told me: {join(f['items'])}. "
        'Say "forget that ..." if you\'d like to see them anyway.'
    )


def _memory(f: Dict[str, Any]) -> str:
    if not f.get("personalised", True):
        return (
            "Personalisation is off, so I keep no preferences or history for you; only this conversation, "
            f'your cart and your orders. Say "personalise again" to turn it back on. {CONTROLS}'
        )
    items = list(f.get("items") or [])
    engaged = f.get("engaged_text")
    if not items and not engaged:
        return (
            "I don't remember anything about you beyond this conversation and your cart. Tell me things like "
            f'"I\'m vegan" or "I\'m a UK 8 in shoes" and I\'ll keep them for {f.get("cart_days", 90)} days. {CONTROLS}'
        )
    text = f"Here's what I remember: {join(items)}." if items else "You haven't told me any preferences."
    if engaged:
        text += f" From what you looked at and bought I use: {engaged}."
    return f"{text} I keep this for {f.get('cart_days', 90)} days. {CONTROLS}"


def _forgot(f: Dict[str, Any]) -> str:
    return f"Done, I've forgotten that {join(f['items'])}."


def _forgot_nothing(f: Dict[str, Any]) -> str:
    items = f.get("items") or []
    known = f" What I remember: {join(items)}." if items else " I don't remember any preferences for you."
    return f"I don't have that noted.{known}"


def _erased(f: Dict[str, Any]) -> str:
    return (
        "Done. I've deleted everything I kept about you: this conversation, your cart, preferences and history. "
        f"{f.get('orders_text') or ''}From your next message this is a fresh start."
    ).replace("  ", " ")


PERSONAL_TEMPLATES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "prefs_noted": _noted,
    "prefs_applied": _applied,
    "prefs_ask_next": lambda f: "What can I find for you?",
    "prefs_nothing_fits": _nothing_fits,
    "memory_list": _memory,
    "memory_forgot": _forgot,
    "memory_forgot_nothing": _forgot_nothing,
    "memory_erased": _erased,
    "personalise_off": lambda f: (
        "Okay, I've stopped personalising and cleared your preferences and history: you see what everyone sees. "
        'Say "personalise again" to turn it back on.'
    ),
    "link_code": lambda f: (
        f"Your link code is {f['code']}. In the other chat (your phone, another device or a messaging app) say "
        f'"link {f["code"]}" within {f.get("minutes", 10)} minutes: your preferences and cart come with you. '
        "The code works once."
    ),
    "link_refused": lambda f: (
        "That's the code for this chat already."
        if f.get("same")
        else "That code doesn't work: it may be mistyped, used already or more than 10 minutes old. "
        'Say "link my phone" in the other chat for a new one.'
    ),
    "linked": lambda f: (
        f"Linked: this chat and the other one now share your preferences ({f['quantity']}) and your cart "
        f"({f['cart_items']} item{'s' if f['cart_items'] != 1 else ''}); what you change in one shows in both. "
        'Say "forget me" in either to delete it all.'
    ),
    "nothing_bought": lambda f: (
        "I don't see anything you've bought here yet, so I can't find more like it. Tell me what you're looking for!"
    ),
    "personalise_on": lambda f: "Personalisation is back on: tell me what you like and I'll keep it in mind.",
}
