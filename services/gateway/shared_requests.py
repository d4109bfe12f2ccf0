"""When a submission's record leaves for Kafka: together with those of the other
submissions under way, or at once when there are none.

The gateway's producer lingers (``WIRE_KAFKA_LINGER_MS``, 10 ms) so that submissions
arriving together share one produce request: fewer requests for Kafka, for ingest's
fetches and for the gateway itself. Waiting for company only pays while company is
coming, though: a lone client, or a bulk request (whose entries are sent one after
another, each after the last was acknowledged), would wait out the linger on every
record. So each submission is counted from its start until its record is with the
producer (or it ends without one); the one that leaves the count at zero lets the
lingering records go at once. A bulk request's entry lets them go as soon as it is
with the producer, whatever the count: the next entry is only sent once this one is
acknowledged, so nothing of the bulk could join it (and another client's slow parse
must not make each of 500 entries wait out the linger).
"""
from __future__ import annotations

from aiokafka import AIOKafkaProducer

from shared.kafka_fixes import send_lingering_now


class SharedRequests:
    """The submissions under way whose record is not with the producer yet (one event loop)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.unsent = 0

    def start(self, *, alone: bool = False) -> Sender:
        """A submission begins: :meth:`Sender.settle` must follow (it is idempotent).
        ``alone``: its record waits for no company (a bulk request's entry)."""
        self.unsent += 1
        return Sender(self, alone=alone)


class Sender:
    """The producer as one submission sees it: ``send`` as aiokafka's."""

    def __init__(self, requests: SharedRequests, *, alone: bool = False) -> None:
        self._requests = requests
        self._alone = alone
        self._settled = False

    async def send(self, topic: str, value: bytes | None = None, *, key: bytes | None = None,
                   headers: list[tuple[str, bytes]] | None = None):
        try:
            return await self._requests.producer.send(topic, value, key=key, headers=headers)
        finally:
            self.settle()

    def settle(self) -> None:
        """This submission's record is with the producer, or there will be none."""
        if self._settled:
            return
        self._settled = True
        self._requests.unsent -= 1
        if self._requests.unsent == 0 or self._alone:
            send_lingering_now(self._requests.producer)
