"""Publishing's decision, as data: what one ``articles.translated`` event (or one
item whose embargo ended) makes publishing write and produce.

:func:`plan` is pure: it reads the event, the :class:`Snapshot` of what Redis held
about the story, and the subscriptions, and returns a :class:`Plan`; nothing is
read or written here (:mod:`services.publishing.apply` performs a plan). The rules:

- an older version than the one stored or held under embargo is ignored (stale),
  and so is a non-kill re-delivery of the version that was killed;
- an item under embargo (not a kill) is held until ``embargoedUntil``;
- a kill (or ``pubStatus`` canceled) takes the story off every surface — and, for
  an original, every language version of it — and tells whoever had any version
  of it (:mod:`services.publishing.kill`);
- anything else is published: the read model, the matching subscriptions' feeds,
  live streams and webhook outboxes, and the Kafka records, and the story's meta
  adds them to who had it (:mod:`services.publishing.recipients`); the same item
  again (same digest) is recognised and fans out no second time;
- an item a provider links as a language version of a story whose family holds
  ``family_max`` versions already is published as an original of its own, with a
  note saying so: a family's size, which its kill and ``/languages`` walk, stays bounded;
- a language version of a story whose original is killed is killed too when it was
  received before that kill (the kill meant it, but walked the family before it was
  in: another replica, or another story of the same batch, killed the original
  between this version's read and write), else published as an original of its own,
  with a note either way; a machine translation always goes with its original.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from services.publishing.embargo import embargo_until, held_copy, released_copy
from services.publishing.kill import plan_kill
from services.publishing.meta import KILLED_AT, RELEASED, published_meta
from services.publishing.outputs import SERVICE, Notice, kafka_records
from services.publishing.actions import Plan, Rules, TrendCount, Write, deliveries
from services.publishing.recipients import RECIPIENTS, among_recipients, kept, recipients_after
from services.publishing.retraction import kill_notice, retracted_meta
from services.publishing.snapshot import Snapshot
from shared.events import ArticleEvent, Signal, StageNote
from shared.identity import NotOwner
from shared.subscriptions import ItemFacts, Subscription
from shared.tracing import child_traceparent
from shared.trends import COUNTED, counted
from shared.versions import is_older


def plan(event: ArticleEvent, snapshot: Snapshot, subscriptions: list[Subscription], *, item: dict[str, Any],
         rules: Rules, now: float, started: float | None = None, releasing: bool = False) -> Plan:
    """Decide what ``event`` (its ninjs ``item``, associations linked) makes publishing
    do, at time ``now``. ``releasing``: the event is the held one whose embargo ended
    (it is published whatever its ``embargoedUntil`` says, and leaves the queue)."""
    signal, article_id, version = event.envelope.signal, event.envelope.article_id, event.article.version
    held = snapshot.held
    if _replaces_a_machine_translation(event, snapshot) and not releasing:
        raise NotOwner(f"{event.article.uri} is a machine translation of another story; "
                       f"{event.envelope.provider!r} may not replace or kill it")
    if _translates_over_a_providers_story(event, snapshot) and not releasing:
        raise NotOwner(f"{event.article.uri} is a story {snapshot.owners[0]!r} sent: a machine translation may not "
                       "replace it")
    if releasing:
        out = Plan(signal, "stale", count=0) if _stale(event, snapshot) or _replaces_a_machine_translation(
            event, snapshot) or _translates_over_a_providers_story(event, snapshot) else _release(
            event, item, snapshot, subscriptions, rules, now, started)
        out.records.append(released_copy(rules.embargoed_topic, event))
        out.drop_held = (article_id, version)
        return out
    if _stale(event, snapshot) or (held is not None and is_older(version, held.article.version)):
        return Plan(signal, "stale")
    until = embargo_until(item)
    if signal is not Signal.KILL and until is not None and until > now:
        return Plan(signal, "embargoed", hold=(event, until),
                    records=[held_copy(rules.embargoed_topic, event, owner=_owner(snapshot))])
    out = _release(event, item, snapshot, subscriptions, rules, now, started)
    if held is not None:  # superseded (or killed) before its embargo ended
        out.drop_held = (article_id, None)
        out.records.append(released_copy(rules.embargoed_topic, held))
    return out


def _replaces_a_machine_translation(event: ArticleEvent, snapshot: Snapshot) -> bool:
    """A machine translation's uri is derived from its original's (``…:translation:fr``)
    and registered to no provider: a provider's item at that uri would replace or kill
    another provider's translation. Such an event is refused (NotOwner: to the DLQ with
    the reason), or dropped as stale when it was held under embargo meanwhile."""
    stored, info = snapshot.stored, event.envelope.translation
    return (stored is not None and stored.meta.get("translation_role") == "translation"
            and (info is None or info.role != "translation"))


def _translates_over_a_providers_story(event: ArticleEvent, snapshot: Snapshot) -> bool:
    """The reverse: a machine translation whose uri a provider owns in the story registry
    (machine translations are registered to no one): a site's own page ending in
    ``?translation=en``, sent before another provider sent the page it would translate,
    or a provider's own translation at that uri. Refused (DLQ, not-owner): a provider's
    story is not replaced by a machine's, nor killed with another story."""
    info, stored = event.envelope.translation, snapshot.stored
    if stored is not None and stored.meta.get("translation_role") == "translation":
        return False  # what is there is the machine translation (an item sent over it was refused)
    return info is not None and info.role == "translation" and bool(snapshot.owners and snapshot.owners[0])


