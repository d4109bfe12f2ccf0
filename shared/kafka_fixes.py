"""A fix for aiokafka 0.14 (pinned), applied in every process that consumes.

When a consumer has no position for a partition (just assigned, no committed
offset) it asks the partition's leader for an offset (``Fetcher._update_fetch_positions``).
If that node answers "not the leader" (leadership moved: a broker died or came
back), aiokafka logs "Failed fetch offsets", sleeps ``retry_backoff_ms`` and asks
the same node again — without refreshing its metadata, unlike its own
``_retrieve_offsets`` and unlike the Java client since KAFKA-9535. The partition then
waits for the next periodic metadata refresh (``metadata_max_age_ms``, 5 minutes).
A chaos run showed exactly that: the stories step's faust consumer asked a restarted
broker 1,285 times in 2.5 minutes while nothing was published, until another broker's
death refreshed the metadata. (Reported upstream for the robinhood fork as
"While fetching offsets on startup metadata is not refreshed on error".)

:func:`apply` makes an offset request that fails with a stale-metadata error ask for
a metadata refresh first, as ``_retrieve_offsets`` does; the retry then goes to the
new leader.
"""
from __future__ import annotations

import functools

from aiokafka import errors as kafka_errors
from aiokafka.consumer.fetcher import Fetcher

_MARK = "_wire_refreshes_metadata"


def apply() -> None:
    """Patch :class:`aiokafka.consumer.fetcher.Fetcher` once per process (idempotent)."""
    original = Fetcher._proc_offset_request
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    async def offset_request_refreshing_metadata(self, node_id, topic_data):
        try:
            return await original(self, node_id, topic_data)
        except kafka_errors.KafkaError as error:
            if error.invalid_metadata:
                self._client.force_metadata_update()
            raise

    setattr(offset_request_refreshing_metadata, _MARK, True)
    Fetcher._proc_offset_request = offset_request_refreshing_metadata
