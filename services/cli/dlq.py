"""``wire dlq list|show|replay|purge``: look into the dead-letter topics and act on them.

- ``list``: every DLQ with its pending count (not yet replayed or purged), the records
  it keeps, and the reasons of the pending ones.
- ``show TOPIC``: the pending records with their reason and original headers.
- ``replay TOPIC``: sends each pending record back to its source topic
  (``wire_dlq_topic``) with its key, value and original headers (the ``wire_dlq_*``
  ones removed), waits for every ack, then commits the replay group's position on the
  DLQ, so a replayed record is not replayed again. A record that fails again lands
  at the end of the DLQ, after the position this replay stops at.
- ``purge TOPIC --yes``: deletes the DLQ's records (``DeleteRecords`` up to the end
  offsets, for every consumer). ``--keep`` instead only advances the replay group
  to the end: nothing is deleted, the records stay readable with ``show --all``
  until Kafka's retention removes them, but they no longer count as pending.

TOPIC is a stage input (``inbound``, ``ingested``, ``enriched``, ``translated``), ``webhooks``, or a
DLQ's name, with or without the pipeline's prefix.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import RecordsToDelete

from services.cli.connection import add_connection_args, resolve_dlq, settings_from
from shared.bus import make_producer, value_fingerprint
from shared.dead_letters import DeadLetter, read_dead_letters, tally_reasons
from shared.lag import OffsetReader, measure, replay_group
from shared.settings import WireSettings
from shared.topics import Topics


def main_dlq(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wire dlq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("list", "show", "replay", "purge"):
        p = sub.add_parser(name)
        add_connection_args(p)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        if name != "list":
            p.add_argument("topic", help="inbound | ingested | enriched | translated, or a DLQ's name")
        if name in ("show", "replay"):
            p.add_argument("--limit", type=int, default=None, help="at most this many records (oldest first)")
        if name == "show":
            p.add_argument("--all", action="store_true", help="also the records already replayed")
        if name == "replay":
            p.add_argument("--dry-run", action="store_true", help="print what would be replayed, send nothing")
            p.add_argument("--skip-gone", action="store_true",
                           help="replay the others when a letter's input is gone from where it named: those "
                                "letters are named and marked as handled, not replayed")
        if name == "purge":
            p.add_argument("--yes", action="store_true", help="really delete")
            p.add_argument("--keep", action="store_true", help="only mark everything as handled (delete nothing)")
    args = parser.parse_args(argv)
    settings = settings_from(args)
    topics = Topics(settings.topic_prefix)
    try:
        target = resolve_dlq(topics, args.topic) if args.action != "list" else ("", None)
    except ValueError as exc:
        print(f"wire dlq: {exc}", file=sys.stderr)
        return 2
    action = {"list": _list, "show": _show, "replay": _replay, "purge": _purge}[args.action]
    return asyncio.run(_with_reader(settings, lambda reader: action(reader, settings, topics, target, args)))


async def _with_reader(settings: WireSettings, work) -> int:
    reader = OffsetReader(settings.kafka_bootstrap)
    await reader.start()
    try:
        return await work(reader)
    finally:
        await reader.stop()


def _out(args, data, text: str) -> None:
    print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() if args.json else text)


async def _pending(reader: OffsetReader, topics: Topics, dlq: str, *, limit=None, everything=False):
    replayed = await reader.committed(replay_group(topics))
    start = {} if everything else {tp: off for tp, off in replayed.items() if tp.topic == dlq}
    return await read_dead_letters(reader, dlq, start=start, limit=limit)


async def _list(reader, settings, topics, _target, args) -> int:
    backlog = await measure(reader, topics, translates=settings.translates)
    rows = []
    for depth in backlog.dlqs:
        letters = await _pending(reader, topics, depth.topic) if depth.pending else []
        rows.append({"topic": depth.topic, "source_topic": depth.source_topic, "pending": depth.pending,
                     "retained": depth.retained, "reasons": tally_reasons(letters)})
    lines = [f"{'DLQ':<44} {'pending':>8} {'kept':>8}  reasons"]
    for row in rows:
        reasons = "; ".join(f"{r['count']}× {r['stage']} {r['error_class']} ({r['error_code']}): "
                            f"{r['example'][:80]}" for r in row["reasons"]) or "-"
        lines.append(f"{row['topic']:<44} {row['pending']:>8} {row['retained']:>8}  {reasons}")
    if not rows:
        lines.append(f"(no DLQ topics for prefix {settings.topic_prefix!r} on {settings.kafka_bootstrap})")
    _out(args, rows, "\n".join(lines))
    return 0


def _describe(letter: DeadLetter) -> str:
    d = letter.as_dict()
    head = [f"{d['topic']}[{d['partition']}]@{d['offset']}  key={d['key']}"]
    head += [f"  {k:>14}: {v}" for k, v in d["reason"].items()]
    head += [f"  header {k}: {v}" for k, v in d["headers"].items()]
    head.append(f"  value ({d['value_bytes']} bytes): {d['value']!r}")
    return "\n".join(head)


async def _show(reader, settings, topics, target, args) -> int:
    dlq, _source = target
    letters = await _pending(reader, topics, dlq, limit=args.limit, everything=args.all)
    text = "\n\n".join(_describe(d) for d in letters) or f"{dlq}: nothing pending"
    _out(args, [d.as_dict() for d in letters], text)
    return 0


def oldest_first(letters: list[DeadLetter], limit: int | None) -> list[DeadLetter]:
    """The ``limit`` oldest records, plus any record that precedes one of them in its
    partition: what is replayed is always a run from each partition's position."""
    if limit is None or len(letters) <= limit:
        return letters
    chosen = sorted(letters, key=lambda d: (d.timestamp_ms, d.partition, d.offset))[:limit]
    upto: dict[int, int] = {}
    for d in chosen:
        upto[d.partition] = max(upto.get(d.partition, -1), d.offset)
    return [d for d in letters if d.offset <= upto.get(d.partition, -1)]