def _stale(event: ArticleEvent, snapshot: Snapshot) -> bool:
    """Older than what is stored, or a non-kill re-delivery of the version that was killed."""
    stored = snapshot.stored
    if stored is None:
        return False
    if stored.is_newer_than_me(event.article.version):
        return True
    return stored.killed and event.envelope.signal is not Signal.KILL and event.article.version == stored.version


def _owner(snapshot: Snapshot) -> str | None:
    """The story registry's owner of the event's uri (None when it has none)."""
    return snapshot.owners[0] if snapshot.owners else None


def _trend_counted(event: ArticleEvent, snapshot: Snapshot, *, deferred: bool) -> dict[str, Any]:
    """What the trends counted for this story, kept in its meta for a kill to take back:
    enrichment counts a story the first time it sees its uri, publishing a story held
    by its embargo (``deferred``) when it is released — either way the version first
    published here (a machine translation is not counted). Later versions carry it on.
    Publishing's own counts are marked ``released``: a rebuild of the read model counts
    them again (Redis lost them with it), enrichment's are enrichment's to restore."""
    stored, env = snapshot.stored, event.envelope
    if stored is not None:
        return {COUNTED: stored.meta[COUNTED]} if COUNTED in stored.meta else {}
    if env.translation is not None and env.translation.role == "translation":
        return {}
    return {COUNTED: {**counted(env.enrichment, env.received_at), **({RELEASED: True} if deferred else {})}}


def family_root(event: ArticleEvent, snapshot: Snapshot) -> str:
    """The id of the story's original language version: what translation says, else
    the first root known among the item and the items it links as translations,
    else the item itself (the first language version seen is the original).

    A link the provider wrote counts only to a story of the same owner (the story
    registry's): a provider cannot join another's story, whose kill would then take
    its item along, or be taken along by its own kill."""
    info, article_id = event.envelope.translation, event.envelope.article_id
    if info is not None and info.role == "translation" and info.of_article_id:
        return info.of_article_id
    if info is not None and info.role == "original":
        return article_id
    owners = snapshot.owners
    owner = owners[0] if owners else None
    trusted = [r for i, r in enumerate(snapshot.roots)
               if r and (i == 0 or (owner is not None and i < len(owners) and owners[i] == owner))]
    return next(iter(trusted), article_id)


def _family_with_room(event: ArticleEvent, snapshot: Snapshot, family_max: int) -> tuple[str, StageNote | None]:
    """The story's family root (:func:`family_root`), unless the item would join, by its
    own links, a family that is full: then the item itself, and the note that says why.
    Translation's tag always counts (its machine translations, one per target language,
    must go with their original's kill)."""
    root, article_id = family_root(event, snapshot), event.envelope.article_id
    joining = event.envelope.translation is None and not (snapshot.roots and snapshot.roots[0])
    size = snapshot.family_sizes.get(root, 0) if joining else 0
    if root == article_id or size < family_max:
        return root, None
    return article_id, StageNote(stage=SERVICE, code="family_full",
                                 detail=f"its story has {size} language versions, at most {family_max} are "
                                        "linked: published as an original of its own",
                                 data={"family": root, "size": size})


