"""Names and word lists the actions share (one place, no logic)."""

from __future__ import annotations

# Slots (bot/domain/shopping.yml)
SLOT_VAGUE = "vague_request"
SLOT_CATEGORY = "need_category"
SLOT_BUDGET = "need_budget"
SLOT_BRAND = "need_brand"
FORM_SLOTS = (SLOT_CATEGORY, SLOT_BUDGET, SLOT_BRAND)
SKIPPED = "any"  # value a skipped question gets

# Entities (bot/domain/*.yml)
ENT_PRODUCT = "product"
ENT_BRAND = "brand"
ENT_COLOUR = "colour"
ENT_MIN_PRICE = "min_price"
ENT_MAX_PRICE = "max_price"
ENT_ORDINAL = "ordinal"
ENT_QUANTITY = "quantity"
ENT_REFINEMENT = "refinement"
ENT_PRODUCT_ID = "product_id"

# Refinements (values of the `refinement` entity after synonym mapping)
CHEAPER, PRICIER, OTHER_BRAND, SIMILAR, MORE, START_OVER = (
    "cheaper",
    "pricier",
    "other_brand",
    "similar",
    "more",
    "start_over",
)
REFINEMENTS = (CHEAPER, PRICIER, OTHER_BRAND, SIMILAR, MORE, START_OVER)

MAX_QUANTITY = 99

SKIP_WORDS = frozenset("any anything whatever skip pass none no nope nah dunno".split()) | frozenset(
    {
        "don't care",
        "dont care",
        "i don't care",
        "doesn't matter",
        "does not matter",
        "no preference",
        "not fussed",
        "up to you",
        "you choose",
        "surprise me",
        "i don't mind",
        "no idea",
        "any brand",
        "any budget",
        "no budget",
        "either",
        "either is fine",
        "any is fine",
        "not sure",
    }
)

# Words that say nothing about what to search for.
STOP_WORDS = frozenset(
    """
a an the i i'm im me my mine we our you your it its this that these those some any for to of in on at
with and or but is are am be was were do does did have has had can could would should will shall
please pls want wanted need needs needed looking look find show get buy buying purchase shopping shop
like would'd 'd love prefer something anything stuff thing things item items product products one ones
kind sort type new good nice great cool best really just also maybe perhaps what which recommend
recommendation recommendations suggest suggestion suggestions idea ideas help around about there here
got sell selling have has do you any can from by up under over below above than less more cheap
cheaper cheapest pricier expensive affordable lower higher price prices priced similar other others
brand brands different another option options else next reset start over again instead same
ones please thanks ok okay yes no not actually now well oh hmm after nothing too pricey costly
who whom whose likes loves enjoys into he she they his hers their
""".split()
)

# Words of a vague request: an occasion or recipient, not a product.
VAGUE_WORDS = frozenset(
    """
gift gifts present presents treat myself surprise
kitchen home house garden office party birthday housewarming wedding christmas anniversary holiday
mom mum mother dad father parents wife husband friend friends kid kids child children daughter son
baby boyfriend girlfriend colleague teacher him her them someone somebody family grandma grandpa
sister brother sibling siblings aunt uncle niece nephew cousin grandmother grandfather grandparents grandson
granddaughter boss coworker partner neighbour neighbor bestie toddler teen teenager man woman men women guy
girl boy girls boys lady gentleman host hostess newborn bathroom bedroom living room garage car outdoors
""".split()
)

# Store-service intents -> the policy topics that answer them, the intent's own topic first
# (data/policies/, retrieval/policies.py); the best-matching section among them answers. ask_policy: any.
SERVICE_TOPICS: dict[str, tuple[str, ...] | None] = {
    "ask_returns": ("returns",),
    "ask_order_status": ("order_status",),
    # "can I collect it from a store?", "is delivery free?" are delivery questions with their own sections
    "ask_cancel_order": ("cancel_order", "returns"),  # "if I cancel, when is my refund?"
    "ask_delivery": ("delivery_area", "delivery_fees", "stores"),
    "ask_payment": ("payment",),
    "ask_stores": ("stores",),
    "ask_change_address": ("change_address",),
    "ask_policy": None,
}
ORDER_TOPICS = frozenset({"order_status", "cancel_order", "change_address"})  # answers that depend on one order
