"""The action server: thin rasa-sdk actions by job, built once with the process's ``Services``.

Jobs: ``search`` (assess a request, guided questions, recommend), ``refine``, ``products``
(details, questions, compare, price, stock), ``cart``, ``smalltalk``; ``results`` is the one
path products take to the shopper; ``replies/`` the one place reply text comes from.
Nothing is loaded at import time: ``server.py`` builds ``Services`` and one instance of each action.
"""

from typing import List, Type

ACTION_MODULES = (
    "actions.search",
    "actions.refine",
    "actions.products",
    "actions.cart",
    "actions.orders",
    "actions.reserve",
    "actions.service",
    "actions.smalltalk",
)


def action_classes() -> List[Type]:
    """Every action class the server registers (each takes ``Services``)."""
    import importlib
    import inspect

    from rasa_sdk import Action

    out: List[Type] = []
    for name in ACTION_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == name and not inspect.isabstract(cls):
                out.append(cls)
    return out
