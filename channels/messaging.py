"""Telegram, Slack and Facebook Messenger: Rasa's own channels, guarded, replies rendered per platform.

Referenced by dotted path from ``bot/credentials.yml`` (the launcher drops an
entry whose environment variables are unset, see :mod:`channels.credentials`):

* ``channels.messaging.GuardedTelegramInput`` -> ``/webhooks/telegram/webhook``, replies by :class:`ShopTelegramOutput`
* ``channels.messaging.GuardedSlackInput`` -> ``/webhooks/slack/webhook``, replies by :class:`ShopSlackBot`
* ``channels.messaging.GuardedFacebookInput`` -> ``/webhooks/facebook/webhook``, replies by :class:`ShopMessengerBot`

The platforms post to these paths on Rasa's port, so they must be reachable over
public HTTPS (a reverse proxy or a tunnel); docs/channels.md has the steps.

Each input is Rasa's class with its message handler wrapped twice:

* :func:`channels.rasa_plugins.guard` — clean input, never answer with silence;
* :func:`expand_buttons` — a shortened button payload (``/~...``, see
  :class:`channels.render.ButtonTokens`) is mapped back before Rasa parses it.

Each output is Rasa's class whose ``send_response`` first passes the bot message
through :func:`channels.render.render` (cards -> text lines, buttons within the
platform's limits), then hands every rendered message to Rasa's own methods.

Telegram: Rasa 3.6 registers the webhook with ``asyncio.run(...)`` inside
``get_output_channel`` while the blueprint is built: a network call during startup
(no network or a bad token -> Rasa does not start), on a throw-away event loop
(the bot's aiohttp session is created on it), and impossible from a running loop
(RasaHQ/rasa#13040: ``trigger_intent`` with ``output_channel=latest``). Here the webhook is set once the server runs
(``after_server_start``, in the background, failures logged, never fatal), and
``GET /webhooks/telegram/set_webhook`` sets it again on demand.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from fbmessenger import MessengerClient
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, MessengerBot
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint

from channels import render as channels
from channels.rasa_plugins import guard

logger = logging.getLogger(__name__)

EXPIRED_TEXT = 'That button has expired. Please ask again, e.g. "show more" or "start over".'
WEBHOOK_TIMEOUT_S = 20.0

Handler = Callable[[UserMessage], Awaitable[Any]]


def expand_buttons(on_new_message: Handler, tokens: Optional[channels.ButtonTokens] = None) -> Handler:
    """Map a shortened button payload back to the real one before Rasa sees it."""

    async def handler(message: UserMessage) -> Any:
        text = (tokens or channels.button_tokens()).expand(message.text)
        if text is None:
            logger.warning("unknown button token from %s (expired or from before a restart)", message.sender_id)
            await message.output_channel.send_text_message(message.sender_id, EXPIRED_TEXT)
            return None
        message.text = text
        return await on_new_message(message)

    return handler


class RenderingOutput(OutputChannel):
    """Mixin for Rasa's output channels: every bot message goes through :func:`channels.render.render`."""

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        for part in channels.render(self.name(), message):
            await super().send_response(recipient_id, part)


class ShopTelegramOutput(RenderingOutput, TelegramOutput):
    """Rasa's ``TelegramOutput`` (an aiogram ``Bot``) with replies rendered for Telegram."""


class ShopSlackBot(RenderingOutput, SlackBot):
    """Rasa's ``SlackBot`` with replies rendered for Slack (Block Kit buttons).

    Rasa posts every message with ``as_user=True``, an argument Slack apps created
    since 2020 (granular bot tokens) may not use: ``chat.postMessage`` then fails
    with ``invalid_arguments`` / ``deprecated_argument: as_user``. A bot token
    posts as the bot anyway, so it is dropped here.
    """

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)
        await super()._post_message(channel, **kwargs)


class ShopMessengerBot(RenderingOutput, MessengerBot):
    """Rasa's ``MessengerBot`` with replies rendered for Messenger (template or quick replies)."""


def _scrub(text: str, *secrets: Optional[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


class GuardedTelegramInput(TelegramInput):
    """Rasa's Telegram channel (``/webhooks/telegram/webhook``), guarded, with rendered replies."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self, access_token: Optional[str], verify: Optional[str], webhook_url: Optional[str], debug_mode: bool = True
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self._output: Optional[ShopTelegramOutput] = None
        self._webhook_task: Optional[asyncio.Task] = None

    def get_output_channel(self) -> ShopTelegramOutput:
        """One output channel per input; no network here (Rasa's sets the webhook in this call)."""
        if self._output is None:
            self._output = ShopTelegramOutput(self.access_token)
        return self._output

    async def set_webhook(self) -> bool:
        """Tell Telegram where to post updates; logs the outcome, never raises."""
        if not self.webhook_url:
            logger.warning("telegram: no webhook_url, so Telegram does not know where to send messages")
            return False
        try:
            ok = await asyncio.wait_for(self.get_output_channel().set_webhook(self.webhook_url), WEBHOOK_TIMEOUT_S)
        except Exception as e:  # noqa: BLE001 - the other channels keep working
            logger.error(
                "telegram: could not set the webhook to %s (%s: %s). Check TELEGRAM_ACCESS_TOKEN and that "
                "the URL is public HTTPS; retry with GET /webhooks/telegram/set_webhook",
                self.webhook_url,
                type(e).__name__,
                _scrub(str(e), self.access_token),
            )
            return False
        if ok:
            logger.info("telegram: webhook set to %s", self.webhook_url)
        else:
            logger.error("telegram: Telegram refused the webhook %s", self.webhook_url)
        return bool(ok)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        bp = super().blueprint(guard(expand_buttons(on_new_message)))

        async def set_webhook_in_background(app: Any, loop: Any) -> None:
            self._webhook_task = asyncio.ensure_future(self.set_webhook())

        bp.listener("after_server_start")(set_webhook_in_background)
        return bp


class GuardedSlackInput(SlackInput):
    """Rasa's Slack channel (``/webhooks/slack/webhook``), guarded, with rendered replies."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(guard(expand_buttons(on_new_message)))

    def get_output_channel(
        self,
        channel: Optional[str] = None,
        thread_id: Optional[str] = None,
    ) -> ShopSlackBot:
        return ShopSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)


def use_messenger_output(on_new_message: Handler) -> Handler:
    """Rasa's ``Messenger`` builds a plain ``MessengerBot`` per message; swap in the rendering one."""

    async def handler(message: UserMessage) -> Any:
        out = message.output_channel
        if isinstance(out, MessengerBot) and not isinstance(out, ShopMessengerBot):
            message.output_channel = ShopMessengerBot(out.messenger_client)
        return await on_new_message(message)

    return handler


class GuardedFacebookInput(FacebookInput):
    """Rasa's Facebook Messenger channel (``/webhooks/facebook/webhook``), guarded, with rendered replies."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(use_messenger_output(guard(expand_buttons(on_new_message))))

    def get_output_channel(self) -> ShopMessengerBot:
        """For messages Rasa sends on its own (e.g. ``trigger_intent`` with ``output_channel=latest``)."""
        return ShopMessengerBot(MessengerClient(self.fb_access_token))
