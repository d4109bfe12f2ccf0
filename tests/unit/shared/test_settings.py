"""Configuration every service shares: environment first, list settings in either spelling."""
from __future__ import annotations

import pytest

from services.gateway.settings import GatewaySettings
from shared.settings import WireSettings


def test_settings_come_from_wire_prefixed_environment(monkeypatch):
    monkeypatch.setenv("WIRE_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("WIRE_TOPIC_PREFIX", "staging.")
    settings = WireSettings()
    assert settings.kafka_bootstrap == "k1:9092,k2:9092" and settings.topic_prefix == "staging."


def test_a_list_setting_takes_commas_as_well_as_json(monkeypatch):
    from services.translation.settings import TranslationSettings

    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", "pt, es")
    assert TranslationSettings().target_languages == ["pt", "es"]
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", '["pt","es"]')
    assert TranslationSettings().target_languages == ["pt", "es"]
    monkeypatch.setenv("WIRE_API_KEYS", "not-json")  # a map has no natural comma form: still refused
    with pytest.raises(Exception, match="api_keys"):
        GatewaySettings()
