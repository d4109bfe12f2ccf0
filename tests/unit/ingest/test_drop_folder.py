"""The drop-folder watcher when the stores behind ``submit`` fail, and a file with
another provider's item in it (Kafka a producer double, the registry a peek double)."""
from __future__ import annotations

import asyncio
import os

from redis.exceptions import ConnectionError as RedisConnectionError

from services.ingest.sources import dropfolder
from services.ingest.sources.dropfolder import scan_drop_folder, watch_drop_folder
from shared.errors import ParseError
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


async def test_a_file_that_cannot_be_moved_out_is_not_read_again_until_it_changes(tmp_path, monkeypatch):
    """A submitted (or refused) file that cannot be moved to processed/ (failed/) was
    read, parsed and sent again at every scan, an error logged each time. The rename
    is made to fail here: as root, as the tests run, no permission makes it."""
    real_move, calls = dropfolder._move, []

    def move_nothing_out(folder_fd, name, target_fd):
        raise PermissionError(13, "Permission denied", name)

    async def submit_dropped(payload, content_type, provider):
        calls.append(payload)
        if payload.startswith(b"<broken"):
            raise ParseError("not a wire format")
        return Submission()

    (tmp_path / "story.rss").write_bytes(rss("g1"))
    (tmp_path / "broken.xml").write_bytes(b"<broken")
    monkeypatch.setattr(dropfolder, "_move", move_nothing_out)
    stuck: dict = {}
    first = await scan_drop_folder(tmp_path, provider="files", submit=submit_dropped, settle_s=0, stuck=stuck)
    again = await scan_drop_folder(tmp_path, provider="files", submit=submit_dropped, settle_s=0, stuck=stuck)
    assert first == again == {"submitted": 0, "failed": 0, "deferred": 2, "skipped": 0}
    assert len(calls) == 2  # read once each, not at the second scan

    (tmp_path / "story.rss").write_bytes(rss("g1", "g2"))  # rewritten: read again
    os.utime(tmp_path / "story.rss", ns=(0, 10**18))
    monkeypatch.setattr(dropfolder, "_move", real_move)
    counts = await scan_drop_folder(tmp_path, provider="files", submit=submit_dropped, settle_s=0, stuck=stuck)
    assert counts == {"submitted": 1, "failed": 0, "deferred": 1, "skipped": 0}
    assert calls[-1] == rss("g1", "g2") and (tmp_path / "processed" / "story.rss").exists()
    assert list(stuck) == ["broken.xml"]  # the moved one is forgotten; broken.xml stays as it was
