"""The stories step's record of what it delivered per story, over a plain mapping
(the worker's is a faust table): it recognises a repeat, and it does not keep every
story ever seen."""
from __future__ import annotations

import time

from services.enrichment.delivered import DeliveredKeys, record_time

DAY = 86400.0
T0 = 1_760_000_000.0


def test_a_delivered_key_is_recognised_until_the_horizon_and_then_goes():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY)
    delivered.mark("urn:a", "urn:a@1:enriched", T0)
    delivered.mark("urn:b", "urn:b@1:enriched", T0 + DAY)
    assert delivered.key_of("urn:a") == "urn:a@1:enriched"
    assert delivered.key_of("urn:missing") is None
    delivered.mark("urn:c", "urn:c@1:enriched", T0 + 7 * DAY + 1)  # a's entry is past the horizon by then
    assert "urn:a" not in table and delivered.key_of("urn:a") is None
    assert delivered.key_of("urn:b") == "urn:b@1:enriched"


def test_a_story_delivered_again_keeps_its_entry_from_its_latest_delivery():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY)
    delivered.mark("urn:a", "urn:a@1:enriched", T0)
    delivered.mark("urn:a", "urn:a@2:enriched", T0 + 6 * DAY)
    delivered.mark("urn:b", "urn:b@1:enriched", T0 + 8 * DAY)  # a's first write is past the horizon, not its second
    assert delivered.key_of("urn:a") == "urn:a@2:enriched"


def test_many_stories_leave_no_more_than_the_horizon_holds():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=100.0)
    for n in range(10_000):  # one story a second for almost three hours
        delivered.mark(f"urn:{n}", f"urn:{n}@1:enriched", T0 + n)
    assert len(table) <= 102


def test_entries_recovered_from_before_they_kept_their_time_are_stamped_and_go_one_horizon_later():
    table: dict = {f"urn:old:{n}": f"urn:old:{n}@1:enriched" for n in range(100)}
    table["urn:timed"] = {"key": "urn:timed@1:enriched", "at": T0}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY)
    delivered.recovered()
    assert delivered.key_of("urn:old:0") == "urn:old:0@1:enriched"  # still recognised
    delivered.mark("urn:new", "urn:new@1:enriched", T0 + 8 * DAY)  # stamps 64 of them with its time
    delivered.mark("urn:new2", "urn:new2@1:enriched", T0 + 8 * DAY)  # and the rest
    assert "urn:timed" not in table
    assert all(table[f"urn:old:{n}"] == {"key": f"urn:old:{n}@1:enriched", "at": T0 + 8 * DAY} for n in range(100))
    # a restart does not date them again: they go one horizon after they were stamped
    restarted = DeliveredKeys(table, horizon_s=7 * DAY)
    restarted.recovered()
    restarted.mark("urn:later", "urn:later@1:enriched", T0 + 15 * DAY + 1)
    restarted.mark("urn:later2", "urn:later2@1:enriched", T0 + 15 * DAY + 2)
    assert set(table) == {"urn:later", "urn:later2"}


def test_a_record_without_a_time_or_with_one_to_come_counts_as_now():
    now = time.time()
    assert now <= record_time(None) <= time.time()
    assert now <= record_time(-0.001) <= time.time()  # Kafka's -1 ms: no timestamp
    assert record_time(now + 365 * DAY) <= time.time()
    assert record_time(T0) == T0
