"""The one typed settings object (``config.settings``)."""

from config.settings import (
    REPO_ROOT,
    DialogueSettings,
    NLGSettings,
    SearchSettings,
    Settings,
    WebSettings,
    get_settings,
)

__all__ = ["REPO_ROOT", "DialogueSettings", "NLGSettings", "SearchSettings", "Settings", "WebSettings", "get_settings"]