def _sent_before_the_kill(event: ArticleEvent, kill_received_at: str) -> bool:
    """Whether ``event`` was received before the kill of its story's original (a
    machine translation always counts as before: it goes with its original)."""
    info = event.envelope.translation
    if info is not None and info.role == "translation":
        return True
    try:
        killed = datetime.fromisoformat(kill_received_at)
    except ValueError:
        return True  # not known: the kill is the safer mistake
    received = event.envelope.received_at
    return _utc(received) <= _utc(killed)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _killed_with_its_story(notice: Notice, meta: dict[str, Any], root: str, snapshot: Snapshot,
                           subscriptions: list[Subscription], rules: Rules) -> Plan:
    """The plan for a language version sent before its story's original was killed, but
    deciding after that kill landed (it would be live in a killed story): killed too,
    as the kill would have killed it, with a note saying why."""
    note = StageNote(stage=SERVICE, code="story_killed", detail="its story's original was killed after it was "
                                                                "received: killed with it", data={"family": root})
    killed = replace(notice, signal=Signal.KILL, item=kill_notice(notice.item), trend_counted=None)
    out = plan_kill(killed, retracted_meta({**meta, "notes": [*meta.get("notes", []), note.model_dump()]}),
                    snapshot, subscriptions, rules)
    out.family = None  # not an original: its kill walks no family
    for write in out.writes:  # killed by its original's kill, as of then
        write.meta[KILLED_AT] = snapshot.killed_roots.get(root) or write.meta.get(KILLED_AT)
    counted_now = meta.get(COUNTED)
    if snapshot.stored is None and isinstance(counted_now, dict) and not counted_now.get(RELEASED):
        # never public, but enrichment counted it in the trends when it first saw it
        out.trend_takebacks.append((notice.uri, counted_now))
    return out


def _release(event: ArticleEvent, item: dict[str, Any], snapshot: Snapshot, subscriptions: list[Subscription],
             rules: Rules, now: float, started: float | None) -> Plan:
    env = event.envelope
    # held out of the trends until it went live; also when an earlier version was (enrichment
    # counts a uri once, when it first sees it: a later version without an embargo is not counted)
    held = snapshot.held
    deferred = bool(env.enrichment.trendsDeferred or (held is not None and held.envelope.enrichment.trendsDeferred))
    meta = published_meta(event, now, started)
    meta.update(_trend_counted(event, snapshot, deferred=deferred))
    notice = Notice(article_id=env.article_id, item=item, signal=env.signal, provider=env.provider,
                    published_at=now, received_at=env.received_at.isoformat(),
                    traceparent=child_traceparent(env.traceparent),
                    role=env.translation.role if env.translation else None, owner=_owner(snapshot),
                    trend_counted=meta.get(COUNTED))
    if notice.signal is Signal.KILL or item.get("pubStatus") == "canceled":
        killed = replace(notice, signal=Signal.KILL, item=kill_notice(item), trend_counted=None)
        return plan_kill(killed, retracted_meta(meta), snapshot, subscriptions, rules)
    facts = ItemFacts(item)
    matched = [s for s in subscriptions if s.filter.matches(item, env.provider, facts)]
    stored = snapshot.stored
    if stored is not None and stored.digest == notice.digest:
        # the records of the first time, again: to the subscriptions it went to then that
        # still take it (a filter widened since did not get its webhook or feed entry either)
        again = replace(notice, recipients=kept(stored.meta))
        return Plan(notice.signal, "duplicate", records=kafka_records(
            again, among_recipients(stored.meta, matched), published_topic=rules.published_topic,
            topic_prefix=rules.topic_prefix))
    meta[RECIPIENTS] = recipients_after(stored.meta if stored is not None else None, matched, subscriptions,
                                        most=rules.recipients_max)
    root, refused = _family_with_room(event, snapshot, rules.family_max)
    leaves = ""
    if root in snapshot.killed_roots:
        if _sent_before_the_kill(event, snapshot.killed_roots[root]):
            return _killed_with_its_story(notice, meta, root, snapshot, subscriptions, rules)
        leaves = root if stored is not None and stored.root == root else ""
        root, refused = env.article_id, StageNote(
            stage=SERVICE, code="story_killed", detail="its story was killed before it was received: published as "
                                                        "an original of its own", data={"family": root})
    if refused is not None:
        meta["notes"] = [*meta.get("notes", []), refused.model_dump()]
    notice = replace(notice, recipients=meta[RECIPIENTS])
    records = kafka_records(notice, matched, published_topic=rules.published_topic, topic_prefix=rules.topic_prefix)
    chosen = {s.name for s in matched}
    write = Write(article_id=env.article_id, item=item, meta=meta, digest=notice.digest, entry=notice.entry(),
                  deliveries=deliveries(notice, subscriptions, chosen, rules.keys, known=stored is not None),
                  root=root, score_ms=int(now * 1000), leaves_family=leaves,
                  family_full=refused.data["family"] if refused and refused.code == "family_full" else "",
                  decided_on=stored.digest if stored is not None else "")
    trend = TrendCount(event.article.uri, env.enrichment, env.received_at) if deferred else None
    return Plan(notice.signal, "published", records=records, writes=[write], trend_count=trend,
                fanout=[s.name for s in subscriptions if s.name in chosen],
                latency=(event.article.language or "und", now - env.received_at.timestamp()))
