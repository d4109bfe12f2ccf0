"""Fixtures shared by integration test modules, on the session's Kafka and Redis
(tests/conftest.py starts them). A module that needs other settings overrides
``pub_settings`` with a fixture of its own."""
from __future__ import annotations

import pytest

from services.publishing.settings import PublishingSettings
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from tests.publishing_helpers import Publishing


@pytest.fixture
async def registry(settings):
    """The story registry on this test's keys."""
    redis = connect(settings.redis_url)
    yield StoryRegistry(redis, Keys(settings.topic_prefix))
    await redis.aclose()


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    """Publishing as a translating deployment runs it (reading ``articles.translated``);
    the e2e pipelines run the default, which reads ``articles.enriched``."""
    return PublishingSettings(**{**settings.model_dump(), "target_languages": ["pt"]})


@pytest.fixture
async def publishing(pub_settings):
    """The publishing service running in this test's event loop."""
    service = Publishing(pub_settings)
    service.start()
    yield service
    await service.stop()
    await service.redis.aclose()
