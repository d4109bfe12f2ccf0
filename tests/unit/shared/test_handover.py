"""Where a group taking a topic over starts (shared/handover.py): the pure rule, and an
admin answer lacking a partition read as an error, not as "never committed"."""
from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from shared.handover import ahead, committed

P0, P1, P2 = (TopicPartition("articles.enriched", p) for p in range(3))


def test_a_partition_starts_at_the_other_groups_offset_only_where_that_is_further():
    ours = {P0: None, P1: 10, P2: 30}
    theirs = {P0: 5, P1: 20, P2: 25}
    assert ahead(ours, theirs) == {P0: 5, P1: 20}  # P2: ours is further, never moved back
    assert ahead(ours, {P0: None, P1: None, P2: None}) == {}  # the other never read it: ours stand


class Answers:
    """The admin client's OffsetFetch answers, as the broker gave them."""

    def __init__(self, offsets: dict) -> None:
        self.offsets = offsets

    async def list_consumer_group_offsets(self, group, partitions=None):
        return {tp: OffsetAndMetadata(o, "") for tp, o in self.offsets.items()}


async def test_never_committed_is_minus_one_and_a_missing_partition_is_an_error():
    assert await committed(Answers({P0: -1, P1: 7}), "g", [P0, P1]) == {P0: None, P1: 7}
    with pytest.raises(KafkaError, match="no committed offsets of g"):
        await committed(Answers({}), "g", [P0, P1])  # a group-level error aiokafka left unraised
