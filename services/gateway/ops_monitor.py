"""The gateway's watch over the pipeline: measures lag, DLQ depth and throughput
every few seconds, for ``/metrics``, ``/v1/ops/summary`` and the dashboard.

One background task per gateway process; a Kafka outage is logged and shown as
``error`` in the summary, and the task keeps trying.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import asdict
from typing import Any

from aiokafka.errors import KafkaError

from shared.dead_letters import read_dead_letters, tally_reasons
from shared.heartbeat import record_error
from shared.lag import Backlog, OffsetReader, backlog_collector, measure, replay_group
from shared.stopping import sleep_until
from shared.topics import Topics

log = logging.getLogger(__name__)

REFRESH_S = 3.0
HISTORY = 200  # samples kept for the throughput sparkline (10 min at 3 s)
REASON_SAMPLE = 500  # newest pending DLQ records whose reasons are tallied


class OpsMonitor:
    """Keeps the latest :class:`Backlog`, a short history of output offsets, and the
    reasons of the records waiting in each DLQ."""

    def __init__(self, bootstrap: str, topics: Topics, *, translates: bool, refresh_s: float = REFRESH_S) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.translates = translates  # the deployment runs a translation stage
        self.refresh_s = refresh_s
        self.reader = OffsetReader(bootstrap)
        self.latest: Backlog | None = None
        self.error: str | None = None
        self.history: deque[tuple[float, dict[str, int]]] = deque(maxlen=HISTORY)
        self.reasons: dict[str, list[dict[str, Any]]] = {}
        self._reason_marks: dict[str, tuple] = {}
        self._started = False

    async def run(self, stop: asyncio.Event) -> None:
        """Measure every ``refresh_s`` until ``stop`` is set."""
        try:
            while not stop.is_set():
                await self.refresh()
                await sleep_until(stop, self.refresh_s)
        finally:
            if self._started:
                await self.reader.stop()

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

