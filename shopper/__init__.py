"""Shopper data in Redis, and only that: search context, shown lists, cart, profile.

``store`` holds the Redis store and its key schema; ``memory`` the in-memory store with
the same contract (tests, tools). Nothing here imports Rasa or renders text.
"""
