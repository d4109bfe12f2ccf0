"""Subscriptions: who wants which slice of the wire, and where it goes.

A :class:`Subscription` names a filter over ninjs fields and its outputs (a Kafka
topic, a signed webhook, feeds and the live stream). The gateway manages them, the
publishing service matches every item against them. They live in Redis (a hash of
JSON documents plus a version counter that publishing watches, so a change applies
to the next item without a restart) and, for durability, in the compacted Kafka
topic ``wire.subscriptions`` from which ``wire rebuild-read-model`` restores them.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
import re2
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from redis.asyncio import Redis

from shared.cache import SubscriptionKeys  # noqa: F401 - where the key names used to live
from shared.outbound.redact import url_reference
from shared.topics import Topics

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
# Short forms of IPTC vocabularies a filter may use ("medtop:16000000").
_VOCABULARIES = {"medtop:": "http://cv.iptc.org/newscodes/mediatopic/",
                 "subj:": "http://cv.iptc.org/newscodes/subjectcode/"}
# The ninjs 3.1 ``type`` values, so a filter on a misspelt type is refused, not silently empty.
NinjsType = Literal["text", "audio", "video", "picture", "graphic", "composite", "component", "event", "planning"]
# A filter is matched against every item a list request scans (up to thousands, on the
# gateway's event loop) and every item publishing fans out: its size is bounded. The
# bounds hold for what a client submits; a subscription read back from Redis or Kafka
# (validated with context {"stored": True}) is taken as stored, so one saved before a
# bound existed still loads (and can be replaced or deleted) instead of failing every read.
MAX_FILTER_VALUES = 50
MAX_KEYWORDS = 20
MAX_VALUE_CHARS = 200
Value = Annotated[str, StringConstraints(max_length=MAX_VALUE_CHARS)]  # a list query parameter's value
STORED = {"stored": True}


def _bounded_list(limit: int) -> Any:
    return Field([], json_schema_extra={"maxItems": limit, "items": {"type": "string", "maxLength": MAX_VALUE_CHARS}})


def submitted(info: ValidationInfo) -> bool:
    """Whether the model is being validated from a client's input (not read back as stored)."""
    return not (info.context or {}).get("stored")


