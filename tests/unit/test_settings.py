"""Configuration: environment first, refuse an unsafe deployment."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.settings import DEV_KEY, GatewaySettings
from shared.settings import WireSettings


def test_settings_come_from_wire_prefixed_environment(monkeypatch):
    monkeypatch.setenv("WIRE_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("WIRE_TOPIC_PREFIX", "staging.")
    settings = WireSettings()
    assert settings.kafka_bootstrap == "k1:9092,k2:9092" and settings.topic_prefix == "staging."


def test_dev_key_only_on_loopback(monkeypatch):
    monkeypatch.delenv("WIRE_API_KEY", raising=False)
    assert GatewaySettings(host="127.0.0.1").providers_by_key() == {DEV_KEY: "local"}
    with pytest.raises(ValidationError, match="no API keys configured"):
        GatewaySettings(host="0.0.0.0")


def test_configured_keys_map_to_providers(monkeypatch):
    monkeypatch.setenv("WIRE_API_KEYS", '{"k-ap": "ap", "k-dpa": "dpa"}')
    monkeypatch.setenv("WIRE_ADMIN_KEY", "an-admin-key")  # off loopback the admin key is required too
    monkeypatch.setenv("WIRE_SECRET_KEY", "a-sealing-key")  # and the key that seals webhook secrets
    settings = GatewaySettings(host="0.0.0.0")
    assert settings.providers_by_key() == {"k-ap": "ap", "k-dpa": "dpa"}


def test_a_list_setting_takes_commas_as_well_as_json(monkeypatch):
    from services.translation.settings import TranslationSettings

    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", "pt, es")
    assert TranslationSettings().target_languages == ["pt", "es"]
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", '["pt","es"]')
    assert TranslationSettings().target_languages == ["pt", "es"]
    monkeypatch.setenv("WIRE_API_KEYS", "not-json")  # a map has no natural comma form: still refused
    with pytest.raises(Exception, match="api_keys"):
        GatewaySettings()
