"""Ingest's handler: a received submission in, canonical versioned articles out."""
from __future__ import annotations

from shared.errors import WireError
from shared.events import ArticleEvent, ArticleReceived, Envelope, article_id_for
from shared.formats import MAX_URI_CHARS, item_unfit
from shared.formats.base import ParsedItem
from shared.identity import Decision, StoryRegistry
from shared.inbound import Parse, parse_here, refusal
from services.ingest.metrics import IGNORED, INGESTED, PARSED


async def ingest(received: ArticleReceived, *, registry: StoryRegistry, acts_for: list[str] | None = None,
                 parse_with: Parse = parse_here,
                 parsed: list[ParsedItem] | None = None) -> tuple[list[ArticleEvent], WireError | None]:
    """Parse the raw payload into ninjs-shaped articles and decide, per story, whether
    it is new, an update, a correction, a kill, or a duplicate/older version (those
    are dropped and counted). Items that change a story owned by a provider outside
    ``acts_for`` (default: the submitting provider) do not flow: they come back as one
    NotOwner naming them, for the DLQ, while the other items of the payload go on; so
    do items that cannot be a story: a uri too long, a list too long (:func:`~shared.formats.item_unfit`).
    The second value is the one refusal that names them all (NotOwner when some
    change another provider's story, else ParseError), or None: one dead letter per
    payload, which a replay re-reads once.
    ``parse_with`` is a ParsePool's parse (with its time budget) or
    :func:`shared.formats.parse` on this loop. ``parsed``: the payload's items as the
    gateway parsed them (see :mod:`shared.parsed_payload`); then it is not parsed here.

    Raises ParseError / UnsupportedFormat (not retriable: the record goes to the DLQ)
    when the payload cannot be read or is too complex to read in time, RetriableError
    when Redis is unreachable.
    """
    events, refused = [], []
    if parsed is None:
        PARSED.labels("ingest").inc()
        items = await parse_with(received.payload, received.content_type, provider=received.provider)
    else:
        PARSED.labels("gateway").inc()
        items = parsed
    unfit: list[str] = []
    for index, item in enumerate(items):
        if (error := item_unfit(item, index)) is not None:
            IGNORED.labels("uri_too_long" if len(item.article.uri) > MAX_URI_CHARS else "list_too_long").inc()
            unfit.append(str(error))
            continue
        article = item.article
        verdict = await registry.classify(article, event_id=f"{received.event_id}#{index}",
                                          source_version=item.source_version, hint=item.signal,
                                          provider=received.provider, acts_for=acts_for)
        if verdict.decision is Decision.NOT_OWNER:
            IGNORED.labels(verdict.decision.value).inc()
            refused.append(f"{article.uri} (owned by {verdict.owner})" if verdict.owner else
                           f"{article.uri} (a machine translation's uri, reserved for its original's owner)")
            continue
        if not verdict.decision.flows:
            IGNORED.labels(verdict.decision.value).inc()
            continue
        INGESTED.labels(item.source_format, verdict.decision.value).inc()
        article.version = verdict.version
        if verdict.decision is Decision.KILL:
            article.pubStatus = "canceled"
        envelope = Envelope(
            article_id=article_id_for(article.uri),
            provider=received.provider,
            received_at=received.received_at,
            source_format=item.source_format,
            content_type=received.content_type,
            signal=verdict.decision.signal,
            traceparent=received.traceparent,
        )
        events.append(ArticleEvent(envelope=envelope, article=article))
    return events, refusal(received.provider, refused, unfit)
