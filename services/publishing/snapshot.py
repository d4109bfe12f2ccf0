"""What publishing reads from Redis before deciding about one event: the
:class:`Snapshot` that :func:`services.publishing.plan.plan` decides from."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.publishing.meta import KILLED_AT
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
    kill = event.envelope.signal is Signal.KILL or item.get("pubStatus") == "canceled"
    info = event.envelope.translation
    # a machine translation's original is known before anything is read: its state comes along
    tagged = info.of_article_id if info is not None and info.of_article_id and not kill else None
    async with view.redis.pipeline(transaction=False) as pipe:
        pipe.get(keys.subscriptions.version)
        view.queue_stored(pipe, article_id)
        pipe.hget(keys.embargo_events(), article_id)
        for uri in uris:
            pipe.hget(keys.article(article_id_for(uri)), "root")
        for uri in uris:
            pipe.hget(keys.story(uri), "owner")
        if tagged:
            pipe.hget(keys.article(tagged), "state")
        version, row, held, *found = await pipe.execute()
    roots, owners = found[:len(uris)], found[len(uris):2 * len(uris)]
    states = {tagged: found[-1]} if tagged else {}
    await subscriptions.refresh(int(version or 0))
    stored = view.parse_stored(row)
    family, whole = [], True
    if kill and stored is not None and not stored.killed:
        members, whole = await _family_ids(view, stored.root or article_id, most=family_walk, uri=event.article.uri)
        async with view.redis.pipeline(transaction=False) as pipe:
            for member in members:
                view.queue_stored(pipe, member)
            rows = await pipe.execute()
        family = [(member, view.parse_stored(row) if member != article_id else stored)
                  for member, row in zip(members, rows)]
    family_sizes = {}
    # not in a family yet, untagged by translation (whose tag names the family), and
    # linking to stories that are: the families it may join
    linked = not kill and info is None and roots and not roots[0]
    joining = sorted({r.decode() for r in roots[1:] if r}) if linked else []
    # the other originals of the families it is or may be in: a killed one takes no new version
    unread = sorted({r.decode() for r in roots if r} - {article_id} - set(states)) if not kill else []
    if joining or unread:
        async with view.redis.pipeline(transaction=False) as pipe:
            for root in joining:
                pipe.scard(keys.family(root))
            for root in unread:
                pipe.hget(keys.article(root), "state")
            answers = await pipe.execute()
        family_sizes = dict(zip(joining, answers[:len(joining)]))
        states |= dict(zip(unread, answers[len(joining):]))
    killed_roots = await _kill_times(view, [root for root, state in states.items() if state == KILLED.encode()])
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


async def _kill_times(view: ReadModel, roots: list[str]) -> dict[str, str]:
    """When the kill of each of ``roots`` (killed originals: rare) was received, from
    their meta: ``killed_at``, or for an item killed before it was kept the kill's
    publication (no earlier than its receipt), or "" when unknown."""
    if not roots:
        return {}
    async with view.redis.pipeline(transaction=False) as pipe:
        for root in roots:
            pipe.hget(view.keys.article(root), "meta")
        metas = await pipe.execute()
    times = {}
    for root, raw in zip(roots, metas):
        try:
            meta = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            meta = {}
        when = meta.get(KILLED_AT) or meta.get("published_at") if isinstance(meta, dict) else None
        times[root] = when if isinstance(when, str) else ""
    return times


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