class SubscriptionFilter(BaseModel):
    """What a subscriber wants. Every field given must match (AND); within a list any
    value may match (OR); an empty filter takes everything.

    ``subjects``/``people``/``organisations``/``places`` match an entity's uri, name or
    literal (case-insensitive; ``medtop:NNN`` stands for the IPTC media-topic uri);
    ``languages`` are BCP 47 ranges ("en" matches "en-GB"); ``urgency`` keeps items
    whose urgency is at most this (items without urgency do not match);
    ``keywords`` are words or phrases found in the headline, descriptions, slugline
    or body; ``providers`` are the feeds' provider names; ``types`` are ninjs types
    ("picture", "video", "composite"…; an item without one is "text").
    """

    model_config = ConfigDict(extra="forbid")
    languages: list[str] = _bounded_list(MAX_FILTER_VALUES)
    subjects: list[str] = _bounded_list(MAX_FILTER_VALUES)
    people: list[str] = _bounded_list(MAX_FILTER_VALUES)
    organisations: list[str] = _bounded_list(MAX_FILTER_VALUES)
    places: list[str] = _bounded_list(MAX_FILTER_VALUES)
    providers: list[str] = _bounded_list(MAX_FILTER_VALUES)
    urgency: int | None = Field(None, ge=1, le=9)
    keywords: list[str] = _bounded_list(MAX_KEYWORDS)
    types: list[NinjsType] = []

    @field_validator("languages", "subjects", "people", "organisations", "places", "providers", "keywords")
    @classmethod
    def _bounded(cls, values: list[str], info: ValidationInfo) -> list[str]:
        limit = MAX_KEYWORDS if info.field_name == "keywords" else MAX_FILTER_VALUES
        if submitted(info):
            if len(values) > limit:
                raise ValueError(f"at most {limit} values")
            if any(len(v) > MAX_VALUE_CHARS for v in values):
                raise ValueError(f"a value has at most {MAX_VALUE_CHARS} characters")
        return values

    @field_validator("urgency", mode="before")
    @classmethod
    def _json_integer(cls, value: Any) -> Any:
        # JSON Schema's integer: 6 and 6.0 are, "6" and true are not (pydantic would coerce them)
        if isinstance(value, (str, bool)):
            raise ValueError("urgency is a number from 1 to 9")
        return value

    @cached_property
    def _compiled(self) -> dict[str, Any]:
        def norm(values: list[str]) -> set[str]:
            out = set()
            for value in values:
                value = value.strip().casefold()
                for short, long in _VOCABULARIES.items():
                    if value.startswith(short):
                        value = long + value[len(short):]
                out.add(value)
            return out

        # Each keyword is looked for as a substring first (casefolded): only a text that
        # holds it pays for the word-boundary search.
        # A keyword that folds to nothing (a lone combining dot) is found nowhere: it
        # narrows a slice like any other keyword, never widens it.
        words = [(word, _whole_word(word) if word else None)
                 for word in (_fold(k).strip() for k in self.keywords if k.strip())]
        return {
            "languages": {v.strip().casefold() for v in self.languages},
            "entities": {f: norm(getattr(self, f)) for f in ("subjects", "people", "organisations", "places")},
            "providers": {v.strip().casefold() for v in self.providers},
            "keywords": words,
        }

    def matches(self, item: dict[str, Any], provider: str | None = None, facts: ItemFacts | None = None) -> bool:
        """Whether the ninjs ``item`` (published by ``provider``) is in this slice. Pure.
        ``facts``: the item's :class:`ItemFacts`, when many filters are asked about it."""
        c = self._compiled
        facts = facts if facts is not None else ItemFacts(item)
        if c["languages"]:
            lang = str(item.get("language") or "").casefold()
            if not any(lang == r or lang.startswith(r + "-") for r in c["languages"]):
                return False
        for field, wanted in c["entities"].items():
            if wanted and not facts.entity_values(field) & wanted:
                return False
        if self.types and (item.get("type") or "text") not in self.types:
            return False
        if c["providers"] and (provider or "").casefold() not in c["providers"]:
            return False
        if self.urgency is not None:
            urgency = item.get("urgency")
            if not isinstance(urgency, int) or urgency > self.urgency:
                return False
        if c["keywords"]:
            folded = facts.folded_text
            if not any(pattern is not None and word in folded and pattern.search(folded)
                       for word, pattern in c["keywords"]):
                return False
        return True


# A word character as Python's ``\w`` has it (letters, numbers, the underscore).
_WORD_CHAR = r"[\pL\pN_]"


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _whole_word(keyword: str):
    """``keyword`` between word boundaries (as ``re``'s ``\\b`` finds them), as an RE2 pattern: RE2 runs in
    time linear in the text, where Python's ``re`` tries the keyword again at every word
    start (a 200-character keyword over a 5 MiB body of repeated words: ~1.4 s of the
    gateway's event loop per item, against ~40 ms). RE2's boundary knows only ASCII words,
    so the boundaries are spelt as the characters around the keyword, Unicode-wide."""
    before = r"(?:^|[^\pL\pN_])" if _is_word_char(keyword[0]) else _WORD_CHAR
    after = r"(?:$|[^\pL\pN_])" if _is_word_char(keyword[-1]) else _WORD_CHAR
    return re2.compile(before + re2.escape(keyword) + after)


def _fold(text: str) -> str:
    """Case-folded so that whatever ``re.I`` matches also folds equal: Turkish dotted
    İ and dotless ı, which ``re.I`` pairs with i and I, fold to plain i."""
    return text.casefold().replace("\u0307", "").replace("ı", "i")


def _entity_values(entity: Any) -> set[str]:
    if not isinstance(entity, dict):
        return set()
    return {str(entity[k]).casefold() for k in ("uri", "name", "literal") if entity.get(k)}


