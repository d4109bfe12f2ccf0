"""The event contract: one definition of each event that crosses Kafka.

The article travels shaped exactly like an IPTC ninjs 3.1 object (IPTC field names,
camelCase), so publishing emits valid ninjs with no mapping layer. Pipeline-only
data lives in the :class:`Envelope` beside it, never inside the ninjs object.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Stage(StrEnum):
    RECEIVED = "received"
    INGESTED = "ingested"
    ENRICHED = "enriched"
    TRANSLATED = "translated"
    PUBLISHED = "published"

    @property
    def event_type(self) -> str:
        """CloudEvents type of the event a stage emits, e.g. ``wire.article.enriched.v1``."""
        return f"wire.article.{self.value}.v{SCHEMA_VERSION}"


class Signal(StrEnum):
    """What a version of a story means to a subscriber."""

    NEW = "new"
    UPDATE = "update"
    CORRECTION = "correction"
    KILL = "kill"


class TextBlock(BaseModel):
    """A ninjs headline, description or body: a value with a role and a media type."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    contentType: str | None = None
    value: str


class Article(BaseModel):
    """A news item shaped like ninjs 3.1. Entity lists keep ninjs' own object shapes."""

    model_config = ConfigDict(extra="allow")

    uri: str
    type: str = "text"
    representationType: str | None = None
    profile: str | None = None
    version: str = "1"
    firstCreated: str | None = None
    versionCreated: str | None = None
    contentCreated: str | None = None
    embargoedUntil: str | None = None
    pubStatus: str = "usable"
    urgency: int | None = None
    copyrightHolder: str | None = None
    copyrightNotice: str | None = None
    usageTerms: str | None = None
    edNote: str | None = None
    language: str | None = None
    by: str | None = None
    slugline: str | None = None
    located: str | None = None
    headlines: list[TextBlock] = Field(default_factory=list)
    descriptions: list[TextBlock] = Field(default_factory=list)
    bodies: list[TextBlock] = Field(default_factory=list)
    people: list[dict[str, Any]] = Field(default_factory=list)
    organisations: list[dict[str, Any]] = Field(default_factory=list)
    places: list[dict[str, Any]] = Field(default_factory=list)
    subjects: list[dict[str, Any]] = Field(default_factory=list)
    infoSources: list[dict[str, Any]] = Field(default_factory=list)
    renditions: list[dict[str, Any]] = Field(default_factory=list)
    associations: list[dict[str, Any]] = Field(default_factory=list)
    altIds: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def headline(self) -> str:
        """The main headline's text, or "" when the item has none."""
        for block in self.headlines:
            if block.role in (None, "main"):
                return block.value
        return self.headlines[0].value if self.headlines else ""

    @property
    def body_text(self) -> str:
        """The plain-text body (the first text/plain body, else the first body)."""
        for block in self.bodies:
            if block.contentType in (None, "text/plain"):
                return block.value
        return self.bodies[0].value if self.bodies else ""

    def to_ninjs(self) -> dict[str, Any]:
        """The item as a ninjs 3.1 JSON object: empty lists and unset fields left out."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: v for k, v in data.items() if v != []}


class StageNote(BaseModel):
    """A machine-readable remark a stage leaves on an article (e.g. no translation engine)."""

    stage: str
    code: str
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class StageTiming(BaseModel):
    started_at: float
    finished_at: float

    @property
    def millis(self) -> float:
        return (self.finished_at - self.started_at) * 1000.0


class Envelope(BaseModel):
    """Pipeline-only data that travels beside the article."""

    schema_version: int = SCHEMA_VERSION
    article_id: str
    provider: str
    received_at: datetime
    source_format: str
    content_type: str
    signal: Signal = Signal.NEW
    traceparent: str
    stage_timings: dict[str, StageTiming] = Field(default_factory=dict)
    notes: list[StageNote] = Field(default_factory=list)
    # What ninjs has no field for (quotes, keywords, clusters…), filled by enrichment.
    enrichment: dict[str, Any] = Field(default_factory=dict)
    # Machine-translation provenance, filled by translation: on a translation its
    # engine, model, quality tier and original; on an original its language versions.
    translation: dict[str, Any] | None = None


class ArticleEvent(BaseModel):
    """An article on its way through the pipeline: the value of every stage topic
    after ``wire.inbound``."""

    envelope: Envelope
    article: Article

    def idempotency_key(self, stage: Stage) -> str:
        """Deterministic id of this event's output at ``stage``: ``uri@version:stage``."""
        return f"{self.article.uri}@{self.article.version}:{stage.value}"


class ArticleReceived(BaseModel):
    """A submission as the gateway accepted it (the ``wire.inbound`` event).

    On Kafka the payload is the record value and the rest travels as CloudEvents
    binary-mode headers, so the raw bytes are kept exactly as the wire sent them.
    """

    event_id: str
    article_id: str
    uri: str
    provider: str
    content_type: str
    received_at: datetime
    traceparent: str
    payload: bytes


def article_id_for(uri: str) -> str:
    """The short URL-safe id the API uses for a story: a hash of its uri."""
    return hashlib.sha256(uri.encode("utf-8")).hexdigest()[:20]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
