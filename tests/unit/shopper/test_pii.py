"""E-mails, card and phone numbers and street addresses are blanked; order numbers and prices are not."""
from __future__ import annotations

import pytest

from shopper.pii import luhn_ok, redact


@pytest.mark.parametrize("text,out,kind", [
    ("my email is ann.lee@example.com", "my email is [email]", "email"),
    ("card 4111 1111 1111 1111 exp 12/27", "card [card number] exp 12/27", "card"),
    ("call me on +1 (555) 123-4567", "call me on [phone]", "phone"),
    ("change the address of order 40002 to 12 Oak Street, Springfield", "change the address of order 40002 to [address]", "address"),
    ("deliver to 221B Baker Street please", "deliver to [address] please", "address"),
])
def test_personal_details_are_blanked(text, out, kind):
    got, found = redact(text)
    assert got == out and kind in found


@pytest.mark.parametrize("text", [
    "where is order 40001?", "I need a kettle under $50", "a 2000 W heater", "1200 mcg vitamin D",
    "a 12 ct pack", "2 way radio", "the 3 piece set", "order 40001 and 40002", "4111 1111 1111 1112",
])
def test_shopping_words_and_numbers_stay(text):
    assert redact(text) == (text, {})


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
