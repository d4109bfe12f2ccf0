"""The stories step's record of what it delivered per story, over a plain mapping
(the worker's is a faust table): it recognises a repeat, and it does not keep every
story ever seen."""
from __future__ import annotations

import time

from services.enrichment.delivered import BARE_SINCE, DeliveredKeys, record_time

DAY = 86400.0
T0 = 1_760_000_000.0


def test_a_delivered_key_is_recognised_until_the_horizon_and_then_goes():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY, notes={})
    delivered.mark("urn:a", "urn:a@1:enriched", T0)
    delivered.mark("urn:b", "urn:b@1:enriched", T0 + DAY)
    assert delivered.key_of("urn:a") == "urn:a@1:enriched"
    assert delivered.key_of("urn:missing") is None
    delivered.mark("urn:c", "urn:c@1:enriched", T0 + 7 * DAY + 1)  # a's entry is past the horizon by then
    assert "urn:a" not in table and delivered.key_of("urn:a") is None
    assert delivered.key_of("urn:b") == "urn:b@1:enriched"


def test_a_story_delivered_again_keeps_its_entry_from_its_latest_delivery():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY, notes={})
    delivered.mark("urn:a", "urn:a@1:enriched", T0)
    delivered.mark("urn:a", "urn:a@2:enriched", T0 + 6 * DAY)
    delivered.mark("urn:b", "urn:b@1:enriched", T0 + 8 * DAY)  # a's first write is past the horizon, not its second
    assert delivered.key_of("urn:a") == "urn:a@2:enriched"


def test_many_stories_leave_no_more_than_the_horizon_holds():
    table: dict = {}
    delivered = DeliveredKeys(table, horizon_s=100.0, notes={})
    for n in range(10_000):  # one story a second for almost three hours
        delivered.mark(f"urn:{n}", f"urn:{n}@1:enriched", T0 + n)
    assert len(table) <= 102


def test_entries_recovered_from_before_they_kept_their_time_go_one_horizon_after_first_found():
    table: dict = {f"urn:old:{n}": f"urn:old:{n}@1:enriched" for n in range(40)}
    table["urn:timed"] = {"key": "urn:timed@1:enriched", "at": T0}
    notes: dict = {"delivered": 41}  # the progress table: its offset, and now the note
    delivered = DeliveredKeys(table, horizon_s=7 * DAY, notes=notes)
    delivered.recovered()
    assert delivered.key_of("urn:old:0") == "urn:old:0@1:enriched"  # still recognised
    delivered.mark("urn:new", "urn:new@1:enriched", T0 + 8 * DAY)
    assert notes == {"delivered": 41, BARE_SINCE: T0 + 8 * DAY}
    assert "urn:timed" not in table and table["urn:old:0"] == "urn:old:0@1:enriched"  # bare entries kept as they are
    # a restart within the horizon finds the note, and does not date them again
    restarted = DeliveredKeys(table, horizon_s=7 * DAY, notes=notes)
    restarted.recovered()
    restarted.mark("urn:old:1", "urn:old:1@2:enriched", T0 + 14 * DAY)  # one of them delivered again
    assert notes[BARE_SINCE] == T0 + 8 * DAY and len(table) == 41
    for n in range(3):  # one horizon after the note, 16 a delivery
        restarted.mark(f"urn:later:{n}", f"urn:later:{n}@1:enriched", T0 + 15 * DAY + 1 + n)
    assert not [story for story, entry in table.items() if isinstance(entry, str)]
    assert table["urn:old:1"]["key"] == "urn:old:1@2:enriched"
    restarted.mark("urn:later:3", "urn:later:3@1:enriched", T0 + 15 * DAY + 4)
    assert notes == {"delivered": 41}  # the note goes with the last of them


def test_a_record_without_a_time_or_with_one_to_come_counts_as_now():
    now = time.time()
    assert now <= record_time(None) <= time.time()
    assert now <= record_time(-0.001) <= time.time()  # Kafka's -1 ms: no timestamp
    assert record_time(now + 365 * DAY) <= time.time()
    assert record_time(T0) == T0
