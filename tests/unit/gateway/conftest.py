"""The gateway app as the contract and body tests drive it: no lifespan, so nothing
reaches Redis or Kafka; what they send is refused before it would (a bulk body is
read first, in the parse pool's worker, as in the running gateway)."""
from __future__ import annotations

import pytest

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.cache import Keys
from shared.parse_pool import ParsePool


@pytest.fixture(scope="module")
def app():
    app = create_app(GatewaySettings(host="127.0.0.1", kafka_bootstrap="127.0.0.1:1", redis_url="redis://127.0.0.1:1",
                                     auth_failures_per_minute=0, rate_limit_per_minute=0))
    # No failed-authentication counting and no rate limit: both live in Redis.
    app.state.redis, app.state.producer, app.state.keys = None, None, Keys("unit.")
    # A bulk body is read in a parse worker: one real worker, started by the first bulk.
    app.state.parse_pool = ParsePool(workers=1, warm=False)
    yield app
    app.state.parse_pool.close()
