"""An outbox entry is judged by the subscription's filter as it is when it is sent."""
import orjson

from services.publishing.outbox import _still_taken
from shared.subscriptions import Outputs, Subscription, SubscriptionFilter, Webhook

ITEM = {"uri": "urn:x:1", "version": "1", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Amber report"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "The amber report is out."}]}


def entry(signal: bytes = b"new", *, provider: bytes | None = b"ap", item: dict = ITEM) -> dict[bytes, bytes]:
    fields = {b"signal": signal, b"article_id": b"a1", b"uri": b"urn:x:1", b"version": b"1",
              b"body": orjson.dumps(item)}
    return fields | ({b"provider": provider} if provider is not None else {})


def subscription(**filter_spec) -> Subscription:
    return Subscription(name="desk", filter=SubscriptionFilter(**filter_spec),
                        outputs=Outputs(webhook=Webhook(url="https://example.com/hook")))


def test_an_entry_the_narrowed_filter_no_longer_takes_is_not_sent():
    assert _still_taken(subscription(keywords=["amber", "cobalt"]), entry())
    assert not _still_taken(subscription(keywords=["cobalt"]), entry())
    assert not _still_taken(subscription(providers=["dpa"]), entry())


def test_a_kill_notice_and_an_entry_from_before_providers_were_kept_are_sent_as_queued():
    notice = {"uri": "urn:x:1", "version": "2", "pubStatus": "canceled"}
    assert _still_taken(subscription(keywords=["cobalt"]), entry(b"kill", item=notice))
    assert _still_taken(subscription(keywords=["cobalt"]), entry(provider=None))