class ItemFacts:
    """What filters read of one ninjs item, worked out once however many filters ask
    (publishing asks every subscription's about every item: per filter, an item of many
    subjects or a long body was read again each time)."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self._entities: dict[str, set[str]] = {}

    def entity_values(self, field: str) -> set[str]:
        """Every uri, name and literal (casefolded) of the item's ``field`` entities."""
        if field not in self._entities:
            self._entities[field] = set().union(*(_entity_values(e) for e in self.item.get(field) or ()))
        return self._entities[field]

    @cached_property
    def folded_text(self) -> str:
        return _fold(searchable_text(self.item))


def searchable_text(item: dict[str, Any]) -> str:
    """The reader-visible text of a ninjs item, for keyword filters."""
    parts = [item.get("slugline") or ""]
    for field in ("headlines", "descriptions", "bodies"):
        parts += [b.get("value", "") for b in item.get(field) or () if isinstance(b, dict)]
    return "\n".join(parts)


# An absolute http(s) URL whose host part urlsplit reads: the schema says what the
# validator below accepts, so a client (and a fuzzer) can tell a valid URL up front.
# No user:password@ part: credentials in a URL would be kept and logged in clear (the
# HMAC signature authenticates the wire to the receiver).
WEBHOOK_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%!$&'()*+,;=:-]+([/?#]|$)"
_WEBHOOK_URL = re.compile(WEBHOOK_URL_PATTERN)


class Webhook(BaseModel):
    """Where a subscription's items are POSTed, and the secret they are signed with.

    The URL may itself be a secret (``https://hooks.slack.com/services/T0/B0/XXXX``), so
    it is kept like the signing secret: the gateway seals it (``sealed_url``) and keeps
    in ``url`` only its :func:`~shared.outbound.redact.url_reference`, which is all
    that is stored, put on Kafka or shown. A webhook stored before URLs were sealed
    has its URL in ``url`` and no ``sealed_url``."""

    # python-re: the pattern means in pydantic what it means to JSON Schema validators
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")
    url: str = Field(json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
                     description="absolute http(s) URL the items are POSTed to; shown (and stored) only as its "
                                 "reference: scheme, host and a SHA-256 of the whole URL. Sending that reference "
                                 "back keeps the URL it names")
    # Shared secret of the HMAC signature, as a client gives it (generated when not
    # given). Never stored: the store keeps it sealed (shared.credentials.SecretBox).
    secret: str | None = Field(None, min_length=16, max_length=256, exclude=True)
    sealed_secret: str | None = Field(None, description="set by the server; never shown")
    sealed_url: str | None = Field(None, description="set by the server; never shown")

    @property
    def reference(self) -> str:
        """What names this webhook's URL without its secret (see :func:`url_reference`)."""
        return self.url if self.sealed_url else url_reference(self.url)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str, info: ValidationInfo) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("webhook url must be an absolute http(s) URL")
        if submitted(info) and "@" in parts.netloc:
            raise ValueError("webhook url must not carry credentials (user:password@); the items are signed")
        if submitted(info) and not _WEBHOOK_URL.match(url):
            raise ValueError(f"webhook url must match {WEBHOOK_URL_PATTERN}")
        return url


class Outputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Produce matching items to the Kafka topic ``published.<name>``.
    topic: bool = Field(True, strict=True)  # strict: 0/1 are not booleans here
    webhook: Webhook | None = None
    # RSS/Atom/JSON feeds and the live SSE stream.
    feeds: bool = Field(True, strict=True)


