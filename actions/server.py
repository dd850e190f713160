"""The action server: rasa-sdk's app plus a warm-up, so the first shopper waits for nothing.

    python -m actions.server [--host 127.0.0.1] [--port 5055]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import time
from typing import Any

logger = logging.getLogger("actions.server")


def warm_up() -> None:
    """Load the retriever, vocabulary and phraser, and check Redis (logs, never raises)."""
    from actions import services
    from shopper.store import get_store

    t0 = time.perf_counter()
    try:
        get_store().ping()
    except Exception as e:  # noqa: BLE001 - the server still answers; turns report the outage
        logger.error("%s", e)
    r = services.get_retriever()
    services.get_vocab()
    r.search("warm up", k=1)
    logger.info("retriever ready in %.1fs", time.perf_counter() - t0)
    from actions.replies import phraser_enabled

    if phraser_enabled():
        t0 = time.perf_counter()
        try:
            phraser = services.get_phraser()
            phraser.warmup()
            logger.info("phraser %s ready in %.1fs", type(phraser).__name__, time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - replies fall back to the templates
            logger.error("phraser failed to load (%s: %s): replies use the templates", type(e).__name__, e)


def create_app(warm: bool = True) -> Any:
    """rasa-sdk's Sanic app with every action in the ``actions`` package registered."""
    from rasa_sdk.endpoint import create_app as sdk_app

    app = sdk_app("actions", cors_origins="*")
    if warm:
        @app.listener("before_server_start")
        async def _warm(app: Any, loop: Any) -> None:  # noqa: ANN401
            await asyncio.get_running_loop().run_in_executor(None, warm_up)
    return app


def main(argv: Any = None) -> None:
    from shopper.settings import get_dialogue_settings

    s = get_dialogue_settings()
    p = argparse.ArgumentParser(description="shopping guide action server")
    p.add_argument("--host", default=s.host)
    p.add_argument("--port", type=int, default=s.action_port)
    p.add_argument("--no-warm", action="store_true", help="skip loading the retriever before serving")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(warm=not args.no_warm)
    logger.info("action server on http://%s:%d/webhook", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
