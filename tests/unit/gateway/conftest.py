"""The gateway app as the contract and body tests drive it: no lifespan, so nothing
reaches Redis or Kafka; what they send is refused before it would."""
from __future__ import annotations

import pytest

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.cache import Keys


@pytest.fixture(scope="module")
def app():
    app = create_app(GatewaySettings(host="127.0.0.1", kafka_bootstrap="127.0.0.1:1", redis_url="redis://127.0.0.1:1",
                                     auth_failures_per_minute=0, rate_limit_per_minute=0))
    # No failed-authentication counting and no rate limit: both live in Redis.
    app.state.redis, app.state.producer, app.state.keys = None, None, Keys("unit.")
    return app
