"""What the stories step delivered, story by story (the ``story-delivered`` table):
the idempotency key of each story's last output, so a repeat at a new offset (a
redone read-step batch) is skipped (see :mod:`services.enrichment.agents`).

Each entry keeps the time of the record it was written for and goes once that is
older than the cluster horizon (``WIRE_CLUSTER_HORIZON_S``), as the story index's
entries do: before, every story ever seen stayed, in the worker's memory and in the
changelog a restart reads back whole. A repeat comes within minutes of its first
delivery; one that comes after the horizon goes on to publishing, whose read model
ignores a version it has. An entry written before entries kept their time (the bare
key) is still read; after a recovery each delivery stamps a few of them with its
record's time (written to the changelog, so a later restart does not date them
again), and they go one horizon after that."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import MutableMapping
from typing import Any

from services.enrichment.nlp.clusters import Evictor

STAMPED_PER_CALL = 64  # bare entries given a time per delivery, as many as the evictor deletes


def record_time(timestamp: float | None) -> float:
    """A record's time (epoch seconds, as faust gives it) for the table: now when it has
    none (None, or Kafka's -1) or says a time still to come (eviction runs on it)."""
    now = time.time()
    return min(timestamp, now) if timestamp is not None and timestamp > 0 else now


class DeliveredKeys:
    """``story → {"key": idempotency key, "at": record time}`` over ``table`` (a faust
    table; any mapping in tests). Call :meth:`mark` only inside the agent's stream
    iteration (faust writes the changelog then)."""

    def __init__(self, table: MutableMapping, *, horizon_s: float) -> None:
        self.table = table
        self.evictor = Evictor(table, horizon_s=horizon_s, at_of=_at)
        self.bare: deque[str] = deque()  # recovered entries without a time, to be stamped

    def key_of(self, story: str) -> str | None:
        """The idempotency key of ``story``'s last delivered output (None: none kept)."""
        entry = self.table.get(story)
        return entry.get("key") if isinstance(entry, dict) else entry

    def mark(self, story: str, key: str, at: float) -> None:
        """``story``'s output with ``key``, for a record of time ``at`` (epoch seconds),
        was delivered; a few bare entries are stamped with ``at``, and entries past the
        horizon by then go, a few at a time."""
        self.table[story] = {"key": key, "at": at}
        self.evictor.written(story, at)
        for _ in range(min(STAMPED_PER_CALL, len(self.bare))):
            other = self.bare.popleft()
            entry = self.table.get(other)
            if isinstance(entry, str):
                self.table[other] = {"key": entry, "at": at}
                self.evictor.written(other, at)
        self.evictor.evict(at)

    def recovered(self) -> None:
        """Call once the table holds its recovered state: eviction resumes over it, and
        the entries without a time wait to be stamped."""
        self.bare = deque(story for story, entry in self.table.items() if not isinstance(entry, dict))
        self.evictor.rebuild()


def _at(entry: Any) -> float | None:
    return float(entry["at"]) if isinstance(entry, dict) else None
