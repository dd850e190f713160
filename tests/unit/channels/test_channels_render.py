"""channels.render.render: one reply (text, cards, buttons) -> each channel's format."""
from __future__ import annotations

import json

import pytest

from channels import render as channels
from channels.render import ButtonTokens, chunks, cut, render

from .conftest import STORES, bot_message


def texts(msgs):
    return "\n".join(m.get("text") or (m.get("custom") or {}).get("text") or "" for m in msgs)


def no_card_json(msgs) -> None:
    blob = json.dumps(msgs, ensure_ascii=False)
    assert '"cards"' not in blob and "product_cards" not in blob and "placeholder-product" not in blob
    assert "phraser" not in blob and "timestamp" not in blob  # bookkeeping never goes out


@pytest.mark.parametrize("channel", ["rest", "socketio", "web", "kiosk"])
def test_card_channels_get_the_cards_as_they_are(recommend, channel):
    (out,) = render(channel, recommend)
    assert out == recommend and out is not recommend
    assert [c["id"] for c in out["custom"]["cards"]] == ["D01134", "D01133", "BB-10000219-ORGANIC-SANDALWOOD-AMBER"]


def test_actions_attach_cards_whatever_the_channel(recommend):
    # Turn.say ran with channel="telegram" in the fixture and still attached the cards
    assert recommend["custom"]["type"] == "product_cards" and len(recommend["custom"]["cards"]) == 3


def test_telegram_text_and_buttons_within_limits(recommend, tokens):
    (msg,) = render("telegram", recommend)
    assert set(msg) == {"text", "buttons", "button_type"}
    assert msg["text"] == recommend["text"]  # the template already lists every product
    for line in ("1. Hearth & Loom Cedarwood Scented Candle, Small 200 g — Hearth & Loom — $18.49",
                 "2. Willow Lane Home Cedarwood Scented Candle, Medium 400 g — Willow Lane Home — $21.99",
                 "— Crème de la Crème Maison Artisanale — ₹1,299.00"):
        assert line in msg["text"]
    assert msg["button_type"] == "vertical"  # 7 buttons: one per row
    assert [b["title"] for b in msg["buttons"]] == ["More about #1", "More about #2", "More about #3", "Cheaper",
                                                    "Other brands", "Show more", "Compare"]
    for b, orig in zip(msg["buttons"], recommend["buttons"], strict=False):
        assert len(b["payload"].encode()) <= 64 and len(b["title"].encode()) <= 64
        assert tokens.expand(b["payload"]) == orig["payload"]
    # short payloads go as they are; the long one became a token
    assert msg["buttons"][0]["payload"] == '/ask_details{"product_id":"D01134"}'
    assert ButtonTokens.is_token(msg["buttons"][2]["payload"])
    no_card_json([msg])


def test_telegram_titles_are_cut_in_bytes():
    title = "Crème de la Crème Maison Artisanale — Édition Spéciale de Noël"  # 70 bytes in UTF-8
    (msg,) = render("telegram", {"text": "Which brand?", "buttons": [{"title": title, "payload": "/x"}]})
    t = msg["buttons"][0]["title"]
    assert len(t.encode()) <= 64 and t.endswith("…") and title.startswith(t[:-1].rstrip())
    t.encode("utf-8")  # still valid UTF-8 (no split character)


def test_few_short_buttons_stay_on_one_telegram_row():
    (msg,) = render("telegram", {"text": "Drop it?", "buttons": [{"title": "Yes", "payload": "/affirm"},
                                                                  {"title": "No", "payload": "/deny"}]})
    assert msg["button_type"] == "inline"


def test_slack_blocks_within_limits(recommend):
    (msg,) = render("slack", recommend)
    custom = msg["custom"]
    assert set(msg) == {"custom"} and set(custom) == {"text", "blocks"}
    section, actions = custom["blocks"]
    assert section == {"type": "section", "text": {"type": "plain_text", "text": recommend["text"]}}
    assert len(section["text"]["text"]) <= 3000
    assert actions["type"] == "actions" and len(actions["elements"]) == 7
    for i, (el, orig) in enumerate(zip(actions["elements"], recommend["buttons"], strict=False)):
        assert el == {"type": "button", "text": {"type": "plain_text", "text": orig["title"]},
                      "value": orig["payload"], "action_id": f"button_{i}"}
    # the notification text is mrkdwn: & < > escaped
    assert "Hearth &amp; Loom" in custom["text"] and "Hearth & Loom" not in custom["text"]
    no_card_json([msg])


def test_slack_without_buttons_is_escaped_text():
    out = render("slack", {"text": "Tea <strong> & co", "buttons": []})
    assert out == [{"text": "Tea &lt;strong&gt; &amp; co"}]


