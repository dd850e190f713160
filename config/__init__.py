"""The one typed settings object (``config.settings``)."""

from config.settings import (
    REPO_ROOT,
    DialogueSettings,
    NLGSettings,
    SearchSettings,
    Settings,
    WebSettings,
    cors_origin_list,
    get_settings,
)

__all__ = [
    "REPO_ROOT",
    "DialogueSettings",
    "cors_origin_list",
    "NLGSettings",
    "SearchSettings",
    "Settings",
    "WebSettings",
    "get_settings",
]
