"""Personal details typed into the chat, blanked before they reach the tracker, the logs or the phraser.

``redact(text)`` returns the text with e-mail addresses, card numbers (13-19 digits passing the Luhn
check), phone numbers (9-15 digits) and street addresses ("12 Oak Street") replaced by ``[email]``,
``[card number]``, ``[phone]`` and ``[address]``, plus what was found. The Rasa process calls it on every
message (``channels.rasa_plugins.guard``); a street address is kept aside for ten minutes in the shopper's
own Redis key so "change the address of order 40002 to 12 Oak Street" still works
(``shopper.profile.ProfileBook.given_address``). Order numbers (5 digits) and prices are left alone.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CARD_RE = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
PHONE_RE = re.compile(r"(?<![\w$£€₹])\+?\(?\d[\d ().-]{7,18}\d\b")
STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|boulevard|blvd|way|court|place|terrace|close|"
    r"crescent|square|parkway|highway|hwy|gardens|grove|mews"
)
ADDRESS_RE = re.compile(
    rf"\b\d{{1,5}}[a-z]?\s+(?:[A-Za-z][\w'-]*\s+){{1,3}}(?:{STREET_WORDS})\b\.?(?:,?\s*(?:apt|apartment|flat|unit|suite)\s*\w+)?"
    rf"(?:,\s*[A-Za-z][\w' -]{{1,40}}?)?(?:,?\s*[A-Z]{{1,2}}\d[\w ]{{1,6}}|,?\s*\d{{5}}(?:-\d{{4}})?)?(?=$|[.,;!?\s])",
    re.IGNORECASE,
)


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact(text: str) -> Tuple[str, Dict[str, List[str]]]:
    """(text with personal details blanked, {kind: [what was blanked]})."""
    found: Dict[str, List[str]] = {}

    def blank(kind: str, label: str):  # noqa: ANN202 - a re.sub callback
        def sub(m: re.Match) -> str:
            found.setdefault(kind, []).append(m.group(0).strip())
            return label

        return sub

    def card(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.setdefault("card", []).append(m.group(0))
            return "[card number]"
        return m.group(0)

    def phone(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if 9 <= len(digits) <= 15:
            found.setdefault("phone", []).append(m.group(0).strip())
            return "[phone]"
        return m.group(0)

    out = EMAIL_RE.sub(blank("email", "[email]"), text or "")
    out = CARD_RE.sub(card, out)
    out = ADDRESS_RE.sub(blank("address", "[address]"), out)
    out = PHONE_RE.sub(phone, out)
    return out, found
