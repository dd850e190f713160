"""What the assistant remembers about a shopper: noting stated preferences, using them in search, and the
shopper's controls ("what do you remember about me?", "forget that I'm vegan", "stop personalising",
"forget me"). docs/privacy.md.

Every shopping action passes through :func:`before_act` first (``actions.base.ShopAction.run``): a privacy
command is answered there and ends the turn, whatever intent the NLU gave it; otherwise preferences the
message states are remembered and acknowledged, and the action goes on.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from retrieval.variants import model_key
from shopper.preferences import Preference, extract, is_food, violates

if TYPE_CHECKING:
    from actions.base import Turn
    from shopper.profile import ProfileBook

ERASE_RE = re.compile(
    r"^\W*(?:please\s+)?(?:forget me|forget (?:all|everything)(?: about me| you know about me)?|"
    r"(?:delete|erase|remove|wipe) (?:all (?:of )?)?(?:my (?:data|history|profile|information|info|details)|"
    r"everything (?:you know |you have |you remember )?about me|everything)|right to be forgotten)\b",
    re.I,
)
SHOW_RE = re.compile(
    r"\bwhat (?:do|did|else do) you (?:remember|know|keep|store|have) (?:about|on) me\b|"
    r"\bwhat have you (?:remembered|saved|stored|noted)\b|\bshow (?:me )?(?:my (?:data|profile|preferences)|"
    r"what you (?:know|remember))\b|\bwhat (?:are )?my preferences\b",
    re.I,
)
OFF_RE = re.compile(
    r"\b(?:stop|don'?t|do not|no more) (?:personali[sz](?:e|ing)|remember(?:ing)? (?:me|my preferences|things|stuff))\b|"
    r"\bturn off personali[sz]ation\b|\bno personali[sz]ation\b",
    re.I,
)
ON_RE = re.compile(
    r"\b(?:start|turn on|resume|switch on) personali[sz](?:ing|ation)\b|\bpersonali[sz]e (?:again|me)\b|"
    r"\byou can remember (?:me|my preferences)(?: again)?\b",
    re.I,
)
LINK_START_RE = re.compile(
    r"\b(?:link|connect|sync) (?:my |this |to my |with my )?(?:phone|mobile|other (?:chat|device)|another (?:chat|device)|"
    r"devices?|accounts?|chats?|kiosk|telegram|whatsapp|messenger|slack)\b|\bcontinue on my (?:phone|mobile)\b|"
    r"\b(?:give|send) me a (?:link )?code\b",
    re.I,
)
LINK_CODE_RE = re.compile(r"^\W*(?:link|code|link code)[\s:]+([A-Za-z0-9]{8})\W*$", re.I)
MORE_LIKE_RE = re.compile(
    r"\b(?:more|something|things|anything) (?:like|similar to) (?:what|the (?:one|ones|thing|things|stuff)(?: that)?) "
    r"(?:i|we) (?:bought|ordered|got|purchased)\b|\bsimilar to my last (?:order|purchase)\b",
    re.I,
)
FORGET_ONE_RE = re.compile(
    r"\bforget (?:that |about )?(.+)|\bi'?m not (?:a |an )?(.+?) any ?more\b|\bi no longer (?:like |buy |eat )?(.+)|"
    r"\bremove (.+?) from (?:my )?(?:preferences|profile|what you remember)\b",
    re.I,
)


# first match wins: "forget me" before "forget that ...", a code before "link my phone"
COMMANDS = (
    ("erase", ERASE_RE),
    ("link_redeem", LINK_CODE_RE),
    ("link_start", LINK_START_RE),
    ("off", OFF_RE),
    ("on", ON_RE),
    ("show", SHOW_RE),
    ("more_like", MORE_LIKE_RE),
    ("forget", FORGET_ONE_RE),
)


def command(text: str) -> Optional[str]:
    """Which control ``text`` asks for (a name in COMMANDS), or None."""
    t = (text or "").strip()
    return next((name for name, pattern in COMMANDS if t and pattern.search(t)), None)


def profiles(turn: Turn) -> Optional[ProfileBook]:
    return turn.services.profiles if turn.services is not None else None


def extract_for(turn: Turn, text: str) -> List[Preference]:
    vocab = turn.retriever.vocab
    names = turn.retriever.store_names

    def store_of(phrase: str) -> Optional[str]:
        key = phrase.strip().lower()
        return vocab.stores.get(key) or next((sid for sid, n in names.items() if n.lower() == key), None)

    import time

    return extract(text, brand_of=vocab.brand_of, store_of=store_of, now=time.time())


def shown_name(turn: Turn, p: Preference) -> str:
    """A preference in words, with a store id as its name and a brand as the catalog spells it."""
    if p.kind == "store":
        return p.words().replace(p.value, turn.retriever.store_names.get(p.value, p.value))
    if p.kind in ("brand_like", "brand_avoid"):
        spelled = turn.retriever.catalog.brands.get(p.value.lower(), p.value)
        return p.words().replace(p.value, spelled)
    return p.words()


def before_act(turn: Turn) -> Optional[List[Dict[str, Any]]]:
    """Answer a privacy command (returns the turn's events: it ends here) or note stated preferences
    (returns None: the action goes on)."""
    book = profiles(turn)
    if book is None or not turn.text:
        return None
    cmd = command(turn.text)
    if cmd is not None:
        answer(turn, book, cmd)
        return [{"event": "followup", "name": "action_listen"}]
    stated = extract_for(turn, turn.text)
    new = book.remember(turn.shopper, stated)
    if new:
        turn.say("prefs_noted", {"items": [shown_name(turn, p) for p in new]})
    if stated and only_preferences(turn, turn.text) and book.personalised(turn.shopper):  # "Hi, I'm vegan"
        if not new:
            turn.say("prefs_noted", {"items": [shown_name(turn, p) for p in stated]})
        turn.say("prefs_ask_next")
        return [{"event": "followup", "name": "action_listen"}]
    return None


FILLER_RE = re.compile(
    r"^\W*(?:hi|hey|hello|hiya|hey there|hi there|good (?:morning|afternoon|evening)|ok|okay|so|well|also|and|"
    r"just so you know|fyi|by the way|btw|thanks|thank you)?\W*$",
    re.I,
)


def only_preferences(turn: Turn, text: str) -> bool:
    """Whether every part of ``text`` states a preference or is a greeting ("hey there, I'm gluten free")."""
    from shopper.preferences import clauses

    return all(FILLER_RE.match(c) or extract_for(turn, c) for c in clauses(text))


def answer(turn: Turn, book: ProfileBook, cmd: str) -> None:
    sender = turn.sender
    d = turn.settings.dialogue
    if cmd == "more_like":
        more_like_bought(turn, book)
        return
    if cmd == "link_start":
        turn.say("link_code", {"code": book.link_code(sender), "minutes": 10})
        return
    if cmd == "link_redeem":
        m = LINK_CODE_RE.search(turn.text)
        owner = book.redeem(sender, m.group(1) if m else "")
        if owner is None or owner == sender:
            turn.say("link_refused", {"same": owner == sender})
            return
        shared = book.link(sender, owner)
        items = sum(turn.store.get_cart(shared).values())
        turn.say("linked", {"quantity": len(book.preferences(shared)), "cart_items": items})
        return
    if cmd == "erase":
        counts = book.erase(sender)
        kept = counts["anonymised"]
        orders_text = (
            f"Your {kept} order{'s' if kept != 1 else ''} and pickup reservations stay with the store without "
            "your name or address. "
            if kept
            else ""
        )
        turn.say("memory_erased", {"orders_text": orders_text})
        return
    if cmd == "off":
        book.set_personalised(turn.shopper, False)
        turn.say("personalise_off")
        return
    if cmd == "on":
        book.set_personalised(turn.shopper, True)
        turn.say("personalise_on")
        return
    if cmd == "forget":
        said = turn.text.lower()
        stated = {p.key for p in extract_for(turn, re.sub(r"\b(?:forget|that|not|no longer|any ?more)\b", "", said))}

        def meant(p: Preference) -> bool:
            return p.key in stated or p.value.lower() in said or bool(p.kind == "size" and p.scope and p.scope in said)

        gone = book.forget(turn.shopper, meant)
        if gone:
            turn.say("memory_forgot", {"items": [shown_name(turn, p) for p in gone]})
        else:
            turn.say("memory_forgot_nothing", {"items": [shown_name(turn, p) for p in book.preferences(turn.shopper)]})
        return
    prefs = book.preferences(turn.shopper)
    engaged = book.engaged(turn.shopper)[:3]
    names = []
    for pid, _ in engaged:
        try:
            names.append(turn.retriever.get(pid).name)
        except KeyError:
            continue
    turn.say(
        "memory_list",
        {
            "items": [shown_name(turn, p) for p in prefs],
            "engaged_text": ", ".join(names),
            "personalised": book.personalised(turn.shopper),
            "cart_days": d.profile_ttl_s // 86400,
        },
    )


def more_like_bought(turn: Turn, book: ProfileBook) -> None:
    """Products like the one the shopper bought most recently (their signals, else their latest order)."""
    from actions.results import show_results
    from shopper.store import SearchContext

    bought = [s["product_id"] for s in book.signals(turn.shopper) if s.get("what") == "bought"]
    if not bought and turn.services is not None and turn.services.orders is not None:
        latest = turn.services.orders.for_shopper(turn.sender, limit=1)
        bought = [str(ln.get("product_id")) for o in latest for ln in o.get("lines") or []]
    base = None
    for pid in bought:
        try:
            base = turn.retriever.get(pid)
            break
        except KeyError:
            continue
    if base is None:
        turn.say("nothing_bought")
        return
    hits = [h for h in turn.retriever.similar(base.id, k=40) if h.product.id != base.id]
    turn.store.clear_search(turn.sender)
    show_results(turn, SearchContext(query=(base.leaf_category or base.name).lower()), hits=hits)


# -- search --------------------------------------------------------------------------------------------


def active_preferences(turn: Turn) -> List[Preference]:
    """The shopper's preferences, or none when personalisation is off (one read for a whole list)."""
    book = profiles(turn)
    if book is None or not book.personalised(turn.shopper):
        return []
    return book.preferences(turn.shopper)


def search_profile(turn: Turn) -> Optional[Dict[str, Any]]:
    """What the engine's ranking uses: liked and avoided brands, the products engaged with and the weight
    of the shopper vector. None for a new shopper or one who turned personalisation off (today's ranking)."""
    book = profiles(turn)
    if book is None or not book.personalised(turn.shopper):
        return None
    prefs = book.preferences(turn.shopper)
    engaged = book.engaged(turn.shopper)[:20]
    products = []
    for pid, _ in engaged:
        try:
            products.append(turn.retriever.get(pid))
        except KeyError:
            continue
    colours = Counter((p.attributes.get("colour") or "").lower() for p in products) - Counter({"": 10**9})
    budget = next((p.value for p in prefs if p.kind == "budget"), None)
    prices = [p.price for p in products if p.price is not None]
    out: Dict[str, Any] = {
        "brands": [p.value for p in prefs if p.kind == "brand_like"],
        "avoid_brands": [p.value for p in prefs if p.kind == "brand_avoid"],
        "engaged": engaged,
        "personal_weight": turn.settings.dialogue.personal_weight,
        "preference_weight": turn.settings.dialogue.preference_weight,
        "colours": [c for c, _ in colours.most_common(2)],
        "known": sorted({model_key(p) for p in products}),
        "price_cap": float(budget) if budget else (max(prices) if prices else None),
    }
    return out if any(out[k] for k in ("brands", "avoid_brands", "engaged", "price_cap")) else None


def preference_reasons(prefs: Sequence[Preference], product: Any) -> List[str]:
    """The preferences ``product`` meets, in words for its card: a diet it says it meets, a liked brand."""
    out = []
    for p in prefs:
        if p.kind == "diet" and is_food(product) and violates(product, [p]) is None:
            out.append(f"{p.value}, as you asked")
        elif p.kind == "brand_like" and (product.brand or "").lower() == p.value.lower():
            out.append(f"{product.brand}, a brand you like")
    return out


def remembered_size(turn: Turn, product: Any) -> Optional[str]:
    """The size the shopper said they wear for this kind of product (shoes, or clothes), if any."""
    book = profiles(turn)
    if book is None or not book.personalised(turn.shopper):
        return None
    cats = " ".join(getattr(product, "category", None) or []).lower()
    scope = "shoes" if re.search(r"\b(?:footwear|shoes?|boots|sneakers|trainers|sandals)\b", cats) else "clothing"
    return next((p.value for p in book.preferences(turn.shopper) if p.kind == "size" and p.scope == scope), None)


def applied(shown: Sequence[Any], prefs: Sequence[Preference], dropped: int) -> List[str]:
    """The hard preferences that shaped this list, in words: those that removed a product, and diets the
    shown food meets."""
    out = []
    for pref in prefs:
        if pref.kind == "diet" and any(is_food(p) and violates(p, [pref]) is None for p in shown):
            out.append(f"{pref.value}, as you asked")
        elif dropped and pref.kind == "allergen":
            out.append(f"nothing that mentions {pref.value}")
        elif dropped and pref.kind == "brand_avoid":
            out.append(f"no {pref.value}")
    return list(dict.fromkeys(out))


def signal(turn: Turn, product_ids: Sequence[str], what: str) -> None:
    """Record that the shopper acted on products (viewed, compared, added, bought, reserved)."""
    book = profiles(turn)
    if book is None:
        return
    for pid in product_ids:
        book.signal(turn.shopper, pid, what)
