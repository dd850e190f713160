"""Orders and stock in Redis: place (atomic, idempotent), look up, advance, cancel, change the address.

Keys (``P`` = the prefix; documented in docs/dialogue.md):

=====================================  ======  ==========================================================
key                                    type    value
=====================================  ======  ==========================================================
``P:stock:<product id>``               hash    store id -> units on hand (seeded from the catalog)
``P:order:<id>``                       string  JSON order (below); kept ``order_ttl_s``
``P:orders:seq``                       string  the last order number (numbers start at 40001)
``P:shopper:S:orders``                 zset    the shopper's order ids by time placed
``P:idem:<key>``                       string  the order id a checkout's idempotency key made (1 day)
=====================================  ======  ==========================================================

An order: ``{"id", "sender", "status", "created_at", "history": [{"status", "at"}], "fulfilment":
{"type": "delivery" | "pickup", "store_id", "store_name", "address"}, "lines": [{"product_id", "name",
"variant", "unit_price", "quantity", "store_id"}], "total", "currency"}`` (times are unix seconds).

Ops move orders along: ``python -m shopper.orders advance 40001`` (see ``main``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from shopper import lua
from shopper.store import RedisPart, StoreUnavailable

FIRST_ORDER = 40000
DELIVERY_FLOW = ("placed", "packed", "shipped", "delivered")
PICKUP_FLOW = ("placed", "packed", "ready_for_pickup", "collected")
CANCELLABLE = ("placed", "packed")  # data/policies/order_changes.md: free to cancel until it ships
ADDRESS_CHANGEABLE = ("placed", "packed")  # the same policy: the address can change until it ships
IDEMPOTENCY_TTL_S = 24 * 3600
MAX_QUANTITY = 20  # per line: more is a wholesale enquiry, not a chat order


@dataclass
class Line:
    """One line to buy: what, how many, and the stores that could fill it (store id, catalog units)."""

    product_id: str
    name: str
    unit_price: float
    quantity: int
    stores: List[Tuple[str, int]]
    variant: Optional[str] = None


@dataclass
class Placed:
    """What ``OrderBook.place`` did: ``placed`` (new), ``duplicate`` (the same checkout again) or
    ``sold_out`` (``short`` names the line that could not be filled; nothing was taken)."""

    status: str
    order: Optional[Dict[str, Any]] = None
    short: Optional[Line] = None


@dataclass
class Moved:
    """What a status change did: ``ok``, ``missing`` (no such order for this shopper) or ``refused``
    (``status`` says where the order is, e.g. already shipped)."""

    result: str
    status: str = ""
    order: Optional[Dict[str, Any]] = field(default=None)


class OrderBook(RedisPart):
    """Orders and stock on one Redis (``redis.Redis`` with ``decode_responses=True``)."""

    def __init__(self, client: Any, prefix: str = "shopguide", order_ttl_s: int = 400 * 86400, url: str = "") -> None:
        self.r = client
        self.prefix = prefix
        self.order_ttl_s = order_ttl_s
        self.url = url

    def stock_key(self, product_id: str) -> str:
        return f"{self.prefix}:stock:{product_id}"

    def order_key(self, order_id: str) -> str:
        return f"{self.prefix}:order:{order_id}"

    def shopper_key(self, sender: str) -> str:
        return f"{self.prefix}:shopper:{sender}:orders"

    # stock
    def units(self, product_id: str, store_id: str, catalog_units: int) -> int:
        """Units on hand now: the ledger's figure, or the catalog's when nothing has moved yet."""
        v = self._call(self.r.hget, self.stock_key(product_id), store_id)
        return int(v) if v is not None else int(catalog_units)

    def levels(self, product_id: str, catalog: Dict[str, int]) -> Dict[str, int]:
        """Every store's units now for a product whose catalog stock is ``catalog`` (store id -> units)."""
        moved = self._call(self.r.hgetall, self.stock_key(product_id))
        return {s: int(moved.get(s, q)) for s, q in catalog.items()}

    # orders
    def place(
        self,
        sender: str,
        lines: Sequence[Line],
        fulfilment: Dict[str, Any],
        idempotency_key: str,
        currency: str = "USD",
        now: Optional[float] = None,
    ) -> Placed:
        """Take the stock and write the order in one atomic step; the same ``idempotency_key`` again
        returns the first order (a double click or a retried request makes one order)."""
        if not lines:
            raise ValueError("an order needs at least one line")
        now = time.time() if now is None else now
        self._call(self.r.set, f"{self.prefix}:orders:seq", FIRST_ORDER, nx=True)
        order = {
            "id": "",
            "sender": sender,
            "status": "placed",
            "created_at": now,
            "history": [{"status": "placed", "at": now}],
            "fulfilment": dict(fulfilment),
            "lines": [
                {
                    "product_id": ln.product_id,
                    "name": ln.name,
                    "variant": ln.variant,
                    "unit_price": round(float(ln.unit_price), 2),
                    "quantity": int(ln.quantity),
                    "store_id": "",
                }
                for ln in lines
            ],
            "total": round(sum(float(ln.unit_price) * int(ln.quantity) for ln in lines), 2),
            "currency": currency,
        }
        keys = [
            f"{self.prefix}:idem:{idempotency_key}",
            f"{self.prefix}:orders:seq",
            self.shopper_key(sender),
        ] + [self.stock_key(ln.product_id) for ln in lines]
        argv: List[Any] = [self.prefix, json.dumps(order), now, IDEMPOTENCY_TTL_S, self.order_ttl_s, len(lines)]
        for ln in lines:
            if not 1 <= int(ln.quantity) <= MAX_QUANTITY:
                raise ValueError(f"quantity must be 1 to {MAX_QUANTITY}, not {ln.quantity}")
            argv += [int(ln.quantity), len(ln.stores)]
            for store_id, units in ln.stores:
                argv += [store_id, max(0, int(units))]
        status, value = self._call(self._script("PLACE_ORDER", lua.PLACE_ORDER), keys=keys, args=argv)
        if status == "short":
            return Placed("sold_out", short=lines[int(value) - 1])
        return Placed("placed" if status == "placed" else "duplicate", order=self.get(value))

    def get(self, order_id: str, sender: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The order, or None; with ``sender``, None also when it is someone else's (nothing leaks)."""
        if not str(order_id).isdigit() or len(str(order_id)) > 12:
            return None
        raw = self._call(self.r.get, self.order_key(str(order_id)))
        if not raw:
            return None
        order = json.loads(raw)
        if sender is not None and order.get("sender") != sender:
            return None
        return order

    def for_shopper(self, sender: str, since: Optional[float] = None, limit: int = 10) -> List[Dict[str, Any]]:
        """The shopper's orders, newest first (``since``: placed at or after that time)."""
        ids = self._call(self.r.zrevrangebyscore, self.shopper_key(sender), "+inf", since or "-inf", 0, limit)
        orders = [self.get(i, sender) for i in ids]
        return [o for o in orders if o]

    def _move(
        self,
        order_id: str,
        sender: Optional[str],
        to: str,
        allowed: Sequence[str] = (),
        expect: str = "",
        restock: bool = False,
        set_field: Tuple[str, str] = ("", ""),
        now: Optional[float] = None,
    ) -> Moved:
        if self.get(order_id, sender) is None:
            return Moved("missing")
        now = time.time() if now is None else now
        args = [self.prefix, expect, to, ",".join(allowed), now, "1" if restock else "0", *set_field]
        result, status = self._call(
            self._script("MOVE_ORDER", lua.MOVE_ORDER), keys=[self.order_key(order_id)], args=args
        )
        return Moved(result, status, self.get(order_id))

    def cancel(self, order_id: str, sender: str, now: Optional[float] = None) -> Moved:
        """Cancel while the policy allows (before it ships); its stock goes back in the same step."""
        return self._move(order_id, sender, "cancelled", allowed=CANCELLABLE, restock=True, now=now)

    def change_address(self, order_id: str, sender: str, address: str, now: Optional[float] = None) -> Moved:
        """A new delivery address, while the order has not shipped (pickup orders have no address)."""
        order = self.get(order_id, sender)
        if order is None:
            return Moved("missing")
        if order["fulfilment"].get("type") != "delivery":
            return Moved("refused", "pickup", order)
        return self._move(
            order_id, sender, "", allowed=ADDRESS_CHANGEABLE, set_field=("address", address.strip()[:200]), now=now
        )

    def advance(self, order_id: str, to: Optional[str] = None, now: Optional[float] = None) -> Moved:
        """Move an order one step along its flow (or to ``to``, which must be later in that flow)."""
        order = self.get(order_id)
        if order is None:
            return Moved("missing")
        flow = PICKUP_FLOW if order["fulfilment"].get("type") == "pickup" else DELIVERY_FLOW
        status = order["status"]
        if status not in flow or status == flow[-1]:
            return Moved("refused", status, order)
        target = to or flow[flow.index(status) + 1]
        if target not in flow or flow.index(target) <= flow.index(status):
            return Moved("refused", status, order)
        return self._move(order_id, None, target, expect=status, now=now)


def connect_orders(settings: Any = None) -> OrderBook:
    """The order book on ``settings.dialogue``'s Redis."""
    from config import get_settings
    from shopper.store import connect

    s = settings or get_settings()
    store = connect(s)
    return OrderBook(store.r, store.prefix, s.dialogue.order_ttl_s, url=s.dialogue.redis)


def _print_order(order: Dict[str, Any]) -> None:
    when = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))  # noqa: E731
    print(f"order {order['id']} ({order['fulfilment'].get('type')}) - {order['status']}")
    for h in order["history"]:
        print(f"  {when(h['at'])}  {h['status']}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m shopper.orders advance ORDER [--to STATUS]`` | ``show ORDER`` | ``seed-demo`` | ``sweep``."""
    p = argparse.ArgumentParser(prog="python -m shopper.orders", description="ops commands for orders")
    sub = p.add_subparsers(dest="cmd", required=True)
    adv = sub.add_parser("advance", help="move an order to its next status (or --to a later one)")
    adv.add_argument("order")
    adv.add_argument("--to", choices=sorted(set(DELIVERY_FLOW + PICKUP_FLOW)))
    show = sub.add_parser("show", help="an order's status history")
    show.add_argument("order")
    sub.add_parser("seed-demo", help="a few orders for the demo shopper (sender id 'demo-shopper')")
    sub.add_parser("sweep", help="release the stock of expired pickup reservations now")
    args = p.parse_args(argv)
    try:
        book = connect_orders()
        if args.cmd == "advance":
            moved = book.advance(args.order, args.to)
            if moved.result == "missing":
                print(f"no order {args.order}", file=sys.stderr)
                return 1
            if moved.result != "ok":
                print(
                    f"order {args.order} is {moved.status}: it cannot move to {args.to or 'a next status'}",
                    file=sys.stderr,
                )
                return 1
            assert moved.order is not None
            _print_order(moved.order)
        elif args.cmd == "show":
            order = book.get(args.order)
            if order is None:
                print(f"no order {args.order}", file=sys.stderr)
                return 1
            _print_order(order)
        elif args.cmd == "seed-demo":
            from shopper.demo import seed_demo_orders

            for order in seed_demo_orders(book):
                _print_order(order)
        else:
            from shopper.reservations import connect_reservations

            print(f"released {connect_reservations().sweep()} expired reservation(s)")
    except StoreUnavailable as e:
        print(str(e), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
