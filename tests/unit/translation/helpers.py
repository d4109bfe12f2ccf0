"""Stand-ins for the unit tests of translation's pure code: a memory held in a dict
and an engine whose output is predictable (integration tests use the real ones)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from services.translation.engines.base import NEURAL, EngineUnavailable, Pair, Provenance
from services.translation.memory import normalise
from shared.events import Article, ArticleEvent, Envelope, article_id_for
from shared.formats import parse
from shared.tracing import new_traceparent

FIXTURE = Path(__file__).parents[2] / "fixtures" / "korea-daily-2024-12-18.txt"
PEOPLE = ["Park Won-gon", "Andrei Belousov", "Kim Jong-un", "Volodymyr Zelensky"]
ORGANISATIONS = ["Segye Ilbo", "Ewha Womans University", "Korean Central Television"]
PLACES = ["Pyongyang", "Kursk"]


class DictMemory:
    """A ``SegmentMemory`` in a dict. Its key keeps what the Redis memory's hash covers
    (engine, model, pair, names, normalised segment), readable instead of hashed."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def key(self, segment: str, names: Iterable[str], pair: Pair, provenance: Provenance) -> str:
        return "|".join([provenance.engine, provenance.model, str(pair), ",".join(sorted(names)), normalise(segment)])

    async def recall(self, keys: list[str]) -> list[str | None]:
        return [self.entries.get(k) for k in keys]

    async def remember(self, entries: dict[str, str]) -> None:
        self.entries.update(entries)


class MarkingEngine:
    """Translates by wrapping each segment in ⟨target:…⟩, so tests can tell a
    translation from a copy; fails on demand."""

    placeholder = "X{}X"

    def __init__(self, name: str = "marker", pairs: tuple[str, ...] = ("en-pt",), failing: Exception | None = None):
        self.name = name
        self.pairs = pairs
        self.failing = failing
        self.calls: list[list[str]] = []

    def supports(self, pair: Pair) -> bool:
        return str(pair) in self.pairs

    def provenance(self, pair: Pair) -> Provenance:
        return Provenance(engine=self.name, model="marker 1", quality=NEURAL, label="Marker 1")

    async def translate(self, segments, pair):
        self.calls.append(list(segments))
        if self.failing is not None:
            raise self.failing
        return [f"⟨{pair.target}:{s}⟩" for s in segments]

    async def aclose(self):
        return None


def down() -> EngineUnavailable:
    return EngineUnavailable("connection refused")


def example_article(with_entities: bool = True) -> Article:
    article = parse(FIXTURE.read_bytes(), "text/plain", provider="unit")[0].article
    article.language = "en"
    if with_entities:
        article.people += [{"name": n} for n in PEOPLE]
        article.organisations += [{"name": n} for n in ORGANISATIONS]
        article.places += [{"name": n} for n in PLACES]
    return article


def event_of(article: Article) -> ArticleEvent:
    envelope = Envelope(article_id=article_id_for(article.uri), provider="unit",
                        received_at=datetime(2024, 12, 18, tzinfo=timezone.utc), source_format="text",
                        content_type="text/plain", traceparent=new_traceparent())
    return ArticleEvent(envelope=envelope, article=article)
