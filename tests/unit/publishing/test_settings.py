"""Publishing's own topics carry the prefix and its settings come from the environment."""
from __future__ import annotations

from services.publishing.settings import PublishingSettings


def test_publishing_topics_carry_the_prefix(monkeypatch):
    monkeypatch.setenv("WIRE_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("WIRE_WEBHOOK_MAX_ATTEMPTS", "3")
    settings = PublishingSettings()
    assert settings.webhook_max_attempts == 3
    assert set(settings.own_topics()) == {"staging.articles.embargoed", "staging.wire.subscriptions",
                                          "staging.webhooks.dlq"}
    assert settings.own_topics()["staging.articles.embargoed"]["cleanup.policy"] == "compact"
