"""``wire dlq list|show|replay|purge`` against the session's real Kafka broker, on
records a real StageRunner dead-lettered."""
from __future__ import annotations

import asyncio
import json

import pytest

from services.cli.dlq import main_dlq
from shared.bus import Outgoing, value_fingerprint
from shared.cloudevents import read_headers
from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import produce, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration

ORIGINAL = [("ce_id", b"id-1"), ("ce_type", b"wire.article.received.v1"), ("content-type", b"text/plain"),
            ("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01")]


def refusing_stage(topics: Topics):
    """Copies records to articles.ingested; refuses any value starting with b"poison"."""

    async def handle(record) -> list[Outgoing]:
        if record.value.startswith(b"poison"):
            raise ValueError("the parser cannot read this yet")
        return [Outgoing(topics.ingested, record.key, record.value, [])]

    return handle


async def dead_letter(settings, topics: Topics, records, *, dlq_total: int) -> None:
    """Put ``records`` on wire.inbound and let a real runner consume until the DLQ
    holds ``dlq_total`` records."""
    if records:
        await produce(settings.kafka_bootstrap, topics.inbound, records)
    runner = StageRunner(stage="ingest", topic=topics.inbound, group_id=topics.group("ingest"),
                         handle=refusing_stage(topics), settings=settings)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: _has(settings, topics.dlq(topics.inbound), dlq_total), timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _has(settings, topic, n):
    return len(await read_topic(settings.kafka_bootstrap, topic, expect=n, timeout=1)) >= n


async def wire_dlq(settings, capsys, *args: str) -> tuple[int, object]:
    """Run ``wire dlq ARGS --json`` (in a thread: it runs its own event loop)."""
    argv = [*args, "--kafka", settings.kafka_bootstrap, "--prefix", settings.topic_prefix, "--json"]
    capsys.readouterr()
    code = await asyncio.to_thread(main_dlq, argv)
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip().startswith(("{", "[")) else out)


async def inbound_row(settings, capsys, topics: Topics) -> dict:
    """The row of ``wire dlq list`` for the DLQ of wire.inbound."""
    code, rows = await wire_dlq(settings, capsys, "list")
    assert code == 0
    return next(r for r in rows if r["source_topic"] == topics.inbound)


async def test_list_and_show_give_counts_reasons_and_original_headers(settings, capsys):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    await dead_letter(settings, topics, [(b"urn:a", b"poison one", ORIGINAL), (b"urn:b", b"poison two", ORIGINAL)],
                      dlq_total=2)

    code, rows = await wire_dlq(settings, capsys, "list")
    assert code == 0
    inbound = next(r for r in rows if r["source_topic"] == topics.inbound)
    assert inbound["pending"] == 2 and inbound["retained"] == 2
    assert inbound["reasons"] == [{"stage": "ingest", "error_class": "ValueError", "error_code": "error",
                                   "count": 2, "example": "the parser cannot read this yet"}]
    assert all(r["pending"] == 0 for r in rows if r is not inbound)

    code, letters = await wire_dlq(settings, capsys, "show", "inbound")
    assert code == 0 and sorted(d["key"] for d in letters) == ["urn:a", "urn:b"]
    assert letters[0]["reason"]["topic"] == topics.inbound
    assert letters[0]["headers"]["traceparent"] == ORIGINAL[3][1].decode()
    assert not any(k.startswith("wire_dlq_") for k in letters[0]["headers"])


async def test_replay_sends_records_back_once_with_their_headers(settings, capsys):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    await dead_letter(settings, topics, [(b"urn:a", b"poison one", ORIGINAL), (b"urn:b", b"poison two", ORIGINAL)],
                      dlq_total=2)

    code, answer = await wire_dlq(settings, capsys, "replay", "wire.inbound.dlq")
    assert code == 0 and answer == {"replayed": 2, "to": [topics.inbound]}
    back = await read_topic(settings.kafka_bootstrap, topics.inbound, expect=4)
    assert sorted(r.key for r in back) == [b"urn:a", b"urn:a", b"urn:b", b"urn:b"]  # originals + replayed
    for record in back:
        assert record.value.startswith(b"poison")
        headers = read_headers(record.headers)
        assert headers["ce_id"] == "id-1" and headers["traceparent"] == ORIGINAL[3][1].decode()
        assert not any(k.startswith("wire_dlq_") for k in headers)

    code, again = await wire_dlq(settings, capsys, "replay", "inbound")
    assert code == 0 and again == {"replayed": 0, "would_replay": 0}
    inbound = await inbound_row(settings, capsys, topics)
    assert inbound["pending"] == 0 and inbound["retained"] == 2


async def test_a_replayed_record_that_fails_again_is_pending_again(settings, capsys):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await dead_letter(settings, topics, [(b"urn:a", b"poison", ORIGINAL)], dlq_total=1)
    await wire_dlq(settings, capsys, "replay", "inbound")
    await dead_letter(settings, topics, [], dlq_total=2)  # the runner meets the replayed record: still broken
    inbound = await inbound_row(settings, capsys, topics)
    assert inbound["pending"] == 1 and inbound["retained"] == 2


