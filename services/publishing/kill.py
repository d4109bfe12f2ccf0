"""The plan of a kill: the story off every surface and, when it is the original,
every language version of it with it (as many as the snapshot walked: a family is
capped, see :mod:`services.publishing.snapshot`); a kill notice to every subscription that had
it, on webhooks, topics and the live stream (its feed only loses the item); a
tombstone on ``articles.published``.

"Had it": was sent any version of it, as the version's meta remembers
(:mod:`services.publishing.recipients`; a filter narrowed since does not matter), or
takes it by its filter now; each language version by its own meta. A subscription
deleted since gets nothing, nor does one created again under its name that its filter
does not take. A re-delivered kill writes nothing again and only re-produces its Kafka
records (the subscriptions notified are kept in the read model's meta). Pure."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.publishing.actions import Plan, Rules, Write, deliveries
from services.publishing.meta import KILLED_AT
from services.publishing.outputs import Notice, kafka_records
from services.publishing.recipients import RECIPIENTS, had_it
from services.publishing.retraction import kill_notice, retracted_meta
from services.publishing.snapshot import Snapshot
from shared.events import Signal
from shared.subscriptions import Subscription
from shared.trends import COUNTED


def plan_kill(notice: Notice, meta: dict[str, Any], snapshot: Snapshot, subscriptions: list[Subscription],
              rules: Rules) -> Plan:
    """``notice`` is the kill notice of the story, ``meta`` its retracted meta."""
    stored = snapshot.stored
    if stored is not None and stored.killed:  # killed already (re-delivered, or by its original)
        if stored.digest != notice.digest or not stored.meta.get("was_public"):
            return Plan(Signal.KILL, "duplicate", records=[notice.tombstone(rules.published_topic)])
        notified = stored.meta.get("notified", [])
        return Plan(Signal.KILL, "duplicate", records=kafka_records(
            replace(notice, recipients=notified), [s for s in subscriptions if s.notified_of(stored.meta)],
            published_topic=rules.published_topic, topic_prefix=rules.topic_prefix))
    victims = [(notice, meta, stored.item if stored is not None else None)]
    stored_metas = [stored.meta if stored is not None else {}]
    decided_on = [stored.digest if stored is not None else ""]  # what each victim's write expects stored
    # The original's kill takes every language version with it; a translation's
    # only itself. (Translation tags its items; an untagged item counts as original.)
    # Only machine translations and versions of the same owner (the story registry's,
    # whoever relayed the latest version): another provider's item is never killed here.
    if stored is not None and stored.meta.get("translation_role") != "translation":
        owner = snapshot.owners[0] if snapshot.owners else None
        for member, other in snapshot.family:
            if member == notice.article_id or other is None or other.killed or other.item is None:
                continue
            if other.meta.get("translation_role") != "translation" and (
                    owner is None or snapshot.family_owners.get(member) != owner):
                continue
            victims.append((replace(notice, article_id=member, item=kill_notice(other.item),
                                    provider=other.meta.get("provider", notice.provider),
                                    role=other.meta.get("translation_role"),
                                    owner=snapshot.family_owners.get(member)),
                            {**retracted_meta(other.meta), "signal": Signal.KILL.value,
                             "published_at": meta["published_at"]},
                            other.item))
            stored_metas.append(other.meta)
            decided_on.append(other.digest)
    out = Plan(Signal.KILL, "killed", count=len(victims))
    if stored is not None and stored.meta.get("translation_role") != "translation" and snapshot.family_whole:
        # checked with the items when the kill lands: a version joining meanwhile is killed too
        out.family = (stored.root or notice.article_id, len(snapshot.family))
    # what the trends counted for each, taken back (a story never public was not counted)
    out.trend_takebacks = [(victim.uri, was[COUNTED]) for (victim, _, before), was in zip(victims, stored_metas)
                           if before is not None and COUNTED in was]
    # the streams its entries may be in: every subscription's (one with feeds off since keeps
    # its history); each costs the purge one lookup of what the story's writes remembered there
    live_streams = [rules.keys.live(s.name) for s in subscriptions]
    for (victim, victim_meta, before), was, digest in zip(victims, stored_metas, decided_on):
        # whoever was sent any version (a filter narrowed since included), by its own meta
        notified = [s.name for s in had_it(was, before, victim.provider, subscriptions)]
        if before is None:  # never public: nothing to take back, let compaction forget it
            out.records.append(victim.tombstone(rules.published_topic))
        else:
            victim = replace(victim, recipients=notified)
            out.records += kafka_records(victim, [s for s in subscriptions if s.name in notified],
                                         published_topic=rules.published_topic, topic_prefix=rules.topic_prefix)
        out.fanout += notified
        kept = {k: v for k, v in victim_meta.items() if k != RECIPIENTS}  # "notified" says it from now on
        out.writes.append(Write(
            article_id=victim.article_id, item=victim.item, digest=victim.digest, entry=victim.entry(),
            meta={**kept, "was_public": before is not None, "notified": notified, KILLED_AT: victim.received_at},
            deliveries=deliveries(victim, subscriptions, set(notified), rules.keys, known=True),
            # never public: no stream had it, nothing to purge
            killed=True, purge_live=live_streams if before is not None else [], decided_on=digest))
    return out
