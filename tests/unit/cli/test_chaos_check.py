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
