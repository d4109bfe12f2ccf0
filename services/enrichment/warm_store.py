"""faust's in-memory table store, made able to hand over warm.

faust's ``memory://`` store reports no changelog offset, so when a standby replica
is promoted to active faust replays every changelog from the start, although the
standby has followed them all along: 16 s for 11,000 records in a chaos run, during
which no story is enriched. This store remembers the last changelog offset it
holds for each partition (from the standby reading and from the active writes) and
keeps a standby partition's keys when a recovery completes, so a promoted standby
reads only the changelog records it had not followed yet. A partition that is
neither active nor standby here is forgotten, keys and offset, as before.

A restarted process still starts empty and replays, as with ``memory://``; meanwhile
the other replica, warm, has taken over.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from faust.stores import STORES
from faust.stores.memory import Store as MemoryStore
from faust.types import TP, EventT

SCHEME = "warm-memory"


class Store(MemoryStore):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.offsets: dict[TP, int] = {}

    def persisted_offset(self, tp: TP) -> int | None:
        return self.offsets.get(tp)

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        # called by faust once a write of the active replica reached the changelog
        self.offsets[tp] = max(offset, self.offsets.get(tp, -1))

    def apply_changelog_batch(self, batch: Iterable[EventT], to_key: Callable[[Any], Any],
                              to_value: Callable[[Any], Any]) -> None:
        events = list(batch)
        super().apply_changelog_batch(events, to_key, to_value)
        for event in events:
            self.set_persisted_offset(event.message.tp, event.message.offset)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        held = active_tps | standby_tps
        kept = {tp.partition for tp in held}
        for key, partition in list(self._key_partition.items()):
            if partition not in kept:
                self.data.pop(key, None)
                self._key_partition.pop(key, None)
        for tp in list(self.offsets):
            if tp not in held:
                del self.offsets[tp]


def register() -> str:
    """Make ``warm-memory://`` a faust store URL; returns the URL."""
    STORES.aliases.setdefault(SCHEME, f"{__name__}:Store")
    return f"{SCHEME}://"
