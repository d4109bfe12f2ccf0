"""What publishing reads from Redis before deciding about one event: the
:class:`Snapshot` that :func:`services.publishing.plan.plan` decides from."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.publishing.outputs import translation_links
from services.publishing.subscriptions import SubscriptionCache
from shared.codec import decode
from shared.events import ArticleEvent, Signal, article_id_for
from shared.read_model import KILLED, ReadModel, StoredItem

log = logging.getLogger(__name__)
# SSCAN rounds one walk of a story's language versions may take (each asks for the rest).
_WALK_ROUNDS = 8


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
    # For an item in no family yet that links to stories which are: how many language
    # versions each of their families has (a full one takes no more).
    family_sizes: dict[str, int] = field(default_factory=dict)
    # Whether ``family`` is all the story's language versions (not cut at the walk's bound).
    family_whole: bool = True
    # The families the item is or may be in (other than its own) whose original is
    # killed: root id → when that kill was received (ISO 8601, "" unknown).
    killed_roots: dict[str, str] = field(default_factory=dict)


async def read_snapshot(event: ArticleEvent, item: dict[str, Any], *, view: ReadModel,
                        subscriptions: SubscriptionCache, family_walk: int = 80) -> Snapshot:
    """Read, in one round trip, the subscriptions' version, the stored item, a held
    embargoed version and the family roots (the subscriptions reload when their
    version moved); then, for an item joining a family, that family's size, and for a
    kill, up to ``family_walk`` of the story's language versions (one round trip each
    way, whatever the family's size: a bigger one, from before families were capped,
    is walked no further and the kill says so in the log).
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
    family, whole = [], True
    kill = event.envelope.signal is Signal.KILL or item.get("pubStatus") == "canceled"
    if kill and stored is not None and not stored.killed:
        members, whole = await _family_ids(view, stored.root or article_id, most=family_walk, uri=event.article.uri)
        async with view.redis.pipeline(transaction=False) as pipe:
            for member in members:
                view.queue_stored(pipe, member)
            rows = await pipe.execute()
        family = [(member, view.parse_stored(row) if member != article_id else stored)
                  for member, row in zip(members, rows)]
    family_sizes, killed_roots = {}, {}
    # not in a family yet, untagged by translation (whose tag names the family), and
    # linking to stories that are: the families it may join
    linked = not kill and event.envelope.translation is None and roots and not roots[0]
    joining = sorted({r.decode() for r in roots[1:] if r}) if linked else []
    # the originals of the families it is or may be in: a killed one takes no new version
    info = event.envelope.translation
    candidates = {r.decode() for r in roots if r} | ({info.of_article_id} if info and info.of_article_id else set())
    originals = sorted(candidates - {article_id}) if not kill else []
    if joining or originals:
        async with view.redis.pipeline(transaction=False) as pipe:
            for root in joining:
                pipe.scard(keys.family(root))
            for root in originals:
                pipe.hmget(keys.article(root), "state", "meta")
            answers = await pipe.execute()
        family_sizes = dict(zip(joining, answers[:len(joining)]))
        for root, (state, meta) in zip(originals, answers[len(joining):]):
            if state == KILLED.encode():
                killed_roots[root] = str(orjson.loads(meta).get("received_at", "")) if meta else ""
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
                    owners=[o.decode() if o else None for o in owners], family=family, family_owners=family_owners,
                    family_sizes=family_sizes, family_whole=whole, killed_roots=killed_roots)


async def _family_ids(view: ReadModel, root: str, *, most: int, uri: str) -> tuple[list[str], bool]:
    """Up to ``most`` ids of the language versions of the story ``root`` (sorted), read
    with SSCAN, and whether they are all of them: a family is capped when it grows
    (``WIRE_FAMILY_MAX``), but one that grew before is not read whole into one kill."""
    key, found, cursor = view.keys.family(root), set(), 0
    for _ in range(_WALK_ROUNDS):
        cursor, ids = await view.redis.sscan(key, cursor, count=most)
        found.update(i.decode() for i in ids)
        if cursor == 0 or len(found) >= most:
            break
    whole = cursor == 0 and len(found) <= most
    if not whole:
        log.warning("language family larger than a kill walks: the rest stays live",
                    extra={"article_uri": uri, "stage": "publishing", "family": root, "walked": most})
    return sorted(found)[:most], whole
