"""The one registry of Redis key names (shared.cache.Keys)."""
from __future__ import annotations

from shared.cache import Keys, SubscriptionKeys


def test_every_key_is_namespaced_by_the_deployment_prefix():
    keys = Keys("t1.")
    names = [keys.story("u"), keys.article("a"), keys.published(), keys.changes(), keys.family("r"),
             keys.embargo_due(), keys.embargo_events(), keys.embargo_lease(), keys.translation_memory("d"),
             keys.inbound_fate("e"), keys.auth_failures("1.2.3.4", 7), keys.status("svc", "h", 1),
             keys.idempotency("p", "k"), keys.subscriptions.items("s"), keys.subscriptions.outbox_lease("s")]
    assert all(n.startswith("t1.wire:") for n in names)
    assert len(set(names)) == len(names)


def test_the_names_stay_what_existing_data_uses():
    keys = Keys("")
    assert keys.embargo_due() == "wire:embargo:due" and keys.translation_memory("x") == "wire:tm:x"
    assert keys.subscriptions.outbox_lease("s") == "wire:sub:s:outbox:lease"
    assert keys.inbound_fate("e") == "wire:inbound-fate:e" and keys.status_pattern("ingest") == "wire:status:ingest:*"


def test_a_registry_can_be_had_from_a_key_prefix():
    assert Keys.with_key_prefix(Keys("t.").prefix).embargo_due() == Keys("t.").embargo_due()
    assert SubscriptionKeys(Keys("t.").prefix).all == Keys("t.").subscriptions.all


def test_a_feed_cursor_is_named_by_a_digest_of_the_url_never_the_url():
    keys, url = Keys("t1."), "https://bob:s3cret@wire.example/rss?apikey=TOPSECRET"
    name = keys.feed_cursor(url)
    assert name.startswith("t1.wire:feed:sha256:") and "s3cret" not in name and "TOPSECRET" not in name
    assert name == keys.feed_cursor(url) != keys.feed_cursor(url + "&x=1")
    assert keys.legacy_feed_cursor(url) == f"t1.wire:feed:{url}"  # read once, to take an old cursor over
