"""The subscription admin key follows the API key rule: a dev key on loopback only."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.settings import DEV_ADMIN_KEY, GatewaySettings
from services.publishing.settings import PublishingSettings


def test_dev_admin_key_only_on_loopback(monkeypatch):
    monkeypatch.delenv("WIRE_ADMIN_KEY", raising=False)
    monkeypatch.setenv("WIRE_API_KEY", "a-feed-key")
    assert GatewaySettings(host="127.0.0.1").admin_key == DEV_ADMIN_KEY
    with pytest.raises(ValidationError, match="no admin key configured"):
        GatewaySettings(host="0.0.0.0")


def test_a_configured_admin_key_is_used_anywhere(monkeypatch):
    monkeypatch.setenv("WIRE_API_KEY", "a-feed-key")
    monkeypatch.setenv("WIRE_ADMIN_KEY", "the-admin-key")
    monkeypatch.setenv("WIRE_SECRET_KEY", "the-secret-sealing-key")
    assert GatewaySettings(host="0.0.0.0").admin_key == "the-admin-key"


def test_off_loopback_the_gateway_needs_a_secret_key_for_webhook_secrets(monkeypatch):
    monkeypatch.setenv("WIRE_API_KEY", "a-feed-key")
    monkeypatch.setenv("WIRE_ADMIN_KEY", "the-admin-key")
    with pytest.raises(ValueError, match="WIRE_SECRET_KEY"):
        GatewaySettings(host="0.0.0.0")


def test_publishing_topics_carry_the_prefix(monkeypatch):
    monkeypatch.setenv("WIRE_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("WIRE_WEBHOOK_MAX_ATTEMPTS", "3")
    settings = PublishingSettings()
    assert settings.webhook_max_attempts == 3
    assert set(settings.own_topics()) == {"staging.articles.embargoed", "staging.wire.subscriptions",
                                          "staging.webhooks.dlq"}
    assert settings.own_topics()["staging.articles.embargoed"]["cleanup.policy"] == "compact"
