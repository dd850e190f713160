"""Seeded synthetic facts for a frame: for the benchmark and the tests.

Names are invented here and deliberately awkward: digits, currency signs,
percentages, brackets, apostrophes and emoji, so that a reply that copies a
figure from its own words instead of from the facts is easy to catch.
"""

from __future__ import annotations

import random
from typing import Any, Dict, Iterable

from nlg.slots import product_slot

ADJ = ["Cozy", "Trail", "Urban", "Classic", "Ultra", "Silent", "Aero", "Pure", "Everyday", "Summit", "Nova", "Breeze"]
NOUN = [
    "Runner",
    "Mug",
    "Headphones",
    "Backpack",
    "Kettle",
    "Jacket",
    "Blender",
    "Lamp",
    "Sneaker",
    "Bottle",
    "Tee",
    "Desk",
]
TRICKY_NAMES = [
    "Pack of 12 Pens",
    "$5 Saver Bundle",
    '4K Monitor 27"',
    "₹199 Snack Combo",
    "100% Cotton Tee",
    "Model X-200 (2-pack)",
    "[p2_name] Mug",
    "Cozy ☕ Mug",
    "Tea Lights x 24",
    "€9.99 Gift Card Holder",
    "50% Off Sign",
    "Vitamin D3 1000 IU",
    "No. 5 Notebook",
    "Size 10 Trail Shoe",
    "USB-C 3.1 Cable 2m",
]
BRANDS = [
    "Stride",
    "Urbano",
    "Kettleworks",
    "Lumo",
    "Northpeak",
    "Brightside",
    "Verde",
    "Oakline",
    "Halo",
    "Maple & Co",
]
TRICKY_BRANDS = ["3M", "7th Heaven", "Levi's", "K&N", "A1", "Brand $ign", "100 Acre", "Twenty4"]
CATEGORIES = ["running shoes", "headphones", "coffee", "backpacks", "kitchen gadgets", "rain jackets", "desk lamps"]
PREFERENCES = ["waterproof", "in red", "under 300 g", "for trail running", "vegan", "with a 2-year warranty"]
RELAXED = ["the price limit", "the brand filter", "the colour", "the size", "the 4-star rating filter"]
REASONS = [
    "it is waterproof and under your budget",
    "it has the 4.8/5 rating you wanted",
    "it weighs just 250 g",
    "it matches the red colour you asked for",
    "it is the lightest of the three",
    "it comes in size 10",
]
FEATURES = [
    "a 30-hour battery",
    "waterproof leather",
    "a 1.5 L jug",
    "recycled materials",
    "noise cancelling",
    "3 speed settings",
]
STORES = ["the Downtown store", "Store #12", "Riverside Mall", "the Airport kiosk", "Main Street"]
HOURS = ["9am to 9pm daily", "10:00 to 20:00, Monday to Saturday", "8am to 10pm", "24 hours"]
AISLES = ["Aisle 7, Bay 3", "aisle 12", "Aisle B4", "the Garden aisle", "Aisle 3 near the tills"]
USERS = ["Sam", "Priya", "Jo", "Alex 2", "Mei"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "INR", "GBP"]


def _name(rng: random.Random, tricky: float) -> str:
    if rng.random() < tricky:
        return rng.choice(TRICKY_NAMES)
    return (
        f"{rng.choice(ADJ)} {rng.choice(NOUN)} {rng.randint(2, 900)}"
        if rng.random() < 0.4
        else f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
    )


def _price(rng: random.Random) -> float:
    return round(rng.choice([rng.uniform(2, 60), rng.uniform(60, 400)]), rng.choice([0, 2, 2]))


def facts_for_frame(frame: Iterable[str], rng: random.Random, tricky: float = 0.3) -> Dict[str, Any]:
    """Raw facts (as the dialogue would pass them) whose slot values are exactly ``frame``."""
    frame = set(frame)
    facts: Dict[str, Any] = {"currency": rng.choice(CURRENCIES)}
    used_names: set = set()
    brands = rng.sample(BRANDS + TRICKY_BRANDS, 3)
    for slot in sorted(frame):
        ps = product_slot(slot)
        if not ps:
            continue
        i, field = ps
        if field == "name":
            n = _name(rng, tricky)
            while n in used_names:
                n = _name(rng, tricky)
            used_names.add(n)
            facts[slot] = n
        elif field == "brand":
            facts[slot] = brands[i - 1]
        elif field == "price":
            facts[slot] = _price(rng)
        elif field == "rating":
            facts[slot] = round(rng.uniform(3.0, 5.0), 1)
        elif field == "reason":
            facts[slot] = rng.choice(REASONS)
        elif field == "feature":
            facts[slot] = rng.choice(FEATURES)
        elif field == "stock":
            facts[slot] = rng.randint(1, 40)
        elif field == "aisle":
            facts[slot] = rng.choice(AISLES)
    for slot in frame:
        ps = product_slot(slot)
        if ps and ps[1] == "list_price":
            facts[slot] = round(float(facts.get(f"p{ps[0]}_price", 10)) * rng.uniform(1.1, 1.6), 2)
    # brand names must not already be inside the product name (the content rules drop them)
    for slot in frame:
        ps = product_slot(slot)
        if ps and ps[1] == "brand":
            name = str(facts.get(f"p{ps[0]}_name", ""))
            if str(facts[slot]).lower() in name.lower():
                facts[slot] = "Oakline"
    g = {
        "user_name": lambda: rng.choice(USERS),
        "category": lambda: rng.choice(CATEGORIES),
        "preference": lambda: rng.choice(PREFERENCES),
        "budget": lambda: rng.choice([25, 50, 75.5, 100, 250, 1200]),
        "n_results": lambda: rng.randint(4, 60),
        "relaxed": lambda: rng.choice(RELAXED),
        "store_name": lambda: rng.choice(STORES),
        "store_hours": lambda: rng.choice(HOURS),
        "shipping_days": lambda: rng.choice([2, 3, 5, "3-5"]),
        "shipping_cost": lambda: rng.choice([4.99, 7, 12.5]),
        "free_shipping_min": lambda: rng.choice([35, 50, 99]),
        "return_days": lambda: rng.choice([14, 30, 60]),
        "cart_count": lambda: rng.randint(1, 9),
        "cart_total": lambda: round(rng.uniform(10, 500), 2),
    }
    for slot in frame:
        if not product_slot(slot):
            if slot not in g:
                raise KeyError(f"no generator for slot {slot!r}")
            facts[slot] = g[slot]()
    return facts
