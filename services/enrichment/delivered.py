"""What the stories step delivered, story by story (the ``story-delivered`` table):
the idempotency key of each story's last output, so a repeat at a new offset (a
redone read-step batch) is skipped (see :mod:`services.enrichment.agents`).

Each entry keeps the time of the record it was written for and goes once that is
older than the cluster horizon (``WIRE_CLUSTER_HORIZON_S``), as the story index's
entries do: before, every story ever seen stayed, in the worker's memory and in the
changelog a restart reads back whole. A repeat comes within minutes of its first
delivery; one that comes after the horizon goes on to publishing, whose read model
ignores a version it has. An entry written before entries kept their time (the bare key)
counts as written when the table was recovered, so it goes one horizon after the
upgrade, not at once."""
from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from services.enrichment.nlp.clusters import Evictor


class DeliveredKeys:
    """``story → {"key": idempotency key, "at": record time}`` over ``table`` (a faust
    table; any mapping in tests). Write and evict only inside the agent's stream
    iteration (faust writes the changelog then)."""

    def __init__(self, table: MutableMapping, *, horizon_s: float) -> None:
        self.table = table
        self.recovered_at = time.time()
        self.evictor = Evictor(table, horizon_s=horizon_s, at_of=self._at)

    def _at(self, entry: Any) -> float:
        return float(entry["at"]) if isinstance(entry, dict) else self.recovered_at

    def key_of(self, story: str) -> str | None:
        """The idempotency key of ``story``'s last delivered output (None: none kept)."""
        entry = self.table.get(story)
        return entry.get("key") if isinstance(entry, dict) else entry

    def mark(self, story: str, key: str, at: float) -> None:
        """``story``'s output with ``key``, for a record of time ``at`` (epoch seconds),
        was delivered; entries past the horizon by then go, a few at a time."""
        self.table[story] = {"key": key, "at": at}
        self.evictor.written(story, at)
        self.evictor.evict(at)

    def recovered(self) -> None:
        """Call once the table holds its recovered state: eviction resumes over it."""
        self.recovered_at = time.time()
        self.evictor.rebuild()
