"""aiokafka's offset reset asked the same stale leader again and again (no metadata
refresh on "not leader"): with the fix an offset request that fails on stale
metadata asks for a refresh before the error goes back to its retry loop."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka import errors as kafka_errors
from aiokafka.consumer.fetcher import Fetcher

from shared import kafka_fixes


class Client:
    def __init__(self, error_code: int) -> None:
        self.error_code = error_code
        self.refreshes = 0

    async def send(self, node_id, request):
        # a ListOffsets v1 answer for one partition
        return SimpleNamespace(API_VERSION=1, topics=[("t", [(0, self.error_code, -1, 42)])])

    def force_metadata_update(self):
        self.refreshes += 1


def fetcher(client: Client):
    return SimpleNamespace(_client=client, _isolation_level=0)


async def test_a_not_leader_answer_refreshes_the_metadata_before_the_retry():
    kafka_fixes.apply()
    kafka_fixes.apply()  # idempotent: one wrapper, one refresh per failure
    client = Client(kafka_errors.NotLeaderForPartitionError.errno)
    with pytest.raises(kafka_errors.NotLeaderForPartitionError):
        await Fetcher._proc_offset_request(fetcher(client), 1, {"t": [(0, -1)]})
    assert client.refreshes == 1


async def test_an_answer_with_an_offset_or_another_error_refreshes_nothing():
    kafka_fixes.apply()
    ok = Client(0)
    assert await Fetcher._proc_offset_request(fetcher(ok), 1, {"t": [(0, -1)]}) == {("t", 0): (42, -1)}
    assert ok.refreshes == 0
    broken = Client(kafka_errors.CorruptRecordException.errno)
    with pytest.raises(kafka_errors.KafkaError):
        await Fetcher._proc_offset_request(fetcher(broken), 1, {"t": [(0, -1)]})
    assert broken.refreshes == 0
