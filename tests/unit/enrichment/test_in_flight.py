"""The stories step's outputs in flight: marked delivered in offset order, and only
once Kafka acknowledged them; owed again (read again, never lost) whenever they
cannot be marked: an output refused, the agent starting over, a revoke, or the
agent left waiting for records a rebalance cleared."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from services.enrichment.delivered import DeliveredKeys
from services.enrichment.in_flight import InFlight, Sent
from tests.unit.enrichment.test_progress_and_fields import progress


def in_flight(table: dict, *, position: int = 0) -> tuple[InFlight, object, dict]:
    guard, consumer = progress(position=position, table=table)
    delivered: dict = {}
    tables = SimpleNamespace(delivered_keys=DeliveredKeys(delivered, horizon_s=3600, notes=table))
    return InFlight(tables, guard), consumer, delivered


def acks(n: int) -> list[asyncio.Future]:
    loop = asyncio.get_running_loop()
    return [loop.create_future() for _ in range(n)]


def send(flight: InFlight, offset: int, story: str | None, n_acks: int = 1) -> list[asyncio.Future]:
    flight.progress.started()
    futures = acks(n_acks)
    flight.add(Sent(offset, story, f"k{offset}", 1.0, futures), epoch=flight.epoch)
    return futures


async def test_a_record_is_marked_delivered_only_once_kafka_acknowledged_its_outputs_in_offset_order():
    flight, _, delivered = in_flight({"delivered": 4})
    first, second = send(flight, 5, "urn:a", n_acks=2), send(flight, 6, "urn:b")
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
    assert await settling
    assert guard.table["delivered"] == 6 and flight.sent == []
    assert {story: entry["key"] for story, entry in delivered.items()} == {"urn:a": "k5", "urn:b": "k6"}


async def test_an_output_kafka_refused_leaves_its_record_undelivered_and_owed_once_the_agent_starts_over():
    flight, _, delivered = in_flight({"delivered": 4})
    send(flight, 5, "urn:a")[0].set_result(None)
    send(flight, 6, "urn:b")[0].set_exception(RuntimeError("not enough replicas"))
    with pytest.raises(RuntimeError):
        await flight.settle()
    assert flight.progress.table["delivered"] == 5 and "urn:b" not in delivered
    flight.start_over()  # faust restarts the agent
    assert flight.progress.owed() == 6 and flight.progress.idle()


async def test_a_repeat_of_an_output_still_in_flight_is_recognised_by_its_key():
    flight, _, _ = in_flight({})
    send(flight, 0, "urn:a")
    assert flight.key_of("urn:a") == "k0" and flight.key_of("urn:c") is None


async def test_records_in_flight_while_the_agent_waits_for_ones_that_never_come_are_read_again():
    # the agent saw records waiting and did not settle; a rebalance cleared them
    flight, consumer, delivered = in_flight({"delivered": 2}, position=9)
    send(flight, 3, "urn:a")[0].set_result(None)
    assert await flight.redrive()  # idle (idle_s is 0 here) with records in flight
    assert consumer.seeks == [(flight.progress.tp, 3)] and flight.sent == []
    assert flight.progress.table == {"delivered": 2} and delivered == {}


async def test_records_in_flight_are_not_forgotten_while_their_acknowledgements_are_awaited():
    flight, consumer, _ = in_flight({"delivered": 2}, position=9)
    ack = send(flight, 3, "urn:a")
    settling = asyncio.create_task(flight.settle())
    await asyncio.sleep(0.01)
    assert not await flight.redrive() and consumer.seeks == [] and flight.sent
    ack[0].set_result(None)
    assert await settling and flight.progress.table["delivered"] == 3


async def test_records_forgotten_while_settling_are_not_marked_and_a_record_begun_before_is_not_kept():
    flight, _, delivered = in_flight({"delivered": 4})
    first = send(flight, 5, "urn:a")
    settling = asyncio.create_task(flight.settle())
    await asyncio.sleep(0.01)  # it awaits the acknowledgement
    flight.progress.started()
    begun, epoch = acks(1), flight.epoch  # the agent works on offset 6 meanwhile
    flight.forget()  # the stories partition is revoked
    first[0].set_result(None)
    assert not await settling
    flight.add(Sent(6, "urn:b", "k6", 1.0, begun), epoch=epoch)
    assert flight.sent == [] and flight.progress.owed() == 5  # 5 and 6 are read again
    assert flight.progress.table == {"delivered": 4} and delivered == {} and flight.progress.idle()


async def test_records_forgotten_before_anything_was_ever_delivered_are_still_owed():
    # a fresh deploy: the progress table is empty, and the first output is refused
    flight, consumer, _ = in_flight({})
    for offset in (0, 1):
        send(flight, offset, f"urn:{offset}")[0].set_exception(RuntimeError("not enough replicas"))
    with pytest.raises(RuntimeError):
        await flight.settle()
    flight.start_over()
    assert await flight.progress.gap(2)  # the record buffered after them is not the first any more
    assert consumer.seeks == [(flight.progress.tp, 0)]


async def test_records_in_flight_are_not_forgotten_while_the_agent_works_on_the_next_or_after_it_starts_over():
    flight, consumer, _ = in_flight({"delivered": 2}, position=9)
    send(flight, 3, "urn:a")
    flight.progress.started()  # the agent is on offset 4
    assert not await flight.redrive() and [s.offset for s in flight.sent] == [3] and consumer.seeks == []
    flight.start_over()  # it crashed on offset 4 and faust restarted it
    assert flight.progress.idle() and flight.sent == []
