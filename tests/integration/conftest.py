"""Integration tests use the run's one real stack (``stack`` in tests/conftest.py)."""