def replay_positions(letters: list[DeadLetter]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the last replayed record: the replay group's
    new position (offset gaps are transaction markers, never records left behind)."""
    positions: dict[TopicPartition, int] = {}
    for d in letters:
        tp = TopicPartition(d.topic, d.partition)
        positions[tp] = max(positions.get(tp, 0), d.offset + 1)
    return positions


def replay_to(topics: Topics, source: str, *, translates: bool) -> str:
    """Where a dead letter from ``source`` goes back to: its source, except that
    ``articles.translated``'s letters (publishing's failures) go to whatever
    publishing reads now (``articles.enriched`` once the deployment stopped
    translating: nothing reads ``articles.translated`` then)."""
    return topics.publishing_input(translates) if source == topics.translated else source


async def _replay(reader, settings, topics, target, args) -> int:
    dlq, source = target
    letters = oldest_first(await _pending(reader, topics, dlq), args.limit)
    if any(not (d.source_topic or source) for d in letters):
        print(f"wire dlq: {dlq} holds records with no source topic (webhook deliveries are re-sent by "
              f"publishing); show or purge them instead", file=sys.stderr)
        return 2
    if args.dry_run or not letters:
        _out(args, {"replayed": 0, "would_replay": len(letters)},
             f"{dlq}: {len(letters)} record(s) {'would be replayed' if letters else 'pending: nothing to replay'}")
        return 0
    handled = letters  # the replay group moves past all of these
    letters, gone = await _with_their_inputs(settings, letters)
    if gone and not args.skip_gone:
        print(f"wire dlq: {'; '.join(gone)}; nothing was replayed (--skip-gone replays the others and marks "
              f"{'that letter' if len(gone) == 1 else f'those {len(gone)} letters'} as handled)", file=sys.stderr)
        return 2
    for why in gone:
        print(f"wire dlq: not replayed, marked as handled: {why}", file=sys.stderr)
    producer = make_producer(settings)
    await producer.start()
    try:
        acks = [await producer.send(replay_to(topics, d.source_topic or source, translates=settings.translates),
                                    d.value, key=d.key, headers=d.original_headers())
                for d in letters]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()
    await _commit(settings, topics, replay_positions(handled))
    targets = sorted({replay_to(topics, d.source_topic or source, translates=settings.translates) for d in letters})
    _out(args, {"replayed": len(letters), "to": targets, **({"skipped_gone": len(gone)} if gone else {})},
         f"{dlq}: replayed {len(letters)} record(s) to {', '.join(targets) or 'nowhere'}"
         + (f"; {len(gone)} whose input is gone marked as handled" if gone else ""))
    return 0


async def _with_their_inputs(settings: WireSettings,
                             letters: list[DeadLetter]) -> tuple[list[DeadLetter], list[str]]:
    """(``letters`` with each one that was too large to carry its input — ``value_dropped``:
    a value, and perhaps headers and key, left out — given the input again, read where
    its reason says it stays (topic, partition, offset), and why each letter whose input
    is no longer there is left out). Replaying the empty letter would fail again and
    lose that pointer."""
    missing = [d for d in letters if "value_dropped" in d.reason]
    if not missing:
        return letters, []
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[tuple[str, int, int], DeadLetter] = {}
    gone: dict[tuple[str, int, int], str] = {}
    try:
        for d in missing:
            try:
                found[(d.topic, d.partition, d.offset)] = await _input_of(consumer, d)
            except LookupError as exc:
                gone[(d.topic, d.partition, d.offset)] = str(exc)
    finally:
        await consumer.stop()
    return ([found.get((d.topic, d.partition, d.offset), d) for d in letters
             if (d.topic, d.partition, d.offset) not in gone], list(gone.values()))


async def _input_of(consumer: AIOKafkaConsumer, d: DeadLetter) -> DeadLetter:
    """``d`` with its input read back from where its reason says it stays; LookupError
    when it does not say, or the input is no longer there."""
    try:
        where = (d.reason["topic"], int(d.reason["partition"]), int(d.reason["offset"]))
        if where[1] < 0 or where[2] < 0:
            raise ValueError(where)
    except (KeyError, ValueError):
        raise LookupError(f"{d.topic}:{d.partition}@{d.offset} was too large to keep its input and does not "
                          "say where the input is") from None
    tp = TopicPartition(where[0], where[1])
    consumer.assign([tp])
    consumer.seek(tp, where[2])
    batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
    record = next(iter(batch.get(tp, [])), None)
    if record is None or record.offset != where[2]:
        raise LookupError(f"the input of {d.topic}:{d.partition}@{d.offset} (too large to keep in it) is no "
                          f"longer on {where[0]} partition {where[1]} at offset {where[2]}")
    if value_fingerprint(record.value) != d.reason["value_dropped"]:  # that offset holds another record now
        raise LookupError(f"the record at {where[0]} partition {where[1]} offset {where[2]} is not the input "
                          f"of {d.topic}:{d.partition}@{d.offset} ({d.reason['value_dropped']})")
    reason = [(k, v) for k, v in d.headers if k.startswith("wire_dlq_")]
    return DeadLetter(topic=d.topic, partition=d.partition, offset=d.offset, timestamp_ms=d.timestamp_ms,
                      key=record.key, value=record.value, headers=[*record.headers, *reason])


async def _commit(settings: WireSettings, topics: Topics, positions: dict[TopicPartition, int]) -> None:
    """Commit ``positions`` for the replay group (assigned partitions, no group join)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=replay_group(topics),
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(positions))
        await consumer.commit(positions)
    finally:
        await consumer.stop()


async def _purge(reader, settings, topics, target, args) -> int:
    dlq, _source = target
    tps = await reader.partitions([dlq])
    ends, starts = await reader.ends(tps), await reader.beginnings(tps)
    count = sum(ends[tp] - starts[tp] for tp in tps)
    if not args.yes and not args.keep:
        print(f"{dlq}: {count} record(s) would be deleted for every reader; pass --yes to delete them, "
              f"or --keep to only mark them as handled", file=sys.stderr)
        return 1
    if not args.keep:
        await reader.admin.delete_records({tp: RecordsToDelete(ends[tp]) for tp in tps if ends[tp] > starts[tp]})
    await _commit(settings, topics, {tp: ends[tp] for tp in tps})
    verb = "marked as handled" if args.keep else "deleted"
    _out(args, {"topic": dlq, verb.split()[0]: count}, f"{dlq}: {count} record(s) {verb}")
    return 0

