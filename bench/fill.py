"""The source topic of a pass-through bench, filled before any rate is timed."""
from __future__ import annotations

from shared.bus import make_producer
from shared.settings import WireSettings


async def fill(bootstrap: str, topic: str, messages: int, payload: bytes) -> None:
    """Produce ``messages`` copies of ``payload`` onto ``topic`` and wait for every ack.
    Each has a key of its own (``story-N``), so the records spread over all partitions
    as distinct stories do."""
    producer = make_producer(WireSettings(kafka_bootstrap=bootstrap), linger_ms=5)
    await producer.start()
    try:
        for i in range(messages):
            await producer.send(topic, payload, key=f"story-{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()