def test_slack_many_buttons_split_into_actions_blocks():
    buttons = [{"title": f"Option {i}", "payload": f"/inform{{\"n\":\"{i}\"}}"} for i in range(30)]
    (msg,) = render("slack", {"text": "Pick", "buttons": buttons})
    blocks = msg["custom"]["blocks"]
    assert [len(b["elements"]) for b in blocks if b["type"] == "actions"] == [25, 5]
    assert len({e["action_id"] for b in blocks[1:] for e in b["elements"]}) == 30


def test_facebook_many_buttons_become_quick_replies(recommend):
    (msg,) = render("facebook", recommend)
    assert set(msg) == {"text", "quick_replies"}
    assert msg["text"] == recommend["text"] and len(msg["text"]) <= 2000
    assert len(msg["quick_replies"]) == 7
    for q, orig in zip(msg["quick_replies"], recommend["buttons"], strict=False):
        assert q == {"content_type": "text", "title": orig["title"], "payload": orig["payload"]}
        assert len(q["title"]) <= 20 and len(q["payload"]) <= 1000
    no_card_json([msg])


def test_facebook_up_to_three_buttons_and_short_text_make_a_button_template(details):
    (msg,) = render("facebook", details)
    assert set(msg) == {"text", "buttons"} and len(msg["buttons"]) == 3 and len(msg["text"]) <= 640
    assert [b["title"] for b in msg["buttons"]] == ["Add to cart", "Is it in stock?", "More like this"]


def test_facebook_titles_are_cut_to_20():
    (msg,) = render("facebook", {"text": "Brand?", "buttons": [{"title": "Crème de la Crème Maison", "payload": "/x"}]})
    assert msg["buttons"][0]["title"] == "Crème de la Crème M…"


def test_facebook_more_than_eleven_buttons_are_capped():
    buttons = [{"title": f"B{i}", "payload": f"/b{i}"} for i in range(14)]
    (msg,) = render("facebook", {"text": "x" * 700, "buttons": buttons})
    assert len(msg["quick_replies"]) == 11


def test_details_get_the_stock_per_store_on_messaging_apps(details):
    (msg,) = render("telegram", details)
    assert msg["text"].startswith(details["text"])
    assert msg["text"].endswith("Hearth & Loom Cedarwood Scented Candle, Small 200 g: "
                                "in stock at Downtown (Aisle 7 - Home Fragrance); out of stock at Riverside.")


def test_a_stock_reply_is_not_repeated(products):
    """The availability text names the product and every store: nothing to add (no price needed)."""
    from actions.cards import card, product_facts

    p = products[0]
    rows = [{"store_id": sid, "store": STORES[sid], "quantity": s.quantity, "aisle": s.aisle}
            for sid, s in sorted(p.stock.items())]
    msg = bot_message("availability", {"product": product_facts(p, 1), "stores": rows}, [card(p, 1, "", STORES)],
                      kind="stock")
    assert msg["text"] == ("Hearth & Loom Cedarwood Scented Candle, Small 200 g: 4 in stock at Downtown "
                           "(Aisle 7 - Home Fragrance); out of stock at Riverside.")
    for channel in ("telegram", "facebook"):
        assert render(channel, msg) == [{"text": msg["text"]}]
    # a phrased stock reply that names no store gets the stock line
    msg["text"] = "Good news about Hearth & Loom Cedarwood Scented Candle, Small 200 g."
    (out,) = render("telegram", msg)
    assert out["text"].endswith("— $18.49 (in stock at Downtown (Aisle 7 - Home Fragrance); out of stock at Riverside)")


def test_text_that_does_not_list_the_products_gets_product_lines(products):
    """A phrased reply may not name every product: the card lines make up for it, prices from the catalog."""
    from actions.cards import card

    cards = [card(p, i, "", STORES) for i, p in enumerate(products, 1)]
    msg = {"text": "Here are three candles you might like.",
           "custom": {"type": "product_cards", "act": "recommend", "cards": cards}}
    for channel in ("telegram", "facebook", "slack"):
        out = render(channel, msg)
        text = texts(out).replace("&amp;", "&")
        assert text.split("\n") == [
            "Here are three candles you might like.",
            "1. Hearth & Loom Cedarwood Scented Candle, Small 200 g — Hearth & Loom — $18.49 "
            "(in stock at Downtown (Aisle 7 - Home Fragrance); out of stock at Riverside)",
            "2. Willow Lane Home Cedarwood Scented Candle, Medium 400 g — Willow Lane Home — $21.99 "
            "(in stock at Eastgate (Aisle 3))",
            "3. Sandalwood & Amber Scented Candle — Große Edition — Crème de la Crème Maison Artisanale — ₹1,299.00",
        ], channel
        no_card_json(out)