class ReadToken(BaseModel):
    """A subscriber's read token as stored: its public id and SHA-256, never the token."""

    model_config = ConfigDict(extra="forbid")
    id: str
    sha256: str
    created_at: str


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN, description="lower-case letters, digits, '-' and '_'")
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    outputs: Outputs = Field(default_factory=Outputs)
    created_at: str | None = None
    updated_at: str | None = None
    tokens: list[ReadToken] = []
    # Given by the gateway when the subscription is first saved, never reused: who had a
    # story is kept as these numbers past a few hundred (services/publishing/recipients.py).
    # None: saved before numbers were given (it gets one at its next change). Kept beside
    # the subscription, not in its JSON (which code from before numbers reads, forbidding
    # fields it does not know): in Redis a hash of name → number and creation time (an
    # entry counts only for the subscription created then), on Kafka a record header.
    number: int | None = Field(None, ge=0, exclude=True)

    def topic(self, prefix: str = "") -> str:
        """This subscription's Kafka topic: ``<prefix>published.<name>``."""
        return Topics(prefix).subscription(self.name)

    def existed_by(self, when: Any) -> bool:
        """Whether this subscription was created by ``when`` (ISO 8601), so that it may have
        had what was published then: one created later under a deleted one's name did not.
        Unknown either way counts as yes."""
        try:
            return datetime.fromisoformat(self.created_at) <= datetime.fromisoformat(when)
        except (TypeError, ValueError):
            return True

    def notified_of(self, meta: dict[str, Any]) -> bool:
        """Whether this subscription was told of the kill whose stored ``meta`` is given:
        named among those notified, and created by then (not one made since under a
        notified one's name)."""
        return self.name in meta.get("notified", ()) and self.existed_by(meta.get("published_at"))

    def with_number(self, text: str) -> "Subscription":
        """This subscription with the number ``text`` spells (as kept beside it), if it
        spells one."""
        return self.model_copy(update={"number": int(text)}) if text.isascii() and text.isdigit() else self

    def public(self) -> dict[str, Any]:
        """The subscription as the API shows it: no webhook secret, the webhook URL by its
        reference, tokens by id only."""
        data = self.model_dump(mode="json")
        if data["outputs"]["webhook"]:
            data["outputs"]["webhook"] = {"url": self.outputs.webhook.reference, "secret": "********"}
        data["tokens"] = [{"id": t.id, "created_at": t.created_at} for t in self.tokens]
        return data


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# The record header that carries a subscription's number on the subscriptions' topic.
NUMBER_HEADER = "wire_subscription_number"
# KEYS[1] a counter, ARGV[1] a number: the counter is raised to it if below.
_AT_LEAST = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""
# KEYS[1] the numbers by name ("<number> <created_at>"), KEYS[2] the counter. ARGV: 1 a
# name, 2 its subscription's creation time. Its number, a new one the first time (two
# saves of one subscription at once get the same); an entry of another subscription of
# that name (deleted by a gateway from before numbers, which left it) is replaced.
_NUMBER = """
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept then
  local n, created = string.match(kept, '^(%d+) (.*)$')
  if n and created == ARGV[2] then return tonumber(n) end
end
local n = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], n .. ' ' .. ARGV[2])
return n
"""


