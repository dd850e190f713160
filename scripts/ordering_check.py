"""Turn order across replicas: S senders each send M numbered messages back to back, then every
conversation's tracker must hold them all, once each, in order, each turn finished before the next began
(what the RedisLockStore promises whichever replica takes a turn). docs/replicas.md.

    python scripts/ordering_check.py [--url http://127.0.0.1:5005] [--senders 50] [--messages 5] [--overlap S]

A sender sends its next message as soon as the previous one is answered: over REST that is the
first moment a client knows its message arrived. ``--overlap S`` sends every S seconds without
waiting, so one sender's turns are in flight on several replicas at once and only the shared lock keeps
them apart; their order is then the order they reached Redis (the check reports any that swapped). The
API token is read from ``.run/api-token`` unless ``--token`` or ``SHOPGUIDE_API_TOKEN`` gives it.
:func:`run_check` is what the replica test and the load benchmark call.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = {"replies": "templates"}  # the check is about order, not wording: no phraser time per turn


@dataclass
class OrderingReport:
    senders: int
    messages: int
    seconds: float = 0.0
    answered: int = 0
    latencies_s: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # a turn that failed or a tracker out of order
    swapped: int = 0  # --overlap: trackers holding the sender's messages in another order than sent

    @property
    def ok(self) -> bool:
        return not self.errors and self.answered == self.senders * self.messages

    def summary(self) -> str:
        lat = sorted(self.latencies_s) or [0.0]
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        return (f"{self.senders} senders x {self.messages} messages: {self.answered} answered in {self.seconds:.1f}s, "
                f"turn p50 {statistics.median(lat):.2f}s p95 {p95:.2f}s; {len(self.errors)} problem(s)"
                + (f", {self.swapped} sent out of order" if self.swapped else ""))


def message_text(k: int, n: int) -> str:
    return f"hello, this is message {k} of {n}"


def _http(url: str, body: Optional[Mapping[str, Any]] = None, timeout: float = 120) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - the stack's own URL
        return json.loads(r.read().decode() or "null")


def turn_problem(events: Sequence[Mapping[str, Any]], expected: Sequence[str]) -> Optional[str]:
    """None when the tracker's shopper messages are ``expected``, in order, each turn complete (ended by
    ``action_listen``) before the next message; else what is wrong."""
    said = [e.get("text") for e in events if e.get("event") == "user"]
    if said != list(expected):
        return f"messages {said} (expected {list(expected)})"
    open_turn = False
    for e in events:
        if e.get("event") == "user":
            if open_turn:
                return f"{e.get('text')!r} began before the turn before it ended"
            open_turn = True
        elif e.get("event") == "action" and e.get("name") == "action_listen":
            open_turn = False
    return "the last turn never ended" if open_turn else None


def run_check(url: str, api_token: str, senders: int = 50, messages: int = 5, overlap_s: Optional[float] = None,
              timeout_s: float = 120, metadata: Optional[Mapping[str, Any]] = None,
              tag: Optional[str] = None) -> OrderingReport:
    """Run the check against the stack at ``url`` (nginx in front of the replicas); see the module doc."""
    tag = tag or uuid.uuid4().hex[:8]
    meta = dict(TEMPLATES if metadata is None else metadata)
    report = OrderingReport(senders, messages)
    lock = threading.Lock()
    ids = [f"order-{tag}-{i:03d}" for i in range(senders)]
    expected = [message_text(k, messages) for k in range(1, messages + 1)]

    def one(sender: str, k: int) -> None:
        t0 = time.perf_counter()
        try:
            replies = _http(f"{url}/webhooks/rest/webhook",
                            {"sender": sender, "message": expected[k - 1], "metadata": meta}, timeout_s)
            problem = None if replies else "no reply"
        except (urllib.error.URLError, OSError, ValueError) as e:
            problem = f"{type(e).__name__}: {getattr(e, 'code', '')} {getattr(e, 'reason', e)}"
        with lock:
            if problem:
                report.errors.append(f"{sender} message {k}: {problem}")
            else:
                report.answered += 1
                report.latencies_s.append(time.perf_counter() - t0)

    def talk(sender: str) -> None:
        if overlap_s is None:
            for k in range(1, messages + 1):
                one(sender, k)
            return
        threads = []
        for k in range(1, messages + 1):
            threads.append(threading.Thread(target=one, args=(sender, k)))
            threads[-1].start()
            time.sleep(overlap_s)
        for t in threads:
            t.join()

    t0 = time.perf_counter()
    talkers = [threading.Thread(target=talk, args=(s,)) for s in ids]
    for t in talkers:
        t.start()
    for t in talkers:
        t.join()
    report.seconds = time.perf_counter() - t0

    for sender in ids:
        try:
            tracker = _http(f"{url}/conversations/{sender}/tracker?token={api_token}", timeout=60)
        except (urllib.error.URLError, OSError, ValueError) as e:
            report.errors.append(f"{sender}: tracker unreadable ({type(e).__name__}: {e})")
            continue
        events = tracker.get("events") or []
        problem = turn_problem(events, expected)
        said = [e.get("text") for e in events if e.get("event") == "user"]
        if problem and overlap_s is not None and sorted(said) == sorted(expected):
            problem = turn_problem(events, said)  # arrived in another order: count it, check the turns
            report.swapped += 1
        if problem:
            report.errors.append(f"{sender}: {problem}")
    return report


def default_token() -> str:
    token = os.environ.get("SHOPGUIDE_API_TOKEN", "")
    if token:
        return token
    run_dir = Path(os.environ.get("SHOPGUIDE_RUN_DIR") or REPO / ".run")
    try:
        return (run_dir / "api-token").read_text().strip()
    except OSError:
        raise SystemExit(f"no API token: pass --token, set SHOPGUIDE_API_TOKEN or run `make run` ({run_dir})") from None


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/ordering_check.py", description=__doc__.split("\n\n")[0])
    port = os.environ.get("SHOPGUIDE_RASA_PORT", "5005")
    ap.add_argument("--url", default=f"http://127.0.0.1:{port}", help="the stack (nginx with replicas)")
    ap.add_argument("--token", default=None, help="Rasa's API token (reads the trackers)")
    ap.add_argument("--senders", type=int, default=50)
    ap.add_argument("--messages", type=int, default=5)
    ap.add_argument("--overlap", type=float, default=None, help="send every S seconds without waiting for answers")
    args = ap.parse_args(argv)
    report = run_check(args.url.rstrip("/"), args.token or default_token(), args.senders, args.messages, args.overlap)
    print(report.summary())
    for line in report.errors[:20]:
        print(f"  {line}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
