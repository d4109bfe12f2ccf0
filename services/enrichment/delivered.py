"""What the stories step delivered, story by story (the ``story-delivered`` table):
the idempotency key of each story's last output, so a repeat at a new offset (a
redone read-step batch) is skipped (see :mod:`services.enrichment.agents`).

Each entry keeps the time of the record it was written for and goes once that is
older than the cluster horizon (``WIRE_CLUSTER_HORIZON_S``), as the story index's
entries do: before, every story ever seen stayed, in the worker's memory and in the
changelog a restart reads back whole. A repeat comes within minutes of its first
delivery; one that comes after the horizon goes on to publishing, whose read model
ignores a version it has.

An entry written before entries kept their time (the bare key) is still read. The
first delivery after a recovery that found such entries notes its time in the
progress table (``notes``: its changelog keeps the note through restarts, where one
note costs one record, and rewriting each bare entry with a time would cost a record
and memory each); one horizon after that note the bare entries go, a few a delivery,
and the note with the last of them."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import MutableMapping
from typing import Any

from services.enrichment.nlp.clusters import Evictor

# The note's key in the progress table (whose other key is the delivered offset's):
# when bare entries were first found.
BARE_SINCE = "bare-delivered-since"
BARE_PER_CALL = 16  # bare entries deleted per delivery once their horizon has passed


def record_time(timestamp: float | None) -> float:
    """A record's time (epoch seconds, as faust gives it) for the table: now when it has
    none (None, or Kafka's -1) or says a time still to come (eviction runs on it)."""
    now = time.time()
    return min(timestamp, now) if timestamp is not None and timestamp > 0 else now


class DeliveredKeys:
    """``story → {"key": idempotency key, "at": record time}`` over ``table``, with
    ``notes`` (the progress table) for the time bare entries were found (faust
    tables; any mappings in tests). Call :meth:`mark` only inside the agent's stream
    iteration (faust writes the changelogs then)."""

    def __init__(self, table: MutableMapping, *, horizon_s: float, notes: MutableMapping) -> None:
        self.table = table
        self.notes = notes
        self.evictor = Evictor(table, horizon_s=horizon_s, at_of=_at)
        self.bare: deque[str] = deque()  # recovered entries without a time

    def key_of(self, story: str) -> str | None:
        """The idempotency key of ``story``'s last delivered output (None: none kept)."""
        entry = self.table.get(story)
        return entry.get("key") if isinstance(entry, dict) else entry

    def mark(self, story: str, key: str, at: float) -> None:
        """``story``'s output with ``key``, for a record of time ``at`` (epoch seconds),
        was delivered; entries past the horizon by then go, a few at a time."""
        self.table[story] = {"key": key, "at": at}
        self.evictor.written(story, at)
        if self.bare or BARE_SINCE in self.notes:
            self._forget_bare(at)
        self.evictor.evict(at)

    def _forget_bare(self, at: float) -> None:
        if not self.bare:  # the last of them went: so does the note
            del self.notes[BARE_SINCE]
            return
        since = self.notes.get(BARE_SINCE)
        if not isinstance(since, (int, float)):
            self.notes[BARE_SINCE] = at
            return
        if at - since <= self.evictor.horizon_s:
            return
        for _ in range(min(BARE_PER_CALL, len(self.bare))):
            story = self.bare.popleft()
            if isinstance(self.table.get(story), str):
                del self.table[story]

    def recovered(self) -> None:
        """Call once the tables hold their recovered state: eviction resumes, and the
        bare entries are found."""
        self.bare = deque(story for story, entry in self.table.items() if isinstance(entry, str))
        self.evictor.rebuild()


def _at(entry: Any) -> float | None:
    return float(entry["at"]) if isinstance(entry, dict) else None
