"""Dead letters: the reason tally (most frequent first, with the latest message) and the
original headers a replay sends again."""
from __future__ import annotations

from shared.dead_letters import DeadLetter, tally_reasons


def letter(partition: int, offset: int, ts: int, **reason: str) -> DeadLetter:
    headers = [("traceparent", b"00-x")] + [(f"wire_dlq_{k}", v.encode()) for k, v in reason.items()]
    return DeadLetter("p.wire.inbound.dlq", partition, offset, ts, b"k", b"v", headers)


def test_reasons_are_counted_most_frequent_first_with_the_latest_message():
    letters = [letter(0, 0, 1, stage="ingest", error_class="ParseError", error_code="parse_error", error_message="a"),
               letter(0, 1, 2, stage="ingest", error_class="ParseError", error_code="parse_error", error_message="b"),
               letter(1, 0, 3, stage="ingest", error_class="MalformedEvent", error_code="malformed_event")]
    assert tally_reasons(letters) == [
        {"stage": "ingest", "error_class": "ParseError", "error_code": "parse_error", "count": 2, "example": "b"},
        {"stage": "ingest", "error_class": "MalformedEvent", "error_code": "malformed_event", "count": 1,
         "example": ""}]
    assert letters[0].original_headers() == [("traceparent", b"00-x")]
