"""The ``wire.inbound`` record: a submission exactly as a source sent it.

Written by the gateway and by ingest's pollers (feeds, drop folder), read by
ingest. CloudEvents binary mode: the raw payload is the value, the rest headers.
"""
from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from redis.exceptions import RedisError

from shared.bus import Outgoing
from shared.cloudevents import Headers, event_headers, read_headers
from shared.errors import MalformedEvent, ParseError, RetriableError, WireError
from shared.events import ArticleReceived, Stage, SubmittedItem, article_id_for, utcnow
from shared.formats import item_unfit, parse
from shared.formats.base import ParsedItem
from shared.identity import Decision, NotOwner, StoryRegistry
from shared.parsed_payload import PayloadSeal
from shared.rate_window import ProviderWindow
from shared.stage import event_id
from shared.tracing import child_traceparent, new_traceparent
from shared.withdrawals import Withdrawals


def submission_record(
    *,
    topic: str,
    payload: bytes,
    content_type: str,
    provider: str,
    uri: str,
    article_id: str,
    source: str,
    traceparent: str | None = None,
    received_at: datetime | None = None,
    idempotency_key: str | None = None,
    extra_headers: Headers = (),
) -> Outgoing:
    """The record announcing one received payload (keyed by the story's uri);
    ``extra_headers`` e.g. the sealed parsed items (:mod:`shared.parsed_payload`)."""
    received_at = received_at or utcnow()
    key = idempotency_key or f"{uri}:{Stage.RECEIVED.value}:{received_at.timestamp()}"
    headers = event_headers(
        type=Stage.RECEIVED.event_type,
        source=source,
        time=received_at,
        traceparent=traceparent or new_traceparent(),
        idempotency_key=key,
        id=event_id(key),
        content_type=content_type,
        extra={"wire_article_id": article_id, "wire_uri": uri, "wire_provider": provider},
    )
    return Outgoing(topic=topic, key=uri.encode(), value=payload, headers=headers + list(extra_headers))


def received_from_record(record: ConsumerRecord) -> ArticleReceived:
    """Rebuild a submission from a ``wire.inbound`` record.

    Raises MalformedEvent (to the DLQ) when a header the contract requires is missing.
    """
    headers = read_headers(record.headers)
    try:
        return ArticleReceived(
            event_id=headers["ce_id"],
            article_id=headers["wire_article_id"],
            uri=headers["wire_uri"],
            provider=headers["wire_provider"],
            content_type=headers["content-type"],
            received_at=datetime.fromisoformat(headers["ce_time"]),
            traceparent=headers.get("traceparent", ""),
            payload=record.value or b"",
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"wire.inbound record lacks a valid header: {exc}") from exc


class KafkaUnavailable(RetriableError):
    """Kafka did not acknowledge a submission in time: it was not accepted (and, when
    the record had already been handed to the producer, it was withdrawn)."""

    code = "kafka_unavailable"


class RecordTooLarge(WireError):
    """Kafka refuses a record this large (over ``max_record_bytes``): never retried."""

    code = "payload_too_large"


@dataclass
class Submission:
    """What happened to one submitted payload: each item's identity and whether it
    is new work, an exact duplicate or an older version (both of which are not sent).
    ``parsed``: what the parser returned, to travel sealed beside the payload.
    ``refused``: the uris of items that change another provider's story, and
    ``unfit``: why items cannot be a story, a uri or a list too long (both
    only filled when read with ``partial``; otherwise such an item refuses the whole
    payload)."""

    items: list[SubmittedItem] = field(default_factory=list)
    parsed: list[ParsedItem] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unfit: list[str] = field(default_factory=list)

    @property
    def sent(self) -> list[SubmittedItem]:
        return [i for i in self.items if i.status == "accepted"]

    @property
    def refusal_digest(self) -> str:
        """A digest of what the payload refuses ("" when nothing): a source that keeps
        offering the same refusals has them dead-lettered once, not at every poll."""
        if not self.refused and not self.unfit:
            return ""
        # the items themselves, in no order: not where they stand in the payload (a feed
        # whose other items come and go moves them, and is not offering anything new)
        unfit = sorted({item.article.uri for item in self.parsed if item_unfit(item, 0) is not None})
        text = "\n".join([*sorted(set(self.refused)), "", *unfit])
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


