"""What publishing reads from Redis before deciding about one event: the
:class:`Snapshot` that :func:`services.publishing.plan.plan` decides from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.publishing.outputs import translation_links
from services.publishing.subscriptions import SubscriptionCache
from shared.codec import decode
from shared.events import ArticleEvent, Signal, article_id_for
from shared.read_model import ReadModel, StoredItem


@dataclass(frozen=True)
class Snapshot:
    """What Redis holds about a story when an event for it comes in."""

    stored: StoredItem | None = None
    held: ArticleEvent | None = None  # a version waiting for its embargo to end
    # The family roots known for the item, then for each item it links as a
    # translation (None where none is known), in that order.
    roots: list[str | None] = field(default_factory=list)
    # The story registry's owner of the item's uri, then of each uri it links as a
    # translation (None where none is known), in that order: a link counts only
    # between stories of one owner.
    owners: list[str | None] = field(default_factory=list)
    # For a kill of a stored story: its language versions (id, stored state), by id.
    family: list[tuple[str, StoredItem | None]] = field(default_factory=list)
    # The story registry's owner of each of those versions' uris (absent: none known,
    # as for a machine translation, which no provider submitted).
    family_owners: dict[str, str] = field(default_factory=dict)


async def read_snapshot(event: ArticleEvent, item: dict[str, Any], *, view: ReadModel,
                        subscriptions: SubscriptionCache) -> Snapshot:
    """Read, in one round trip, the subscriptions' version, the stored item, a held
    embargoed version and the family roots (the subscriptions reload when their
    version moved); for a kill, then the story's language versions.
    Raises redis errors as they come (the caller makes them retriable)."""
    article_id, keys = event.envelope.article_id, view.keys
    uris = [event.article.uri, *translation_links(item)]
    async with view.redis.pipeline(transaction=False) as pipe:
        pipe.get(keys.subscriptions.version)
        view.queue_stored(pipe, article_id)
        pipe.hget(keys.embargo_events(), article_id)
        for uri in uris:
            pipe.hget(keys.article(article_id_for(uri)), "root")
        for uri in uris:
            pipe.hget(keys.story(uri), "owner")
        version, row, held, *found = await pipe.execute()
    roots, owners = found[:len(uris)], found[len(uris):]
    await subscriptions.refresh(int(version or 0))
    stored = view.parse_stored(row)
    family = []
    kill = event.envelope.signal is Signal.KILL or item.get("pubStatus") == "canceled"
    if kill and stored is not None and not stored.killed:
        family = [(member, await view.stored(member) if member != article_id else stored)
                  for member in await view.family_ids(stored.root or article_id)]
    family_owners = {}
    if family:
        members = [(member, other.meta["uri"]) for member, other in family if other is not None and other.meta.get("uri")]
        async with view.redis.pipeline(transaction=False) as pipe:
            for _, uri in members:
                pipe.hget(keys.story(uri), "owner")
            found_owners = await pipe.execute()
        family_owners = {member: o.decode() for (member, _), o in zip(members, found_owners) if o}
    return Snapshot(stored=stored, held=decode(ArticleEvent, held) if held else None,
                    roots=[r.decode() if r else None for r in roots],
                    owners=[o.decode() if o else None for o in owners], family=family, family_owners=family_owners)
