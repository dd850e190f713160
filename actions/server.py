"""The action server: builds ``Services`` once, registers one instance of every action, serves.

    python -m actions.server [--host 127.0.0.1] [--port 5055] [--no-warm]

The app mirrors rasa-sdk's own (``/health``, ``/webhook``, ``/actions``), with the actions
registered as instances that hold the process's ``Services`` instead of module globals.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import time
import zlib
from typing import Any, Optional

from actions.services import Services

logger = logging.getLogger("actions.server")


def warm_up(services: Services) -> None:
    """Check Redis, run one search and load the phraser, so the first shopper waits for nothing
    (logs, never raises: turns report an outage themselves)."""
    t0 = time.perf_counter()
    try:
        services.store.ping()
    except Exception as e:  # noqa: BLE001 - the server still answers; turns report the outage
        logger.error("%s", e)
    services.retriever.search("warm up", k=1)
    logger.info("retriever ready in %.1fs", time.perf_counter() - t0)
    if services.phraser is not None:
        t0 = time.perf_counter()
        try:
            services.phraser.warmup()
            logger.info("phraser %s ready in %.1fs", type(services.phraser).__name__, time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - replies fall back to the templates
            logger.error("phraser failed to load (%s: %s): replies use the templates", type(e).__name__, e)


SWEEP_EVERY_S = 60.0


async def sweep_forever(services: Services, every_s: float = SWEEP_EVERY_S) -> None:
    """Release expired pickup reservations every minute (they are also swept before each new one)."""
    while services.reservations is not None:
        try:
            n = await asyncio.get_running_loop().run_in_executor(None, services.reservations.sweep)
            if n:
                logger.info("released %d expired reservation(s)", n)
        except Exception as e:  # noqa: BLE001 - Redis down: try again next time
            logger.warning("reservation sweep failed: %s", e)
        await asyncio.sleep(every_s)


def token_ok(given: Optional[str], expected: Optional[str]) -> bool:
    """Rasa sends the action token as ``?token=``; without a configured token every call is taken."""
    if not expected:
        return True
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def create_app(services: Services, warm: bool = True, token: Optional[str] = None) -> Any:
    """A Sanic app answering Rasa's action calls with the actions built on ``services``.

    ``token``: the shared secret Rasa appends to its calls (``action_endpoint.token`` in
    bot/endpoints.yml); a call without it gets 401, so only Rasa can run actions."""
    from rasa_sdk import utils
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
    from sanic import Sanic, response

    from actions import action_classes

    executor = ActionExecutor()
    for cls in action_classes():
        executor.register_action(cls(services))

    app = Sanic("shopguide_actions", configure_logging=False)

    @app.get("/health")
    async def health(_: Any) -> Any:
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(request: Any) -> Any:
        if not token_ok(request.args.get("token"), token):
            return response.json({"error": "a valid token is required"}, status=401)
        if request.headers.get("Content-Encoding") == "deflate":
            action_call = json.loads(zlib.decompress(request.body))
        else:
            action_call = request.json
        if action_call is None:
            return response.json({"error": "Invalid body request"}, status=400)
        utils.check_version_compatibility(action_call.get("version"))
        try:
            return response.json(await executor.run(action_call))
        except ActionExecutionRejection as e:
            return response.json({"error": e.message, "action_name": e.action_name}, status=400)
        except ActionNotFoundException as e:
            logger.error("%s", e)
            return response.json({"error": e.message, "action_name": e.action_name}, status=404)

    @app.get("/actions")
    async def actions(_: Any) -> Any:
        return response.json([{"name": k} for k in executor.actions])

    @app.listener("after_server_start")  # type: ignore[call-arg, arg-type]
    async def _sweeper(app: Any, loop: Any) -> None:
        app.add_task(sweep_forever(services))

    if warm:
        # sanic 21.12 annotates listener(event) as returning a listener, not a decorator
        @app.listener("before_server_start")  # type: ignore[call-arg, arg-type]
        async def _warm(app: Any, loop: Any) -> None:
            await asyncio.get_running_loop().run_in_executor(None, warm_up, services)

    return app


def main(argv: Optional[Any] = None) -> None:
    from config import get_settings

    settings = get_settings()
    p = argparse.ArgumentParser(description="shopping guide action server")
    p.add_argument("--host", default=settings.dialogue.host)
    p.add_argument("--port", type=int, default=settings.dialogue.action_port)
    p.add_argument("--no-warm", action="store_true", help="skip the warm-up search and phraser load")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = settings.dialogue.action_token
    if not token:
        logger.warning("SHOPGUIDE_ACTION_TOKEN is unset: any caller that reaches this port can run actions")
    app = create_app(Services.build(settings), warm=not args.no_warm, token=token)
    logger.info("action server on http://%s:%d/webhook", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
