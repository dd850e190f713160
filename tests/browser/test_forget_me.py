"""The web chat's Forget me button in a real browser: it asks once, the assistant erases and confirms, the
page starts a new session id, and the old id's data is gone from Redis."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def forgot(run_scenario):
    return run_scenario("forget_scenario.cjs", {})


def test_forget_me_erases_confirms_and_starts_afresh(forgot, web_stack):
    import redis

    old = forgot["session_before"]
    assert "Noted: you eat vegan" in forgot["noted"]
    assert forgot["armed_label"].startswith("Delete everything?")
    assert "I've deleted everything I kept about you" in forgot["log_after"]
    assert forgot["session_after"] != old and forgot["stored"] == forgot["session_after"]
    client = redis.Redis.from_url(web_stack.redis.url, decode_responses=True)
    assert [k for k in client.scan_iter(match="*") if old in k] == []