Parse = Callable[..., Awaitable[list[ParsedItem]]]


async def parse_here(payload: bytes, content_type: str | None, *, provider: str) -> list[ParsedItem]:
    """:func:`shared.formats.parse` on the caller's loop, as a :data:`Parse`."""
    return parse(payload, content_type, provider=provider)


async def read_submission(payload: bytes, content_type: str, *, provider: str, registry: StoryRegistry,
                          parse_with: Parse = parse_here, acts_for: list[str] | None = None,
                          partial: bool = False, charge: Callable[[int], Awaitable[None]] | None = None) -> Submission:
    """Parse ``payload`` (with ``parse_with``, e.g. a ParsePool's) and look up each
    item's story: new work, an exact duplicate or an older version.

    An item that changes a story owned by a provider outside ``acts_for`` (default:
    the provider alone) refuses the whole payload: NotOwner, the gateway's 403; so
    does an item that cannot be a story (:func:`~shared.formats.item_unfit`): ParseError,
    the gateway's 422. With ``partial`` (ingest's pollers, which have nobody to
    answer) such items are listed in ``refused`` / ``unfit`` instead and the others
    go on: a payload sent with them has ingest dead-letter them (not-owner,
    parse_error) while its other items flow. ``charge`` (the gateway's rate limit) is
    given the number of items parsed before any is looked up: the lookups, and what a
    refusal says of whose stories exist, are paid for item by item.

    Raises UnsupportedFormat / ParseError for unreadable input, NotOwner as above.
    """
    submission = Submission(parsed=await parse_with(payload, content_type, provider=provider))
    if charge is not None:
        await charge(len(submission.parsed))
    for index, item in enumerate(submission.parsed):
        if (unfit := item_unfit(item, index)) is not None:
            if not partial:
                raise unfit
            submission.unfit.append(str(unfit))
            continue
        article = item.article
        known = await registry.peek(article, source_version=item.source_version, acts_for=acts_for or [provider])
        if known is Decision.NOT_OWNER:
            submission.refused.append(article.uri)
            continue
        status = {Decision.DUPLICATE: "duplicate", Decision.OLDER: "stale"}.get(known, "accepted")
        submission.items.append(SubmittedItem.of(uri=article.uri, format=item.source_format, status=status,
                                                 version=item.source_version or None))
    if submission.refused and not partial:
        raise not_owner(provider, submission.refused)
    return submission


def not_owner(provider: str, uris: list[str]) -> NotOwner:
    """The error naming the items of ``provider`` that change stories another provider owns."""
    return NotOwner(f"provider {provider!r} may not change stories another provider owns: {', '.join(uris)}")


def refusal(provider: str, refused: list[str], unfit: list[str]) -> NotOwner | ParseError | None:
    """One error naming every refused item of a payload: ``refused`` (uris of items
    changing another provider's story: NotOwner) and ``unfit`` (why items cannot be a
    story, :func:`~shared.formats.item_unfit`: ParseError when they are all there is),
    or None when there are none. One dead letter per payload, which a replay re-reads
    once."""
    too_long = f"{len(unfit)} item(s) cannot be a story: {'; '.join(unfit[:5])}" if unfit else ""
    if refused:
        error = not_owner(provider, refused)
        return NotOwner(f"{error}; and {too_long}") if too_long else error
    return ParseError(too_long) if too_long else None


