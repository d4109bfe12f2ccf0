"""The stories step's outputs in flight: marked delivered in offset order, and only
once Kafka acknowledged them; owed again when the agent starts over."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from services.enrichment.delivered import DeliveredKeys
from services.enrichment.in_flight import InFlight, Sent
from tests.unit.enrichment.test_progress_and_fields import progress


def in_flight(table: dict) -> tuple[InFlight, object, dict]:
    guard, consumer = progress(position=0, table=table)
    delivered: dict = {}
    tables = SimpleNamespace(delivered_keys=DeliveredKeys(delivered, horizon_s=3600, notes=table))
    return InFlight(tables, guard), consumer, delivered


def acks(n: int) -> list[asyncio.Future]:
    loop = asyncio.get_running_loop()
    return [loop.create_future() for _ in range(n)]


async def test_a_record_is_marked_delivered_only_once_kafka_acknowledged_its_outputs_in_offset_order():
    flight, _, delivered = in_flight({"delivered": 4})
    first, second = acks(2), acks(1)
    flight.add(Sent(5, "urn:a", "k5", 1.0, first))
    flight.add(Sent(6, "urn:b", "k6", 1.0, second))
    guard = flight.progress
    assert guard.delivered_already(6) and not await guard.gap(7)  # sent: neither owed nor a gap
    settling = asyncio.create_task(flight.settle())
    second[0].set_result(None)  # the later record's ack first: it waits for the earlier one
    await asyncio.sleep(0.01)
    assert guard.table == {"delivered": 4} and delivered == {} and not settling.done()
    first[0].set_result(None)
    await asyncio.sleep(0.01)
    assert guard.table == {"delivered": 4}  # its second output is not acknowledged yet
    first[1].set_result(None)
    await settling
    assert guard.table["delivered"] == 6 and flight.sent == []
    assert {story: entry["key"] for story, entry in delivered.items()} == {"urn:a": "k5", "urn:b": "k6"}
    assert not guard.busy


async def test_an_output_kafka_refused_leaves_its_record_undelivered_and_owed_once_the_agent_starts_over():
    flight, _, delivered = in_flight({"delivered": 4})
    ok, refused = acks(1), acks(1)
    flight.add(Sent(5, "urn:a", "k5", 1.0, ok))
    flight.add(Sent(6, "urn:b", "k6", 1.0, refused))
    ok[0].set_result(None)
    refused[0].set_exception(RuntimeError("not enough replicas"))
    with pytest.raises(RuntimeError):
        await flight.settle()
    assert flight.progress.table["delivered"] == 5 and "urn:b" not in delivered
    again = InFlight(flight.tables, flight.progress)  # faust restarts the agent
    assert again.progress.owed() == 6 and not again.progress.busy


async def test_a_repeat_of_an_output_still_in_flight_is_recognised_by_its_key():
    flight, _, _ = in_flight({})
    flight.add(Sent(0, "urn:a", "k0", 1.0, acks(1)))
    flight.add(Sent(1, None, "k1", 1.0, acks(1)))  # a dead letter marks no story
    assert flight.key_of("urn:a") == "k0" and flight.key_of("urn:c") is None


async def test_no_seek_back_while_outputs_are_in_flight():
    flight, consumer, _ = in_flight({"delivered": 2})
    consumer._position = 9
    flight.add(Sent(3, None, None, 1.0, acks(1)))
    assert not await flight.progress.redrive()  # the consumer is past 3 because 3 was sent
    flight.sent[0].acks[0].set_result(None)
    await flight.settle()
    assert await flight.progress.redrive() and consumer.seeks == [(flight.progress.tp, 4)]
