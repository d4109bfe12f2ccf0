"""The gateway's watch over the pipeline: measures lag, DLQ depth and throughput
every few seconds, for ``/metrics``, ``/v1/ops/summary`` and the dashboard, while
someone watches.

One background task per gateway process. It measures every ``refresh_s`` while
``/metrics`` or the summary was asked within ``watch_s`` (a Prometheus scrape or an
open dashboard keeps it going), and sleeps when nobody asks: each measure is a dozen
Kafka requests, a few milliseconds of the gateway's and the broker's CPU a second
that an unwatched pipeline's articles would otherwise pay for. The first ask after a
sleep waits (a few seconds at most) for a fresh measure instead of being shown an
old one. A Kafka outage is logged and shown as ``error`` in the summary, and the
task keeps trying.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from dataclasses import asdict
from typing import Any

from aiokafka.errors import KafkaError

from shared.dead_letters import read_dead_letters, tally_reasons
from shared.heartbeat import record_error
from shared.lag import Backlog, OffsetReader, backlog_collector, measure, replay_group
from shared.stopping import sleep_until, until_stopped
from shared.topics import Topics

log = logging.getLogger(__name__)

REFRESH_S = 3.0
WATCH_S = 60.0  # measuring goes on this long after the last ask (scrapes come more often)
ASK_WAIT_S = 5.0  # the longest an ask waits for a fresh measure
HISTORY = 200  # samples kept for the throughput sparkline (10 min at 3 s)
REASON_SAMPLE = 500  # newest pending DLQ records whose reasons are tallied


class OpsMonitor:
    """Keeps the latest :class:`Backlog`, a short history of output offsets, and the
    reasons of the records waiting in each DLQ."""

    def __init__(self, bootstrap: str, topics: Topics, *, translates: bool, refresh_s: float = REFRESH_S,
                 watch_s: float = WATCH_S) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.translates = translates  # the deployment runs a translation stage
        self.refresh_s = refresh_s
        self.watch_s = watch_s
        self.rounds = 0  # measures attempted
        self._asked_at = -math.inf  # time.monotonic() of the last ask
        self._measured_at = -math.inf  # time.monotonic() of the last measure attempted
        self._asked = asyncio.Event()
        self._next: asyncio.Future | None = None  # resolved when the next measure ends
        self._running = False  # run() is under way
        self.reader = OffsetReader(bootstrap)
        self.latest: Backlog | None = None
        self.error: str | None = None
        self.history: deque[tuple[float, dict[str, int]]] = deque(maxlen=HISTORY)
        self.reasons: dict[str, list[dict[str, Any]]] = {}
        self._reason_marks: dict[str, tuple] = {}
        self._started = False

    async def run(self, stop: asyncio.Event) -> None:
        """Measure every ``refresh_s`` while watched, until ``stop`` is set."""
        self._running = True
        try:
            while not stop.is_set():
                if time.monotonic() - self._asked_at > self.watch_s:
                    self._asked.clear()
                    backlog_collector().latest = None  # /metrics exports no lag it is not measuring
                    await until_stopped(stop, self._asked.wait())
                    self.history.clear()  # a rate across the sleep would be no rate of now
                    continue
                try:
                    await self.refresh()
                finally:
                    self._measured_at = time.monotonic()
                    self.rounds += 1
                    if self._next is not None and not self._next.done():
                        self._next.set_result(None)
                await sleep_until(stop, self.refresh_s)
        finally:
            self._running = False
            if self._started:
                await self.reader.stop()

    async def asked(self, wait_s: float = ASK_WAIT_S) -> None:
        """Someone looks (``/metrics``, the summary): keep measuring for ``watch_s``.
        An ask that wakes the monitor waits up to ``wait_s`` for its first measure
        (then what is known is shown, its age with it); others never wait, so a
        Kafka outage, whose measures take longer than that, holds no request up."""
        now = time.monotonic()
        woke, self._asked_at = now - self._asked_at > self.watch_s, now
        self._asked.set()
        if not self._running or not woke or now - self._measured_at <= 2 * self.refresh_s:
            return  # watched already, fresh enough, or nothing would measure (not running)
        if self._next is None or self._next.done():
            self._next = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._next), wait_s)
        except asyncio.TimeoutError:
            pass

    async def refresh(self) -> None:
        try:
            if not self._started:
                self.reader = OffsetReader(self.bootstrap)  # a client that failed to start is not reused
                await self.reader.start()
                self._started = True
            backlog = await asyncio.wait_for(measure(self.reader, self.topics, translates=self.translates), 30)
            await asyncio.wait_for(self._tally_dlqs(backlog), 30)
        except (KafkaError, OSError, asyncio.TimeoutError) as exc:
            self.error = f"kafka: {type(exc).__name__}: {exc}"
            record_error("gateway", exc)
            log.warning("pipeline backlog not measured", extra={"error": repr(exc)})
            return
        self.error = None
        self.latest = backlog
        self.history.append((backlog.measured_at, dict(backlog.produced)))
        backlog_collector().latest = backlog

    async def _tally_dlqs(self, backlog: Backlog) -> None:
        """Re-read a DLQ's pending records only when its offsets moved."""
        replayed = await self.reader.committed(replay_group(self.topics))
        for dlq in backlog.dlqs:
            mark = (dlq.retained, dlq.pending)
            if self._reason_marks.get(dlq.topic) == mark:
                continue
            start = {tp: off for tp, off in replayed.items() if tp.topic == dlq.topic}
            letters = await read_dead_letters(self.reader, dlq.topic, start=start, limit=REASON_SAMPLE, newest=True)
            self.reasons[dlq.topic] = tally_reasons(letters)
            self._reason_marks[dlq.topic] = mark

    def per_minute(self, window_s: float = 60.0) -> dict[str, float | None]:
        """Records each stage produced per minute over the last ``window_s``."""
        if len(self.history) < 2:
            return {stage: None for stage in (self.latest.produced if self.latest else {})}
        now_ts, now = self.history[-1]
        then_ts, then = next(((ts, p) for ts, p in self.history if now_ts - ts <= window_s), self.history[0])
        if then_ts == now_ts:
            then_ts, then = self.history[-2]
        span = max(now_ts - then_ts, 1e-6)
        return {stage: round((count - then.get(stage, 0)) * 60.0 / span, 1) for stage, count in now.items()}

    def series(self, points: int = 60) -> dict[str, list[float]]:
        """Per-minute rate of each stage between consecutive samples (oldest first)."""
        samples = list(self.history)[-(points + 1):]
        out: dict[str, list[float]] = {}
        for (t0, p0), (t1, p1) in zip(samples, samples[1:]):
            for stage, count in p1.items():
                out.setdefault(stage, []).append(round((count - p0.get(stage, 0)) * 60.0 / max(t1 - t0, 1e-6), 1))
        return out

    def snapshot(self) -> dict[str, Any]:
        """Lag, DLQs (with reasons) and throughput as plain JSON."""
        backlog = self.latest
        dlqs = []
        for dlq in backlog.dlqs if backlog else []:
            dlqs.append({"topic": dlq.topic, "source_topic": dlq.source_topic, "pending": dlq.pending,
                         "retained": dlq.retained, "reasons": self.reasons.get(dlq.topic, []) if dlq.pending else []})
        return {
            "measured_at": backlog.measured_at if backlog else None,
            "error": self.error,
            "lag": {"groups": backlog.group_lag() if backlog else {},
                    "partitions": [asdict(r) for r in backlog.lag] if backlog else []},
            "dlqs": dlqs,
            "throughput": {"per_minute": self.per_minute(), "series": self.series(),
                           "interval_s": self.refresh_s},
        }
