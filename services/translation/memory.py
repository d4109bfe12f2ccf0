"""The segment translation memory, in Redis.

Key: ``<prefix>wire:tm:<sha256>`` of the normalised source segment, the names
protected in it, the language pair and the engine's model and version; value:
the finished translation (names restored). Segments are sentences (headlines
whole), so an unchanged sentence of an updated article is never translated twice,
and a one-sentence paragraph keeps the key it had when paragraphs were segments;
a new model version never serves the old model's text, and the memory survives
restarts like any Redis data (AOF).

The memory is a cache: when Redis is unreachable the stage translates without it
(counted in ``wire_translation_memory_errors_total``) rather than stopping the news.
"""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.translation.engines.base import Pair, Provenance
from services.translation.metrics import MEMORY_ERRORS
from shared.cache import Keys

log = logging.getLogger(__name__)
_SPACE = re.compile(r"\s+")


def normalise(segment: str) -> str:
    """NFC, whitespace runs folded to one space, trimmed: what the key hashes."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", segment)).strip()


class SegmentMemory(Protocol):
    """What the desk needs of a translation memory: a key per segment, names, pair and
    model; a batch lookup; a batch store. ``TranslationMemory`` is the Redis one; the
    unit tests pass a dict."""

    def key(self, segment: str, names: Iterable[str], pair: Pair, provenance: Provenance) -> str: ...

    async def recall(self, keys: list[str]) -> list[str | None]: ...

    async def remember(self, entries: dict[str, str]) -> None: ...


class TranslationMemory:
    def __init__(self, redis: Redis, keys: Keys, *, ttl_days: float = 0) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_s = int(ttl_days * 86400) or None  # 0: kept until evicted

    def key(self, segment: str, names: Iterable[str], pair: Pair, provenance: Provenance) -> str:
        material = "\x1f".join([provenance.engine, provenance.model, str(pair), "\x1e".join(sorted(names)),
                                normalise(segment)])
        return self.keys.translation_memory(hashlib.sha256(material.encode("utf-8")).hexdigest())

    async def recall(self, keys: list[str]) -> list[str | None]:
        """The remembered translation of each key (None where there is none, or
        everywhere when Redis is unreachable)."""
        if not keys:
            return []
        try:
            values = await self.redis.mget(keys)
        except RedisError as exc:
            MEMORY_ERRORS.labels("recall").inc()
            log.warning("translation memory unreachable, translating without it", extra={"error": repr(exc)})
            return [None] * len(keys)
        return [v.decode("utf-8") if v is not None else None for v in values]

    async def remember(self, entries: dict[str, str]) -> None:
        """Store translations by key (best effort: a Redis failure is logged and counted)."""
        if not entries:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, text in entries.items():
                    pipe.set(key, text.encode("utf-8"), ex=self.ttl_s)
                await pipe.execute()
        except RedisError as exc:
            MEMORY_ERRORS.labels("remember").inc()
            log.warning("translation memory not written", extra={"error": repr(exc), "segments": len(entries)})