async def test_purge_needs_yes_then_deletes_and_keep_only_marks(settings, capsys):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    await produce(settings.kafka_bootstrap, topics.dlq(topics.ingested), [(b"k", b"v", ORIGINAL)] * 3)
    await produce(settings.kafka_bootstrap, topics.dlq(topics.enriched), [(b"k", b"v", ORIGINAL)] * 2)

    code, _ = await wire_dlq(settings, capsys, "purge", "ingested")
    assert code == 1
    code, answer = await wire_dlq(settings, capsys, "purge", "ingested", "--yes")
    assert code == 0 and answer == {"topic": topics.dlq(topics.ingested), "deleted": 3}
    code, answer = await wire_dlq(settings, capsys, "purge", "enriched", "--keep")
    assert code == 0 and answer == {"topic": topics.dlq(topics.enriched), "marked": 2}

    code, rows = await wire_dlq(settings, capsys, "list")
    by_source = {r["source_topic"]: r for r in rows}
    assert by_source[topics.ingested]["pending"] == 0 and by_source[topics.ingested]["retained"] == 0
    assert by_source[topics.enriched]["pending"] == 0 and by_source[topics.enriched]["retained"] == 2
    code, kept = await wire_dlq(settings, capsys, "show", "enriched", "--all")
    assert len(kept) == 2


async def test_unknown_topic_is_a_clear_error(settings, capsys):
    code = await asyncio.to_thread(main_dlq, ["show", "articles.published", "--kafka", settings.kafka_bootstrap])
    assert code == 2
    assert "no DLQ for 'articles.published'" in capsys.readouterr().err


async def test_webhook_deliveries_are_listed_with_reasons_but_not_replayed_to_a_topic(settings, capsys):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    webhooks_dlq = topics.name("webhooks.dlq")  # publishing's own DLQ of webhook deliveries
    await produce(settings.kafka_bootstrap, webhooks_dlq, [(b"urn:a", b"{}", [
        ("wire_dlq_stage", b"publishing.webhook"), ("wire_dlq_reason", b"rejected"),
        ("wire_dlq_http_status", b"410"), ("wire_dlq_error_message", b"410 Gone")])])

    code, rows = await wire_dlq(settings, capsys, "list")
    [webhooks] = [r for r in rows if r["topic"] == webhooks_dlq]
    assert webhooks["source_topic"] is None and webhooks["pending"] == 1
    assert webhooks["reasons"] == [{"stage": "publishing.webhook", "error_class": "rejected", "error_code": "410",
                                    "count": 1, "example": "410 Gone"}]
    code = await asyncio.to_thread(main_dlq, ["replay", "webhooks", "--kafka", settings.kafka_bootstrap,
                                              "--prefix", settings.topic_prefix])
    assert code == 2 and "no source topic" in capsys.readouterr().err


async def test_a_letter_too_large_to_carry_its_input_replays_the_input_from_where_it_stays(settings, capsys):
    """A dead letter over Kafka's record size keeps its reason and where its input is,
    not the input: replaying it as it is sent an empty record, which failed again and
    lost that pointer. The replay reads the input back; one that is gone refuses all."""
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"urn:big", b"the large original", ORIGINAL)])
    [original] = await read_topic(settings.kafka_bootstrap, topics.inbound, expect=1)
    letter = [("wire_dlq_stage", b"ingest"), ("wire_dlq_topic", topics.inbound.encode()),
              ("wire_dlq_partition", str(original.partition).encode()),
              ("wire_dlq_offset", str(original.offset).encode()), ("wire_dlq_error_class", b"ParseError"),
              ("wire_dlq_value_dropped", value_fingerprint(b"the large original").encode())]
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound), [(b"urn:big", None, letter)])

    code, _ = await wire_dlq(settings, capsys, "replay", "inbound")
    assert code == 0
    inbound = await read_topic(settings.kafka_bootstrap, topics.inbound, expect=2)
    assert [(r.key, r.value) for r in inbound] == [(b"urn:big", b"the large original")] * 2
    assert read_headers(inbound[1].headers)["ce_id"] == "id-1"

    # another record at the offset named (the topic made anew), then no record there at all
    other = [*letter[:5], ("wire_dlq_value_dropped", value_fingerprint(b"another input").encode())]
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound), [(b"urn:big", None, other)])
    code = await asyncio.to_thread(main_dlq, ["replay", "inbound", "--kafka", settings.kafka_bootstrap,
                                              "--prefix", settings.topic_prefix])
    assert code == 2 and "is not the input" in capsys.readouterr().err
    await wire_dlq(settings, capsys, "purge", "inbound", "--keep")
    gone = [*letter[:3], ("wire_dlq_offset", b"999999"), *letter[4:]]
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound), [(b"urn:big", None, gone)])
    code = await asyncio.to_thread(main_dlq, ["replay", "inbound", "--kafka", settings.kafka_bootstrap,
                                              "--prefix", settings.topic_prefix])
    assert code == 2 and "no longer on" in capsys.readouterr().err

    # --skip-gone: the letter whose input is gone is named and marked as handled, the
    # letter after it (a small one, carrying its input) is replayed
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound),
                  [(b"urn:small", b"a small input", [*letter[:5]])])
    code, out = await wire_dlq(settings, capsys, "replay", "inbound", "--skip-gone")
    assert code == 0 and out["replayed"] == 1 and out["skipped_gone"] == 1
    inbound = await read_topic(settings.kafka_bootstrap, topics.inbound, expect=3)
    assert (inbound[-1].key, inbound[-1].value) == (b"urn:small", b"a small input")
    code, out = await wire_dlq(settings, capsys, "replay", "inbound", "--dry-run")
    assert code == 0 and out["would_replay"] == 0
