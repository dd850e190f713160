"""Process-wide typed settings (one object per process, read from env / .env)."""
from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
