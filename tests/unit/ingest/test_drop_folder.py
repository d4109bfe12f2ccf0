"""The drop-folder watcher when the stores behind ``submit`` fail, and a file with
another provider's item in it (Kafka a producer double, the registry a peek double)."""
from __future__ import annotations

import asyncio

from redis.exceptions import ConnectionError as RedisConnectionError

from services.ingest.sources.dropfolder import scan_drop_folder, watch_drop_folder
from shared.inbound import Submission, submit
from tests.unit.ingest.helpers import Owners, RecordingProducer, rss


async def test_a_redis_outage_waits_and_the_file_is_submitted_once_redis_is_back(tmp_path):
    (tmp_path / "story.rss").write_bytes(rss("g1"))
    stop, calls = asyncio.Event(), []

    async def submit_dropped(payload, content_type, provider):
        calls.append(payload)
        if len(calls) < 3:
            raise RedisConnectionError("Error 111 connecting to localhost:6379. Connection refused.")
        stop.set()
        return Submission()

    await asyncio.wait_for(watch_drop_folder(tmp_path, stop, interval_s=0.01, provider="files",
                                             submit=submit_dropped, settle_s=0), timeout=10)
    assert len(calls) == 3
    assert (tmp_path / "processed" / "story.rss").exists() and not (tmp_path / "failed" / "story.rss").exists()


async def test_an_unforeseen_error_leaves_the_file_and_the_watcher_goes_on(tmp_path):
    (tmp_path / "a.rss").write_bytes(rss("g1"))
    (tmp_path / "b.rss").write_bytes(rss("g2"))
    stop, seen = asyncio.Event(), []

    async def submit_dropped(payload, content_type, provider):
        seen.append(payload)
        if payload == rss("g1"):
            raise RuntimeError("nobody saw this coming")
        stop.set()
        return Submission()

    await asyncio.wait_for(watch_drop_folder(tmp_path, stop, interval_s=0.01, provider="files",
                                             submit=submit_dropped, settle_s=0), timeout=10)
    assert seen == [rss("g1"), rss("g2")]
    assert (tmp_path / "a.rss").exists() and (tmp_path / "processed" / "b.rss").exists()


async def test_a_file_with_a_foreign_item_sends_the_rest_and_one_of_foreign_items_only_fails(tmp_path):
    producer, registry = RecordingProducer(), Owners("urn:wirestream:files:g-squatted")
    (tmp_path / "mixed.rss").write_bytes(rss("g1", "g-squatted"))
    (tmp_path / "foreign.rss").write_bytes(rss("g-squatted"))

    async def submit_dropped(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                            topic="t.wire.inbound", source="test")

    counts = await scan_drop_folder(tmp_path, provider="files", submit=submit_dropped, settle_s=0)
    assert counts == {"submitted": 1, "failed": 1, "deferred": 0, "skipped": 0}
    assert producer.sent == [rss("g1", "g-squatted")]  # ingest dead-letters the foreign item
    assert (tmp_path / "processed" / "mixed.rss").exists()
    reason = (tmp_path / "failed" / "foreign.rss.error.txt").read_text()
    assert reason.startswith("not-owner") and "urn:wirestream:files:g-squatted" in reason
