"""The event contract: one definition of each event that crosses Kafka.

The article travels shaped exactly like an IPTC ninjs 3.1 object (IPTC field names,
camelCase), so publishing emits valid ninjs with no mapping layer. Pipeline-only
data lives in the :class:`Envelope` beside it, never inside the ninjs object.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.errors import UnknownSchemaVersion

SCHEMA_VERSION = 1
# The envelope versions this code reads; anything else goes to the DLQ, never half-read.
KNOWN_SCHEMA_VERSIONS = frozenset({1})


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
    """A ninjs headline, description or body: a value with a role and a media type.
    ``charCount`` / ``wordCount`` (integers in ninjs 3.1) belong to bodies only, as the
    source counted them: whoever rewrites ``value`` must drop or recount them."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    contentType: str | None = None
    value: str
    charCount: int | None = None
    wordCount: int | None = None


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


class _OpenRecord(BaseModel):
    """Typed fields for what other stages rely on, extra fields kept as they come
    (a stage may add detail no other stage reads). Also readable by key
    (``info["engine"]``, ``info.get("engine")``), as the dicts they replace were."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def __contains__(self, name: object) -> bool:
        return name in self.keys()

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default) if name in self.keys() else default

    def keys(self) -> list[str]:
        """The fields that were set (given on the wire or assigned), as a dict's keys."""
        return list(dict.fromkeys([*self.model_fields_set, *(self.model_extra or {})]))

    def as_json(self) -> dict[str, Any]:
        """What was set, JSON-ready (what the stage that wrote it put there)."""
        return self.model_dump(mode="json", exclude_unset=True)


class StoryCluster(_OpenRecord):
    id: str
    method: str | None = None
    threshold: float | None = None


class EnrichmentInfo(_OpenRecord):
    """What enrichment found that ninjs has no field for (``envelope.enrichment``).
    Publishing counts trends from ``entities``/``untypedEntities`` and, for a story
    that was under embargo (``trendsDeferred``), counts them when it goes live."""

    version: int | None = None
    language: dict[str, Any] | None = None
    entities: list[dict[str, Any]] | None = None
    untypedEntities: list[dict[str, Any]] | None = None
    quotes: list[dict[str, Any]] | None = None
    infoSources: list[dict[str, Any]] | None = None
    datesMentioned: list[dict[str, Any]] | None = None
    topics: list[dict[str, Any]] | None = None
    keywords: list[dict[str, Any]] | None = None
    summary: list[str] | None = None
    wordCount: int | None = None
    readingTimeSeconds: int | None = None
    notes: list[str] | None = None
    model: str | None = None
    storyCluster: StoryCluster | None = None
    trendsDeferred: bool | None = None


class TranslationLink(_OpenRecord):
    """On an original: one of its machine translations."""

    language: str | None = None
    uri: str
    article_id: str
    engine: str | None = None
    model: str | None = None
    quality: str | None = None


class TranslationInfo(_OpenRecord):
    """Machine-translation provenance (``envelope.translation``). Publishing groups a
    story's language versions by ``role`` and ``of_article_id``: on a translation,
    its original and how it was made; on an original, its language versions."""

    role: Literal["original", "translation"] | None = None
    # on a translation
    of: str | None = None
    of_article_id: str | None = None
    source_language: str | None = None
    language: str | None = None
    engine: str | None = None
    model: str | None = None
    quality: str | None = None
    withdrawn: bool | None = None
    # on an original
    translations: list[TranslationLink] | None = None
    untranslated: list[dict[str, Any]] | None = None


class Envelope(BaseModel):
    """Pipeline-only data that travels beside the article."""

    # Assignments are validated so a stage that sets ``enrichment``/``translation``
    # from a dict still gets the typed record.
    model_config = ConfigDict(validate_assignment=True)

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
    enrichment: EnrichmentInfo = Field(default_factory=EnrichmentInfo)
    # Machine-translation provenance, filled by translation.
    translation: TranslationInfo | None = None

    @field_validator("schema_version", mode="after")
    @classmethod
    def _known_version(cls, version: int) -> int:
        # Raised (not a ValueError) so pydantic does not fold it into a validation
        # error: the codec turns it into an UnknownSchemaVersion with its own reason.
        if version not in KNOWN_SCHEMA_VERSIONS:
            raise UnknownSchemaVersion(version)
        return version


class ArticleEvent(BaseModel):
    """An article on its way through the pipeline: the value of every stage topic
    after ``wire.inbound``."""

    envelope: Envelope
    article: Article

    def idempotency_key(self, stage: Stage) -> str:
        """Deterministic id of this event's output at ``stage``: ``uri@version:stage``."""
        return f"{self.article.uri}@{self.article.version}:{stage.value}"


SubmissionStatus = Literal["accepted", "duplicate", "stale"]


class SubmittedItem(BaseModel):
    """What became of one story of a submission, as the gateway answers a POST (and
    an ingest poller logs it): ``accepted`` goes on to ingest; ``duplicate`` (the
    same version and text again) and ``stale`` (an older version) stop here."""

    id: str = Field(description="for GET /v1/articles/{id}")
    uri: str
    format: str = Field(description="the wire format the payload was read as")
    status: SubmissionStatus
    duplicate: bool
    stale: bool
    version: str | None = Field(None, description="the version the source declared")
    href: str | None = None

    @classmethod
    def of(cls, *, uri: str, format: str, status: SubmissionStatus, version: str | None) -> "SubmittedItem":
        return cls(id=article_id_for(uri), uri=uri, format=format, status=status,
                   duplicate=status == "duplicate", stale=status == "stale", version=version)

    def answer(self) -> dict[str, Any]:
        """The JSON of the gateway's answer (an undeclared version left out)."""
        return self.model_dump(mode="json", exclude_none=True)


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