class SubscriptionStore:
    """Subscriptions in Redis. Every change bumps a version counter, which publishing
    compares before each item."""

    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self.redis = redis
        self.keys = SubscriptionKeys(key_prefix)

    async def version(self) -> int:
        return int(await self.redis.get(self.keys.version) or 0)

    async def all(self) -> list[Subscription]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.keys.all)
            pipe.hgetall(self.keys.numbered)
            raw, numbers = await pipe.execute()
        return sorted((_stored(v, numbers.get(k)) for k, v in raw.items()), key=lambda s: s.name)

    async def get(self, name: str) -> Subscription | None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(self.keys.all, name)
            pipe.hget(self.keys.numbered, name)
            raw, number = await pipe.execute()
        return _stored(raw, number) if raw else None

    async def by_token_digest(self, sha256: str) -> Subscription | None:
        """The subscription whose read token has this SHA-256 (None: unknown or revoked)."""
        name = await self.redis.hget(self.keys.tokens, sha256)
        if name is None:
            return None
        sub = await self.get(name.decode())
        return sub if sub is not None and any(t.sha256 == sha256 for t in sub.tokens) else None

    async def put(self, subscription: Subscription) -> None:
        """Store ``subscription`` (and index its read tokens, forgetting revoked ones).
        A changed filter empties its live stream: the events there were chosen by the
        old filter, and a narrowed one must not be replayed from them."""
        before = await self.get(subscription.name)
        gone = {t.sha256 for t in before.tokens} - {t.sha256 for t in subscription.tokens} if before else set()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.all, subscription.name, subscription.model_dump_json())
            if subscription.number is not None:
                pipe.hset(self.keys.numbered, subscription.name, _number_entry(subscription))
            if before is not None and before.filter != subscription.filter:
                pipe.delete(self.keys.live(subscription.name))
            if gone:
                pipe.hdel(self.keys.tokens, *gone)
            if subscription.tokens:
                pipe.hset(self.keys.tokens, mapping={t.sha256: subscription.name for t in subscription.tokens})
            pipe.incr(self.keys.version)
            await pipe.execute()

    async def numbered(self, subscription: Subscription) -> Subscription:
        """``subscription`` with its number: the one it has, else the one its name has,
        else a new one (kept from now on for its name, until the subscription is deleted)."""
        if subscription.number is not None:
            return subscription
        number = await self.redis.eval(_NUMBER, 2, self.keys.numbered, self.keys.numbers, subscription.name,
                                       subscription.created_at or "")
        return subscription.model_copy(update={"number": int(number)})

    async def numbers_past(self, number: int) -> None:
        """Give no number up to ``number`` again (a rebuild: one a deleted subscription had
        may still be in a story's recipients)."""
        await self.redis.eval(_AT_LEAST, 1, self.keys.numbers, number)

    async def restore(self, subscriptions: list[Subscription]) -> None:
        """Put back subscriptions read from the Kafka topic (``wire rebuild-read-model``),
        with their numbers, and the numbers' counter past theirs."""
        if not subscriptions:
            return
        tokens = {t.sha256: s.name for s in subscriptions for t in s.tokens}
        numbered = [s for s in subscriptions if s.number is not None]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.eval(_AT_LEAST, 1, self.keys.numbers, max((s.number for s in numbered), default=0))
            if numbered:
                pipe.hset(self.keys.numbered, mapping={s.name: _number_entry(s) for s in numbered})
            pipe.hset(self.keys.all, mapping={s.name: s.model_dump_json() for s in subscriptions})
            if tokens:
                pipe.hset(self.keys.tokens, mapping=tokens)
            pipe.incr(self.keys.version)
            await pipe.execute()

    async def delete(self, name: str) -> bool:
        """Remove the subscription, its read tokens and everything kept for it. Returns
        whether it existed."""
        before = await self.get(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.all, name)
            pipe.hdel(self.keys.numbered, name)  # one made again under its name is another
            if before is not None and before.tokens:
                pipe.hdel(self.keys.tokens, *[t.sha256 for t in before.tokens])
            pipe.delete(*self.keys.per_subscription(name))
            pipe.incr(self.keys.version)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def deliveries(self, name: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` webhook delivery attempts, newest first."""
        entries = await self.redis.xrevrange(self.keys.log(name), count=limit)
        return [{"id": entry_id.decode(), **orjson.loads(fields[b"entry"])} for entry_id, fields in entries]

    async def webhook_status(self, name: str) -> dict[str, Any]:
        """Queue length (entries and bytes of items) and circuit-breaker state of the
        subscription's webhook."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.keys.outbox(name))
            pipe.get(self.keys.outbox_bytes(name))
            pipe.hgetall(self.keys.breaker(name))
            queued, queued_bytes, breaker = await pipe.execute()
        state = {k.decode(): v.decode() for k, v in breaker.items()}
        return {"queued": queued, "queued_bytes": int(queued_bytes or 0), "breaker": state.get("state", "closed"),
                "consecutive_failures": int(state.get("failures", 0)),
                "open_until": float(state["open_until"]) if state.get("open_until") else None}


def subscription_record(subscription: Subscription | None) -> bytes | None:
    """The value kept for a subscription on ``wire.subscriptions`` (None: deleted)."""
    return subscription.model_dump_json().encode() if subscription else None


def number_headers(subscription: Subscription | None) -> list[tuple[str, bytes]]:
    """The headers of its record there: its number."""
    if subscription is None or subscription.number is None:
        return []
    return [(NUMBER_HEADER, str(subscription.number).encode())]


def _number_entry(subscription: Subscription) -> str:
    return f"{subscription.number} {subscription.created_at or ''}"


def _stored(raw: bytes, entry: bytes | None) -> Subscription:
    """A stored subscription with its number: the entry of its name, if it is this
    subscription's (made when it was created), not another's of the same name."""
    sub = Subscription.model_validate_json(raw, context=STORED)
    number, _, created = (entry or b"").decode().partition(" ")
    return sub.with_number(number) if created == (sub.created_at or "") else sub
