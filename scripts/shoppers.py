"""Varied 6-turn shopping conversations for the load benchmark (scripts/bench_load.py).

Each conversation keeps the shape of bench_dialogue's fixed script (greet, search, refine, details,
compare, availability) but draws its words: the product need names one of the demo catalog's kinds
with a random budget, colour or purpose, so nearly every search text is new (as a real shopper's is,
and the NLU, query-vector and phrasing caches get no free hits from it); the short follow-ups come from
small pools of everyday wordings, and repeat across shoppers as such messages do.
"""

from __future__ import annotations

import random
from typing import List, Tuple

GREETINGS = ["hello", "hi", "hi there", "hey", "good morning", "hello!", "hey there", "good afternoon"]
KINDS = [
    "running shoes", "hiking boots", "a rain jacket", "yoga pants", "a winter coat", "sandals", "jeans",
    "a hoodie", "sneakers", "a backpack", "headphones", "a phone charger", "a laptop sleeve", "a frying pan",
    "a blender", "bath towels", "a duvet cover", "a dog leash", "a baby onesie", "notebooks", "a water bottle",
    "a tent", "a bike helmet", "coffee beans", "a desk lamp", "socks", "a t-shirt", "slippers", "a scarf",
]
COLOURS = ["black", "white", "blue", "red", "green", "grey", "navy", "pink", "brown", "beige"]
PURPOSES = ["for my son", "for travel", "for the gym", "as a gift", "for work", "for my daughter", "for camping",
            "for everyday use", "for my wife", "for the office"]
REFINES = ["show me other brands", "anything cheaper?", "show me more", "other brands please",
           "something cheaper please", "do you have other colours?", "show me different ones", "any other options?"]
DETAILS = ["tell me more about the {n} one", "more about the {n} one", "what about the {n} one?",
           "details on the {n} one please", "tell me about the {n} one"]
ORDINALS = ["first", "second", "third"]
COMPARES = ["compare them", "compare the first two", "how do they compare?", "compare the top two",
            "which one is better?"]
STOCK = ["is the {n} one in stock?", "is the {n} one available?", "do you have the {n} one in store?",
         "is the {n} one in stock at {store}?", "can I get the {n} one at {store}?"]
STORES = ["downtown", "riverside", "eastgate"]


def need(rng: random.Random) -> str:
    kind = rng.choice(KINDS)
    form = rng.randrange(6)
    if form == 0:
        return f"I'm looking for {kind} under ${rng.randint(15, 250)}"
    if form == 1:
        return f"do you have {rng.choice(COLOURS)} {kind.removeprefix('a ')}?"
    if form == 2:
        return f"I need {kind} {rng.choice(PURPOSES)}"
    if form == 3:
        return f"show me {kind} {rng.choice(PURPOSES)} under {rng.randint(15, 250)} dollars"
    if form == 4:
        return f"I want {rng.choice(COLOURS)} {kind.removeprefix('a ')} for less than ${rng.randint(15, 250)}"
    return f"looking for {kind}, budget around ${rng.randint(15, 250)}"


def conversation(rng: random.Random) -> List[Tuple[str, str]]:
    """One shopper's six (kind, text) turns."""
    return [
        ("greet", rng.choice(GREETINGS)),
        ("search", need(rng)),
        ("refine", rng.choice(REFINES)),
        ("details", rng.choice(DETAILS).format(n=rng.choice(ORDINALS))),
        ("compare", rng.choice(COMPARES)),
        ("availability", rng.choice(STOCK).format(n=rng.choice(ORDINALS[:2]), store=rng.choice(STORES))),
    ]
