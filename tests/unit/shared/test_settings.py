"""Configuration every service shares: environment first, list settings in either spelling."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

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


def test_every_service_knows_whether_the_deployment_translates(monkeypatch):
    from services.publishing.settings import PublishingSettings
    from shared.lag import stage_inputs
    from shared.topics import Topics

    monkeypatch.delenv("WIRE_TARGET_LANGUAGES", raising=False)
    assert not PublishingSettings().translates and not GatewaySettings().translates
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", "pt")
    assert PublishingSettings().translates and GatewaySettings().translates
    assert WireSettings(target_languages="pt, es").target_languages == ["pt", "es"]  # as an env file writes it
    assert WireSettings(target_languages="").target_languages == []
    with pytest.raises(Exception, match="BCP 47"):
        WireSettings(target_languages="pt;DROP")
    topics = Topics("x.")
    # publishing reads translation's output only where translation runs
    assert topics.publishing_input(True) == "x.articles.translated"
    assert topics.publishing_input(False) == "x.articles.enriched"
    assert stage_inputs(topics, True)["publishing"] == "x.articles.translated"
    assert stage_inputs(topics, True)["translation"] == "x.articles.enriched"
    assert stage_inputs(topics, False) == {"ingest": "x.wire.inbound", "enrichment": "x.articles.ingested",
                                           "publishing": "x.articles.enriched"}
    assert Topics.enriched_reader(True) == "translation" and Topics.enriched_reader(False) == "publishing"


def test_uri_owners_must_be_uri_prefixes_given_to_one_provider_each():
    settings = WireSettings(uri_owners={"ap": ["https://apnews.com/", "urn:newsml:ap.org:"]})
    assert settings.uri_owners["ap"] == ["https://apnews.com/", "urn:newsml:ap.org:"]
    with pytest.raises(ValidationError, match="no uri prefix"):
        WireSettings(uri_owners={"ap": ["h"]})
    with pytest.raises(ValidationError, match="both 'ap' and 'dpa'"):
        WireSettings(uri_owners={"ap": ["urn:newsml:ap.org:"], "dpa": ["URN:NEWSML:AP.ORG:"]})
