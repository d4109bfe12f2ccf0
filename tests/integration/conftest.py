"""Fixtures shared by integration test modules, on the session's Kafka and Redis
(tests/conftest.py starts them)."""
from __future__ import annotations

import pytest

from shared.cache import Keys, connect
from shared.identity import StoryRegistry


@pytest.fixture
async def registry(settings):
    """The story registry on this test's keys."""
    redis = connect(settings.redis_url)
    yield StoryRegistry(redis, Keys(settings.topic_prefix))
    await redis.aclose()
