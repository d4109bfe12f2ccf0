"""The stories step's record of what it delivered per story, over a plain mapping
(the worker's is a faust table): it recognises a repeat, and it does not keep every
story ever seen."""
from __future__ import annotations

from services.enrichment.delivered import DeliveredKeys

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


def test_entries_recovered_from_before_they_kept_their_time_go_one_horizon_after_recovery():
    table: dict = {"urn:old": "urn:old@1:enriched",
                   "urn:timed": {"key": "urn:timed@1:enriched", "at": T0}}
    delivered = DeliveredKeys(table, horizon_s=7 * DAY)
    delivered.recovered()
    recovered_at = delivered.recovered_at
    assert delivered.key_of("urn:old") == "urn:old@1:enriched"  # still recognised
    delivered.mark("urn:new", "urn:new@1:enriched", recovered_at + DAY)
    assert "urn:old" in table and "urn:timed" not in table
    delivered.mark("urn:later", "urn:later@1:enriched", recovered_at + 7 * DAY + 1)
    assert "urn:old" not in table and delivered.key_of("urn:new") == "urn:new@1:enriched"
