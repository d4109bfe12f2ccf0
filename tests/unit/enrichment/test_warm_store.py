"""The enrichment tables' store: a standby promoted to active starts from the
changelog offset it had followed, with the keys it had read (not from -1)."""
from __future__ import annotations

from types import SimpleNamespace

import faust

from services.enrichment import warm_store
from faust.types import TP

CHANGELOG = "app-story-members-changelog"


def store():
    app = faust.App("warm-store-test", store=warm_store.register())
    return app.Table("story-members", partitions=1).data


def event(key: str, value, offset: int, partition: int = 0):
    message = SimpleNamespace(partition=partition, offset=offset, tp=TP(CHANGELOG, partition),
                              value=None if value is None else b"x")
    return SimpleNamespace(key=key, value=value, message=message)


def same(x):
    return x


async def test_a_standby_keeps_what_it_followed_and_its_offset():
    data = store()
    tp = TP(CHANGELOG, 0)
    assert data.persisted_offset(tp) is None  # nothing followed yet: read from the start
    data.apply_changelog_batch([event("a", 1, 10), event("b", 2, 11), event("a", None, 12)], same, same)
    assert data.persisted_offset(tp) == 12
    # recovery completes with this replica a standby of the partition: nothing dropped
    await data.on_recovery_completed(active_tps=set(), standby_tps={tp})
    assert dict(data.data) == {"b": 2} and data.persisted_offset(tp) == 12
    # the active replica's own writes move the offset on too
    data.set_persisted_offset(tp, 20)
    data.set_persisted_offset(tp, 15)  # an older ack arriving late does not move it back
    assert data.persisted_offset(tp) == 20


async def test_a_partition_neither_active_nor_standby_is_forgotten():
    data = store()
    tp = TP(CHANGELOG, 0)
    data.apply_changelog_batch([event("a", 1, 3)], same, same)
    await data.on_recovery_completed(active_tps=set(), standby_tps=set())
    assert dict(data.data) == {} and data.persisted_offset(tp) is None
