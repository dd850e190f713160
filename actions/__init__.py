"""rasa-sdk actions of the shopping guide (thin: read the turn, call retrieval and the store, reply).

Modules: ``shopping`` (search, guided questions, refinements), ``products``
(details, compare, cart, price, stock), ``smalltalk``; shared pieces in
``base``, ``flow``, ``understanding``, ``cards``, ``replies``, ``services``.
Nothing is loaded at import time: see ``services``.
"""
