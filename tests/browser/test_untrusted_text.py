"""Untrusted catalog text is shown as text, never run, in real Chromium: a catalog row whose product
name is ``<img src=x onerror=alert(1)>`` (brand and description ``<script>alert(2)</script>``) on the
web chat (a product card from a real search through Rasa and the action server, its Details, the
history after a reload), the staff console (a hand-off whose shopper looked at it) and the checkout
page of an order containing it.

The module runs its own stack (prefix ``xss``) on a small catalog: the demo catalog's toasters and
blenders plus one electric kettle, renamed to the payload, written as a .jsonl file in the demo
catalog's format (a PATH catalog with the demo mapping). The action server builds its search index
on first load, in a cache folder of this module's own.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest
from browser_env import VENDOR

from shopper import links
from support.stack import cards

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

NAME = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
QUERY = "I need an electric kettle"
KINDS = ("Toaster", "Blender")  # the rest of the catalog; the payload is its one electric kettle


def xss_catalog(path: Path) -> Dict[str, Any]:
    """Write the small catalog to ``path``; returns the payload row."""
    from retrieval.catalog import load_catalog, load_mapping
    from retrieval.demo_catalog import ensure_demo_catalog

    load_catalog("demo")  # generates the demo catalog when missing
    raw = ensure_demo_catalog(load_mapping("demo").resolve_path(REPO))
    rows = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines() if line.strip()]
    keep = [r for r in rows if r["category"][-1] in KINDS]
    payload = dict(next(r for r in rows if r["category"][-1] == "Electric Kettle"))
    payload.update(group=None, name=NAME, brand=SCRIPT, description=f"{SCRIPT} A kettle that boils water.")
    keep.insert(len(keep) // 2, payload)
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    assert load_catalog(str(path)).get(payload["id"]).name == NAME
    return payload


@pytest.fixture(scope="module")
def xss_stack(tmp_path_factory, browser_ready):
    from support.stack import DialogueStack, first_model_or_train

    if not (VENDOR / "socket.io.min.js").exists():
        pytest.fail("web/static/vendor is missing: run `make web-assets`")
    work = tmp_path_factory.mktemp("xss")
    product = xss_catalog(work / "xss_catalog.jsonl")
    stack = DialogueStack(work, first_model_or_train(), prefix="xss", nlg="templates",
                          staff_pin=f"{secrets.randbelow(10**6):06d}", catalog=str(work / "xss_catalog.jsonl"),
                          extra_env={"SHOPGUIDE_CACHE_DIR": str(work / "cache")})
    try:
        stack.start()
        stack.product = product
        yield stack
    finally:
        stack.close()


def handoff_sender(stack) -> str:
    """A REST shopper who searched (the payload among the cards), then asked for a person."""
    sid = f"xss-{uuid.uuid4().hex}"
    shown = cards(stack.send(sid, QUERY))
    assert stack.product["id"] in [c["id"] for c in shown], shown
    stack.send(sid, "/request_human")
    return sid


def checkout_url(stack) -> str:
    """The checkout link of an order of the payload product, placed on the stack's Redis."""
    import redis

    from shopper.orders import Line, OrderBook

    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    prefix = stack.settings.redis_prefix
    p = stack.product
    line = Line(product_id=p["id"], name=NAME, unit_price=p["price"], quantity=1, stores=[("downtown", 5)],
                variant=SCRIPT)
    placed = OrderBook(client, prefix).place(f"xss-{uuid.uuid4().hex}", [line],
                                             {"type": "pickup", "store_id": "downtown", "store_name": SCRIPT},
                                             idempotency_key=uuid.uuid4().hex)
    assert placed.status == "placed", placed
    secret = links.shared_secret(client, prefix, os.environ.get("SHOPGUIDE_CHECKOUT_SECRET"))
    return f"{stack.rasa_url}/checkout/{links.sign(placed.order['id'], secret, 3600)}"


@pytest.fixture(scope="module")
def shown(xss_stack, shots_dir):
    args = {"base": xss_stack.rasa_url, "shots": str(shots_dir), "pin": xss_stack.staff_pin, "query": QUERY,
            "product_id": xss_stack.product["id"], "name": NAME, "brand": SCRIPT,
            "handoff_sender": handoff_sender(xss_stack), "checkout_url": checkout_url(xss_stack), "timeout_s": 230}
    t0 = time.perf_counter()
    proc = subprocess.run(["node", str(HERE / "untrusted_scenario.cjs"), json.dumps(args)], cwd=REPO,
                          capture_output=True, text=True, timeout=240)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    result = json.loads(lines[-1][len("RESULT "):]) if lines else {}
    if proc.returncode != 0 or not lines or "error" in result:
        raise AssertionError(f"untrusted_scenario.cjs failed (exit {proc.returncode}) after "
                             f"{time.perf_counter() - t0:.1f}s:\n{json.dumps(result, indent=1)[:6000]}\n"
                             f"stderr:\n{proc.stderr[-3000:]}\nlogs: {xss_stack.workdir / 'logs'}")
    return result


def assert_inert(seen: Dict[str, Any]) -> None:
    assert seen["img_x"] == 0, "an <img src=x> was made from catalog text"
    assert seen["onerror"] == 0, "an element with an onerror attribute was made from catalog text"
    assert seen["scripts"] == 0, "a <script> was made from catalog text"


def test_no_dialog_opened_and_no_page_error(shown):
    assert shown["dialogs"] == []
    assert not [e for e in shown["errors"] if e.startswith("pageerror")]


def test_the_web_chat_card_shows_the_payload_as_text(shown):
    assert shown["chat_card"] == {"name": NAME, "brand": SCRIPT}
    assert shown["chat_details_name"] == NAME
    assert f"Details: {NAME}" in shown["chat_user_bubbles"]
    assert_inert(shown["chat"])
    assert shown["chat"]["text"] == [True, True]


def test_the_history_draws_it_as_text_again(shown):
    assert NAME in [c["name"] for c in shown["chat_history_cards"]]
    assert_inert(shown["chat_history"])
    assert shown["chat_history"]["text"] == [True, True]


def test_the_staff_console_shows_what_the_shopper_looked_at_as_text(shown):
    assert NAME in shown["staff_looking_names"]
    assert any(NAME in b for b in shown["staff_before"])  # the cards the shopper saw, by name
    assert_inert(shown["staff"])
    assert shown["staff"]["text"] == [True]


def test_the_checkout_page_shows_the_order_line_as_text(shown):
    assert shown["checkout_status"] == 200
    assert shown["checkout_lines"] == [NAME + SCRIPT]  # the name, then its variant
    assert_inert(shown["checkout"])
    assert shown["checkout"]["text"] == [True]