async def send_submission(submission: Submission, payload: bytes, content_type: str, *, provider: str,
                          producer: AIOKafkaProducer, topic: str, source: str, traceparent: str | None = None,
                          timeout_s: float = 10.0, withdrawals: Withdrawals | None = None,
                          seal: PayloadSeal | None = None, refusals_alone: bool = False) -> None:
    """Put the raw payload on ``topic`` (unless nothing in it is new work) and wait
    for Kafka's acknowledgement. With ``seal`` the parsed items travel beside it
    (sealed), so ingest need not parse it again. With ``refusals_alone`` a payload
    whose only items to tell of are refused ones (``refused``, ``unfit``) is sent
    too, keyed ``urn:wirestream-refused:<refusal_digest>`` (no story's uri): ingest
    dead-letters it with the reasons (a poller's way to have them in the DLQ).

    Raises RecordTooLarge when Kafka refuses the record's size, and KafkaUnavailable
    only when the record will not be published: it never reached the producer within
    ``timeout_s``, Kafka refused it, or it was withdrawn (``withdrawals``). When the
    record is with the producer but cannot be withdrawn (no ``withdrawals``, or Redis
    is down too), this waits for Kafka's answer however long it takes.
    """
    if submission.sent:
        uri, article_id = submission.sent[0].uri, submission.sent[0].id
    elif refusals_alone and submission.refusal_digest:
        uri = f"urn:wirestream-refused:{submission.refusal_digest}"  # no provider's namespace
        article_id = article_id_for(uri)
    else:
        return
    content_type = content_type or "text/plain"
    sealed = seal.headers(submission.parsed, payload, content_type, provider) if seal else []
    record = submission_record(topic=topic, payload=payload, content_type=content_type,
                               provider=provider, uri=uri, article_id=article_id, source=source,
                               traceparent=child_traceparent(traceparent), extra_headers=sealed)
    delivery = None
    try:
        async with asyncio.timeout(timeout_s):
            # send() returns once the record is in the producer's batch; cancelled
            # before that, nothing was handed over.
            delivery = await producer.send(record.topic, record.value, key=record.key, headers=record.headers)
            await asyncio.shield(delivery)
        return
    except MessageSizeTooLargeError as exc:
        raise RecordTooLarge(f"Kafka refuses a record of {len(payload)} bytes") from exc
    except KafkaError as exc:
        raise KafkaUnavailable(f"Kafka refused the submission: {exc!r}") from exc
    except TimeoutError:
        if delivery is None:
            raise KafkaUnavailable(f"Kafka did not take the submission within {timeout_s:g} s") from None
    delivery.add_done_callback(lambda f: f.cancelled() or f.exception())  # its outcome is read below or moot
    event_id = dict(record.headers)["ce_id"].decode()
    if withdrawals is not None:
        try:
            if await withdrawals.withdraw(event_id):
                raise KafkaUnavailable(f"Kafka did not acknowledge within {timeout_s:g} s; the record was withdrawn")
            return  # ingest already has it
        except RedisError:
            pass  # the fate cannot be settled in Redis: only Kafka's answer can
    try:
        await delivery
    except MessageSizeTooLargeError as exc:
        raise RecordTooLarge(f"Kafka refuses a record of {len(payload)} bytes") from exc
    except KafkaError as exc:
        raise KafkaUnavailable(f"Kafka refused the submission: {exc!r}") from exc


async def submit(payload: bytes, content_type: str, *, provider: str, producer: AIOKafkaProducer,
                 registry: StoryRegistry, topic: str, source: str, traceparent: str | None = None,
                 timeout_s: float = 10.0, parse_with: Parse = parse_here,
                 acts_for: list[str] | None = None, window: ProviderWindow | None = None) -> Submission:
    """:func:`read_submission` (partial: items changing another provider's story are
    listed in ``refused``, the others go on) then :func:`send_submission` — for
    ingest's pollers, where one foreign item must not hold a whole feed back.
    ``window`` (the provider's rate limit) counts the items that would be sent as new
    work before anything is: it raises (RateLimited, TooManyArticles) to send none,
    and takes them back when the send fails."""
    submission = await read_submission(payload, content_type, provider=provider, registry=registry,
                                       parse_with=parse_with, acts_for=acts_for, partial=True)
    counted = len(submission.sent) if window is not None else 0
    if counted:
        await window.take(counted)
    try:
        await send_submission(submission, payload, content_type, provider=provider, producer=producer, topic=topic,
                              source=source, traceparent=traceparent, timeout_s=timeout_s)
    except BaseException:
        if counted:
            await window.give_back(counted)
        raise
    return submission
