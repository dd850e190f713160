"""Varied 6-turn shopping conversations for the load benchmark (scripts/bench_load.py).

Each conversation keeps the shape of bench_dialogue's fixed script (greet, search, refine, details,
compare, availability) but draws its words. The product need starts from a random product of the
catalog the stack serves (its kind, its colour, a budget 10-60% above its price), so the search finds
something and the follow-ups have products to talk about, and nearly every search text is new (as a
real shopper's is: the NLU, query-vector and phrasing caches get no free hits from it). Without the
catalog file it names one of a fixed list of kinds. The short follow-ups come from small pools of
everyday wordings, and repeat across shoppers as such messages do.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

# (kind, colour or None, price) of a catalog product
Item = Tuple[str, Optional[str], float]

GREETINGS = ["hello", "hi", "hi there", "hey", "good morning", "hello!", "hey there", "good afternoon"]
KINDS = [
    "running shoes", "hiking boots", "a rain jacket", "leggings", "a winter coat", "sandals", "jeans",
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


def load_catalog(path: Path) -> List[Item]:
    """(kind, colour, price) of each product of a catalog JSONL file; [] when there is none."""
    items: List[Item] = []
    if not path.exists():
        return items
    with open(path) as fh:
        for line in fh:
            p = json.loads(line)
            if p.get("category") and p.get("price"):
                colour = (p.get("attributes") or {}).get("colour")
                items.append((str(p["category"][-1]).lower(), str(colour).lower() if colour else None, float(p["price"])))
    return items


def need(rng: random.Random, catalog: Sequence[Item] = ()) -> str:
    if catalog:
        kind, colour, price = rng.choice(catalog)
        budget = math.ceil(price * rng.uniform(1.1, 1.6))
    else:
        kind, colour, budget = rng.choice(KINDS).removeprefix("a "), rng.choice(COLOURS), rng.randint(15, 250)
    form = rng.choice([0, 1, 2, 3, 4, 5] if colour else [0, 2, 3, 5])  # a colour only where the product has one
    if form == 0:
        return f"I'm looking for {kind} under ${budget}"
    if form == 1:
        return f"do you have {colour} {kind}?"
    if form == 2:
        return f"I need {kind} {rng.choice(PURPOSES)}"
    if form == 3:
        return f"show me {kind} {rng.choice(PURPOSES)} under {budget} dollars"
    if form == 4:
        return f"I want {colour} {kind} for less than ${budget}"
    return f"looking for {kind}, budget around ${budget}"


def conversation(rng: random.Random, catalog: Sequence[Item] = ()) -> List[Tuple[str, str]]:
    """One shopper's six (kind, text) turns."""
    return [
        ("greet", rng.choice(GREETINGS)),
        ("search", need(rng, catalog)),
        ("refine", rng.choice(REFINES)),
        ("details", rng.choice(DETAILS).format(n=rng.choice(ORDINALS))),
        ("compare", rng.choice(COMPARES)),
        ("availability", rng.choice(STOCK).format(n=rng.choice(ORDINALS[:2]), store=rng.choice(STORES))),
    ]
