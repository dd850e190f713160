"""Real Redis for the shopper-state tests."""
from support.redis_process import free_port_fixture, redis_client, redis_server  # noqa: F401
