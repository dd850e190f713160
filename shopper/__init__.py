"""Shopper state held in Redis: search context, shown lists, carts, profiles.

Actions reach Redis only through :mod:`shopper.store`. The Rasa-process plugins
(tracker/lock stores that refuse to run without Redis, channels that never
answer with silence) live in :mod:`shopper.rasa_ext`, which imports Rasa.
"""
