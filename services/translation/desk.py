"""The translation desk: one article's segments into one language, through the
memory, the name guard and a batched engine, with retries.

For each segment: look it up in the memory (hit: done); otherwise mask its
protected names, queue it on the engine's batcher for the pair, restore the
names, and remember the result. A segment whose placeholder the engine dropped
is tried once more unmasked, and the attempt that kept more names wins (neural
engines often copy names by themselves; a rule-based one never drops a
placeholder). Retriable engine errors are retried with exponential backoff and
jitter; the last error is raised to the handler, which dead-letters that pair only.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass

from services.translation.batching import SegmentBatcher
from services.translation.engines.base import Engine, EngineFailed, Pair
from services.translation.memory import SegmentMemory, normalise
from services.translation.metrics import (ENGINE_ERRORS, ENGINE_SECONDS, MEMORY_HITS, MEMORY_MISSES, NAMES_LOST,
                                          SEGMENTS)
from services.translation.names import NameGuard, names_kept
from shared.errors import WireError, is_retriable

log = logging.getLogger(__name__)


class PairFailed(WireError):
    """A language pair that could not be translated: ``cause`` is the engine's last
    error after ``attempts`` tries."""

    code = "engine_failed"

    def __init__(self, pair: Pair, engine: str, cause: Exception, attempts: int) -> None:
        super().__init__(f"{engine} failed for {pair.arrow} after {attempts} attempt(s): {cause}")
        self.pair, self.engine, self.cause, self.attempts = pair, engine, cause, attempts
        self.retriable = is_retriable(cause)


@dataclass
class DeskResult:
    texts: dict[str, str]   # source segment → translation
    hits: int               # segments the memory already had
    names_lost: list[str]   # protected names the engine dropped


class TranslationDesk:
    def __init__(self, memory: SegmentMemory, *, attempts: int = 5, backoff_s: float = 0.2,
                 max_batch_segments: int = 256, calls_in_flight: int = 2, batch_hold_s: float = 0.25) -> None:
        self.memory = memory
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.max_batch_segments = max_batch_segments
        self.calls_in_flight = calls_in_flight
        self.batch_hold_s = batch_hold_s
        self._batchers: dict[tuple[str, Pair], SegmentBatcher] = {}

    async def translate(self, segments: list[str], *, names: list[str], pair: Pair, engine: Engine,
                        priority: int = 5) -> DeskResult:
        """Translations of ``segments`` (distinct, normalised) from the memory or ``engine``.

        Raises PairFailed when the pair cannot be translated now: the engine was
        unavailable ``attempts`` times, or refused at once (EngineFailed).
        """
        batcher = self._batcher(engine, pair)
        provenance = engine.provenance(pair)
        guard = NameGuard(names, engine.placeholder)
        masked = {s: guard.mask(s) for s in segments}
        keys = {s: self.memory.key(s, masked[s].names.values(), pair, provenance) for s in segments}
        # Announced for the memory lookup, so that an idle engine's call waits for this
        # article rather than leaving with the first one whose lookup came back. The
        # announcement ends with the lookup, and the request (if any) is queued before
        # this task next awaits, so the batcher always sees one or the other.
        with batcher.expect():
            recalled = await self.memory.recall([keys[s] for s in segments])
        texts = {s: t for s, t in zip(segments, recalled) if t is not None}
        missing = [s for s in segments if s not in texts]
        MEMORY_HITS.labels(pair.label).inc(len(texts))
        MEMORY_MISSES.labels(pair.label).inc(len(missing))
        names_lost: list[str] = []
        if missing:
            SEGMENTS.labels(engine.name, pair.label).inc(len(missing))
            outputs = await self._with_retries(batcher, [masked[s].text for s in missing], priority,
                                               pair=pair, engine=engine.name)
            fresh, lost = {}, {}
            for source, output in zip(missing, outputs):
                restored, lost[source] = guard.restore(output, masked[source])
                fresh[source] = normalise(restored)  # engines leave double spaces and stray breaks
            retry = [s for s in missing if lost[s]]
            if retry:  # the engine dropped a placeholder: see whether it keeps the names unmasked
                try:
                    plains = await batcher.translate(retry, priority=priority)
                except WireError:  # a best-effort second look; the masked attempt stands
                    plains = [fresh[s] for s in retry]
                for source, plain in zip(retry, plains):
                    wanted = masked[source].names.values()
                    if names_kept(plain, wanted) > names_kept(fresh[source], wanted):
                        fresh[source] = normalise(plain)
                    lost[source] = [n for n in wanted if n not in fresh[source]]
            names_lost = sorted({n for s in missing for n in lost[s]})
            NAMES_LOST.labels(engine.name).inc(sum(len(lost[s]) for s in missing))
            texts.update(fresh)
            await self.memory.remember({keys[s]: fresh[s] for s in missing})
        return DeskResult(texts, hits=len(segments) - len(missing), names_lost=names_lost)

    def _batcher(self, engine: Engine, pair: Pair) -> SegmentBatcher:
        key = (engine.name, pair)
        if key not in self._batchers:
            async def call(segments: list[str]) -> list[str]:
                started = time.perf_counter()
                try:
                    out = await engine.translate(segments, pair)
                except WireError as exc:
                    ENGINE_ERRORS.labels(engine.name, str(is_retriable(exc)).lower()).inc()
                    raise
                except Exception as exc:  # noqa: BLE001 - an engine's own bug fails its pair only
                    ENGINE_ERRORS.labels(engine.name, "false").inc()
                    raise EngineFailed(f"{engine.name} crashed: {exc!r}") from exc
                finally:
                    ENGINE_SECONDS.labels(engine.name).observe(time.perf_counter() - started)
                if len(out) != len(segments):
                    raise EngineFailed(f"{engine.name} returned {len(out)} segments for {len(segments)}")
                return out

            self._batchers[key] = SegmentBatcher(call, max_segments=self.max_batch_segments,
                                                 in_flight=self.calls_in_flight, hold_s=self.batch_hold_s)
        return self._batchers[key]

    async def _with_retries(self, batcher: SegmentBatcher, segments: list[str], priority: int, *,
                            pair: Pair, engine: str) -> list[str]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await batcher.translate(segments, priority=priority)
            except WireError as exc:
                if not is_retriable(exc) or attempt >= self.attempts:
                    raise PairFailed(pair, engine, exc, attempt) from exc
                delay = self.backoff_s * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                log.warning("engine error, backing off", extra={"error": repr(exc), "attempt": attempt,
                                                                "delay_s": round(delay, 3)})
                await asyncio.sleep(delay)
