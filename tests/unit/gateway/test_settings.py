"""The gateway refuses an unsafe deployment: dev API and admin keys on loopback only, a
secret key for webhook secrets off loopback."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.settings import DEV_ADMIN_KEY, DEV_KEY, GatewaySettings


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


def test_trusting_every_peer_s_forwarded_address_is_refused(monkeypatch):
    """With "*" a client names its own address in X-Forwarded-For, a new one per guess."""
    monkeypatch.setenv("WIRE_FORWARDED_ALLOW_IPS", "10.0.0.0/8, *")
    with pytest.raises(ValidationError, match="WIRE_FORWARDED_ALLOW_IPS"):
        GatewaySettings(host="127.0.0.1")
    monkeypatch.setenv("WIRE_FORWARDED_ALLOW_IPS", "10.0.0.0/8,192.0.2.7")
    assert GatewaySettings(host="127.0.0.1").forwarded_allow_ips == "10.0.0.0/8,192.0.2.7"
