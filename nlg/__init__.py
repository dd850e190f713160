"""GPT-2 phraser: dialogue act + catalog facts -> a reply that is never wrong about a product.

    from nlg import build_phraser
    phraser = build_phraser()   # the caller keeps it (the action server's Services): no singleton here
    reply = phraser.phrase("recommend", {"products": [{"name": "Trail Runner", "price": 59.5}], "n_results": 12})
    reply.text, reply.source   # "How about Trail Runner at $59.50? ...", "model" (or "template")

Importing this package loads nothing: names resolve on first use, and the model
loads on the first reply (or ``phraser.load()``). See docs/nlg.md for the
acts and the fact keys.
"""

from typing import Any

__all__ = ["knows", "build_phraser", "default_model_dir", "Reply", "Phraser", "TemplatePhraser", "ModelPhraser"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from nlg import phraser

        return getattr(phraser, name)
    raise AttributeError(f"module 'nlg' has no attribute {name!r}")
