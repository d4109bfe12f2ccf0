"""The gateway's parsed items travel sealed beside the payload: they come back as the
parser returned them, and only for the very payload, media type and provider they
were sealed with."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from shared.dead_letters import DeadLetter
from shared.formats import content_type_for, parse
from shared.parsed_payload import ITEMS_HEADER, SEAL_HEADER, PayloadSeal, decode_items, encode_items

FIXTURES = Path(__file__).parents[2] / "fixtures"
SAMPLES = sorted([*FIXTURES.glob("wires/*.*"), *FIXTURES.glob("html/*.html.gz"), *FIXTURES.glob("ninjs/3.0/*.json"),
                  FIXTURES / "korea-daily-2024-12-18.txt"])
SAMPLES = [p for p in SAMPLES if not p.name.startswith(("LICENSE", "README"))]
MiB = 1024 * 1024


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def as_compared(items) -> list:
    return [(i.article.model_dump(mode="json", exclude_none=True), i.source_format, i.signal, i.source_version)
            for i in items]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_format_comes_back_exactly_as_parsed(path):
    payload, content_type = read(path), content_type_for(path.name)
    items = parse(payload, content_type, provider="ap")
    seal = PayloadSeal("k", max_record_bytes=8 * MiB)
    opened = seal.open(seal.headers(items, payload, content_type, "ap"), payload, content_type, "ap")
    assert opened is not None and as_compared(opened) == as_compared(items)


@pytest.fixture
def sealed():
    payload = (FIXTURES / "korea-daily-2024-12-18.txt").read_bytes()
    items = parse(payload, "text/plain", provider="ap")
    return payload, items, PayloadSeal("k", max_record_bytes=8 * MiB).headers(items, payload, "text/plain", "ap")


def test_items_open_only_for_the_payload_type_provider_and_key_they_were_sealed_with(sealed):
    payload, _, headers = sealed
    seal = PayloadSeal("k", max_record_bytes=8 * MiB)
    assert seal.open(headers, payload, "text/plain", "ap") is not None
    assert seal.open(headers, payload + b" ", "text/plain", "ap") is None
    assert seal.open(headers, payload, "text/html", "ap") is None
    assert seal.open(headers, payload, "text/plain", "dpa") is None
    assert PayloadSeal("another key", max_record_bytes=8 * MiB).open(headers, payload, "text/plain", "ap") is None


def test_forged_or_missing_items_are_not_used(sealed):
    payload, items, headers = sealed
    seal = PayloadSeal("k", max_record_bytes=8 * MiB)
    found = dict(headers)
    forged = encode_items(items).replace(b"North Korea", b"South Korea")
    assert seal.open([(ITEMS_HEADER, forged), (SEAL_HEADER, found[SEAL_HEADER])], payload, "text/plain", "ap") is None
    assert seal.open([(ITEMS_HEADER, found[ITEMS_HEADER])], payload, "text/plain", "ap") is None
    assert seal.open([], payload, "text/plain", "ap") is None
    # sealed with the right key but not items: not used (parsed again), never a crash
    junk = [(ITEMS_HEADER, b'[{"article": {"no": "uri"}}]'),
            (SEAL_HEADER, seal._mac(b'[{"article": {"no": "uri"}}]', payload, "text/plain", "ap"))]
    assert seal.open(junk, payload, "text/plain", "ap") is None
    with pytest.raises(ValueError):
        decode_items(b"not json")


def test_no_items_travel_when_the_record_would_outgrow_the_size_limit(sealed):
    payload, items, _ = sealed
    assert PayloadSeal("k", max_record_bytes=64 * 1024 + len(payload)).headers(items, payload, "text/plain", "ap") == []


def test_a_dlq_replay_leaves_the_parsed_items_behind(sealed):
    _, _, headers = sealed
    letter = DeadLetter("wire.inbound.dlq", 0, 0, 0, b"k", b"v",
                        [("ce_id", b"1"), *headers, ("wire_dlq_stage", b"ingest")])
    assert letter.original_headers() == [("ce_id", b"1")]
