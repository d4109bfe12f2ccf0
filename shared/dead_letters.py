"""Reading dead-letter topics: the records with their reasons, and a tally of reasons.

A DLQ record is the original record (key, value, headers) plus ``wire_dlq_*`` headers
(see :func:`shared.bus.dead_letter`). Reading here joins no consumer group; where a
DLQ was replayed up to is the committed offset of :func:`shared.lag.replay_group`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from shared.cloudevents import Headers, header_items
from shared.lag import OffsetReader
from shared.parsed_payload import HEADERS as PARSED_HEADERS

DLQ_HEADER = "wire_dlq_"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a DLQ."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers

    @property
    def reason(self) -> dict[str, str]:
        """The ``wire_dlq_*`` headers without their prefix (stage, topic, error_class…)."""
        return {k[len(DLQ_HEADER):]: v.decode("utf-8", "replace")
                for k, v in self.headers if k.startswith(DLQ_HEADER)}

    @property
    def source_topic(self) -> str | None:
        return self.reason.get("topic")

    def original_headers(self) -> Headers:
        """The headers the record had before it was dead-lettered, for a replay: less
        the items the gateway parsed, so the payload is parsed again by today's parser."""
        return [(k, v) for k, v in self.headers if not k.startswith(DLQ_HEADER) and k not in PARSED_HEADERS]

    def as_dict(self, *, value_chars: int = 300) -> dict[str, Any]:
        value = (self.value or b"").decode("utf-8", "replace")
        return {
            "topic": self.topic, "partition": self.partition, "offset": self.offset,
            "timestamp_ms": self.timestamp_ms, "key": (self.key or b"").decode("utf-8", "replace"),
            "reason": self.reason,
            "headers": {k: v.decode("utf-8", "replace") for k, v in self.original_headers()},
            "value": value[:value_chars] + ("…" if len(value) > value_chars else ""),
            "value_bytes": len(self.value or b""),
        }


def reason_key(letter: DeadLetter) -> tuple[str, str, str]:
    """(stage, error class, error code); a webhook delivery names its ``reason`` and
    HTTP status instead."""
    r = letter.reason
    return (r.get("stage", "?"), r.get("error_class") or r.get("reason", "?"),
            r.get("error_code") or r.get("http_status") or "?")


def tally_reasons(letters: list[DeadLetter]) -> list[dict[str, Any]]:
    """Counts per (stage, error class, error code), most frequent first, each with the
    latest message as an example."""
    counts = Counter(reason_key(d) for d in letters)
    examples = {reason_key(d): d.reason.get("error_message", "") for d in letters}
    return [{"stage": s, "error_class": c, "error_code": code, "count": n, "example": examples[(s, c, code)]}
            for (s, c, code), n in counts.most_common()]


async def read_dead_letters(reader: OffsetReader, topic: str, *, start: dict[TopicPartition, int] | None = None,
                            limit: int | None = None, newest: bool = False) -> list[DeadLetter]:
    """The records of DLQ ``topic`` from ``start`` (per partition; default: the
    beginning) up to the end offsets as they were when called.

    ``limit`` caps how many are returned: the oldest ones, or with ``newest`` the
    latest ones. Records dead-lettered while reading are left for next time.
    """
    tps = await reader.partitions([topic])
    ends = await reader.ends(tps)
    firsts = await reader.beginnings(tps)
    plan = {}
    for tp in tps:
        plan[tp] = max(firsts[tp], (start or {}).get(tp, 0))
        if newest and limit is not None:
            plan[tp] = max(plan[tp], ends[tp] - limit)
    letters = [DeadLetter(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, header_items(r.headers))
               for r in await reader.read(plan, ends)]
    letters.sort(key=lambda d: (d.timestamp_ms, d.partition, d.offset))
    if limit is not None:
        letters = letters[-limit:] if newest else letters[:limit]
    return letters

