"""The chaos checker tells a version the sender re-sent knowingly (flagged
``X-Wire-Redelivery``: it could not know whether the first POST arrived) from one the
pipeline delivered twice as if new, and measures stalls per partition."""
from __future__ import annotations

from services.cli.chaos_check import longest_gap
from services.cli.chaos_receiver import CheckingReceiver


def test_repeats_are_split_by_the_senders_redelivery_flag():
    receiver = CheckingReceiver("s", port=1)
    receiver.deliveries += [
        ("urn:a", "1", "urn:a@1:new", 1.0, False),
        ("urn:a", "1", "urn:a@1:new", 2.0, True),    # left in flight by a dead holder, re-sent
        ("urn:b", "1", "urn:b@1:new", 3.0, True),    # a first arrival may be flagged (a retry): no repeat
        ("urn:c", "2", "urn:c@2:update", 4.0, False),
        ("urn:c", "2", "urn:c@2:update", 5.0, False),  # sent again as if new: a real duplicate
        ("urn:c", "3", "urn:c@3:update", 6.0, False),
    ]
    flagged, unflagged = receiver.repeats()
    assert flagged == [("urn:a", "1")]
    assert unflagged == [("urn:c", "2")]


def test_the_longest_stall_is_per_partition_and_counts_from_the_fault():
    times = [(0, 9.0), (0, 10.5), (0, 11.0), (1, 9.5), (1, 16.0), (1, 16.5)]
    # partition 1 published nothing from the fault at 10 s until 16 s
    assert longest_gap(times, 10.0, 20.0) == 6.0
    assert longest_gap([(0, 10.5)], 10.0, 20.0) == 0.5


def test_an_election_is_over_when_no_partition_of_the_run_names_the_dead_node():
    from aiokafka.cluster import ClusterMetadata
    from aiokafka.protocol.metadata import MetadataResponse_v0

    from services.cli.chaos_election import led_by

    def cluster(leaders: dict[tuple[str, int], int]) -> ClusterMetadata:
        topics: dict[str, list] = {}
        for (topic, partition), leader in leaders.items():
            topics.setdefault(topic, []).append((0, partition, leader, [1, 2, 3], [1, 2, 3]))
        metadata = ClusterMetadata()
        metadata.update_metadata(MetadataResponse_v0(
            [(n, "127.0.0.1", 9000 + n) for n in (1, 2, 3)], [(0, t, parts) for t, parts in topics.items()]))
        return metadata

    during = cluster({("run.articles.published", 0): 1, ("run.articles.published", 1): 2,
                      ("__consumer_offsets", 7): 1, ("other.topic", 0): 1})
    assert led_by(during, 1, "run.") == 2  # another run's topic does not count
    after = cluster({("run.articles.published", 0): 3, ("run.articles.published", 1): 2,
                     ("__consumer_offsets", 7): 2, ("other.topic", 0): 1})
    assert led_by(after, 1, "run.") == 0
    leaderless = cluster({("run.articles.published", 0): -1})
    assert led_by(leaderless, 1, "run.") == 1
