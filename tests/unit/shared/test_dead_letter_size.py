"""A dead letter always fits in what Kafka takes: one the producer refused would
rewind its batch forever (shared.runner), as an oversized output did."""
from __future__ import annotations

import hashlib

from aiokafka.structs import ConsumerRecord

from shared.bus import dead_letter, record_bytes
from shared.cloudevents import read_headers

MAX = 64 * 1024


def record(key: bytes, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(topic="t.articles.ingested", partition=0, offset=7, timestamp=0, timestamp_type=0,
                          key=key, value=value, checksum=None, serialized_key_size=len(key),
                          serialized_value_size=len(value), headers=[("ce_id", b"x")])


def test_a_small_input_travels_whole_with_its_reason():
    letter = dead_letter(record(b"urn:x:1", b"body"), ValueError("bad"), stage="s", attempts=1, max_bytes=MAX)
    assert (letter.key, letter.value) == (b"urn:x:1", b"body")
    assert read_headers(letter.headers)["ce_id"] == "x"


def test_an_input_near_the_limit_travels_as_its_size_and_digest():
    value = b"v" * (MAX - 700)  # fits alone, not with the reason's headers beside it
    letter = dead_letter(record(b"urn:x:2", value), ValueError("e" * 3000), stage="s", attempts=1, max_bytes=MAX)
    assert record_bytes(letter) <= MAX and letter.value is None and letter.key == b"urn:x:2"
    reason = read_headers(letter.headers)
    assert reason["wire_dlq_value_dropped"] == f"{len(value)} bytes, sha256 {hashlib.sha256(value).hexdigest()}"
    assert (reason["wire_dlq_offset"], reason["wire_dlq_error_class"]) == ("7", "ValueError")


def test_a_key_too_large_to_carry_travels_as_its_digest():
    key = b"k" * MAX
    letter = dead_letter(record(key, b"v"), ValueError("bad"), stage="s", attempts=1, max_bytes=MAX)
    assert record_bytes(letter) <= MAX and letter.key == hashlib.sha256(key).hexdigest().encode()
