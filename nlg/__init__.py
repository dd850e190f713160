"""GPT-2 phraser: dialogue act + catalog facts -> a reply that is never wrong about a product.

    from nlg import phrase
    reply = phrase("recommend", {"products": [{"name": "Trail Runner", "price": 59.5}], "n_results": 12})
    reply.text, reply.source   # "How about Trail Runner at $59.50? ...", "model" (or "template")

Importing this package loads nothing: names resolve on first use, and the model
loads on the first reply (or ``get_phraser().load()``). See docs/nlg.md for the
acts and the fact keys.
"""
from typing import Any

__all__ = ["phrase", "knows", "get_phraser", "build_phraser", "Reply", "Phraser", "TemplatePhraser", "ModelPhraser", "NLGConfig"]


def __getattr__(name: str) -> Any:
    if name == "NLGConfig":
        from nlg.config import NLGConfig

        return NLGConfig
    if name in __all__:
        from nlg import phraser

        return getattr(phraser, name)
    raise AttributeError(f"module 'nlg' has no attribute {name!r}")