def test_cards_without_text_still_say_something(products):
    from actions.cards import card

    msg = {"custom": {"type": "cart_update", "act": "chosen", "cards": [card(products[1], 0)]}}
    (out,) = render("telegram", msg)
    assert out == {"text": "Willow Lane Home Cedarwood Scented Candle, Medium 400 g — Willow Lane Home — $21.99 "
                           "(in stock at eastgate (Aisle 3))"}


def test_other_custom_payloads_pass_through():
    native = {"photo": "https://example.com/x.png"}
    assert render("telegram", {"text": "hi", "custom": native}) == [{"text": "hi"}, {"custom": native}]
    assert render("slack", {"image": "https://example.com/x.png"}) == [{"image": "https://example.com/x.png"}]


def test_unknown_channels_get_text_and_buttons_without_cards(recommend):
    (out,) = render("cmdline", recommend)
    assert out == {"text": recommend["text"], "buttons": recommend["buttons"]}


@pytest.mark.parametrize("channel", ["telegram", "slack", "facebook", "rest", "web"])
def test_rendering_twice_changes_nothing(recommend, details, channel):
    for m in (recommend, details):
        once = render(channel, m)
        assert channels.render_all(channel, once) == once


def test_long_text_is_split_for_each_platform():
    lines = [f"{i}. Product number {i} — Brand — $1{i}.00" for i in range(400)]  # ~15,000 characters
    msg = {"text": "\n".join(lines), "buttons": [{"title": "Show more", "payload": "/refine"}]}
    tg = render("telegram", msg)
    assert all(len(m["text"]) <= 4096 for m in tg) and len(tg) >= 4
    assert "buttons" in tg[-1] and all("buttons" not in m for m in tg[:-1])
    fb = render("facebook", msg)
    assert all(len(m["text"]) <= 2000 for m in fb) and "quick_replies" in fb[-1]
    sl = render("slack", msg)
    assert all(len(b["text"]["text"]) <= 3000 for b in sl[-1]["custom"]["blocks"] if b["type"] == "section")
    for out in (tg, fb):
        assert "\n".join(m["text"] for m in out) == msg["text"]


def test_chunks_and_cut():
    assert chunks("", 10) == [] and chunks("abc", 10) == ["abc"]
    assert chunks("aaaa bbbb cccc", 9) == ["aaaa bbbb", "cccc"]
    assert all(len(c) <= 5 for c in chunks("x" * 23, 5))
    assert cut("hello", 5) == "hello" and cut("hello world", 6) == "hello…"
    assert len(cut("ééééé", 6, in_bytes=True).encode()) <= 6


def test_button_tokens_are_stable_and_expand(tokens):
    long = '/refine{"refinement":"similar","product_id":"BB-10000219-ORGANIC-SANDALWOOD-AMBER"}'
    t1, t2 = tokens.shorten(long, 64), tokens.shorten(long, 64)
    assert t1 == t2 == ButtonTokens.token_of(long) and len(t1) == ButtonTokens.LENGTH
    assert tokens.expand(t1) == long
    assert tokens.expand("/refine") == "/refine" and tokens.expand("hello") == "hello"
    assert ButtonTokens().expand(t1) is None  # another process without Redis: unknown


def test_button_tokens_survive_a_restart_through_redis(redis_server, redis_client):
    long = '/ask_details{"product_id":"' + "X" * 80 + '"}'
    token = ButtonTokens(redis_client, prefix="ctest").shorten(long, 64)
    key = "ctest:button:" + token[2:]
    raw = redis_client.get(key)
    assert (raw.decode() if isinstance(raw, bytes) else raw) == long and 0 < redis_client.ttl(key) <= 90 * 86400
    fresh = ButtonTokens(redis_client, prefix="ctest")  # a new process: empty memory
    assert fresh.expand(token) == long


def test_button_tokens_without_redis_still_work_in_memory(free_port):
    import redis

    down = redis.Redis(port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    t = ButtonTokens(down)
    token = t.shorten("/x" + "y" * 100, 64)
    assert t.expand(token) == "/x" + "y" * 100


def test_text_channels_say_the_sizes_and_colours_a_model_is_in_stock_in():
    card = {"id": "v1", "position": 1, "name": "Velocita Road Running Shoes", "brand": "Velocita",
            "price_text": "$79.00", "stock": [], "options_text": "in stock in sizes UK 4, UK 7; colours blue, red"}
    msg = bot_message("recommend", {"products": [dict(card, reason="")], "constraints": [], "query": "q"}, [card])
    (out,) = render("telegram", msg)
    assert "Velocita Road Running Shoes: in stock in sizes UK 4, UK 7; colours blue, red." in out["text"]
    (web,) = render("socketio", msg)
    assert web["custom"]["cards"][0]["options_text"] == card["options_text"]
