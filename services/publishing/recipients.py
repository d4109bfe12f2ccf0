"""Who a story reached: the names of the subscriptions that were sent any version of
it (webhook, topic, feed or live stream), kept in its meta and carried on from
version to version, so that its kill reaches every one of them whatever their
filters say by then (a downgraded customer may still run the story in its own CMS).

The list is exact and at most ``most`` names long (``WIRE_RECIPIENTS_MAX``, 256 by
default): a name costs at most 66 bytes (63 characters, quotes, comma), about 20 for
a usual one, and the meta is read by the gateway with every item of a list page and
sent on the ``articles.published`` record that lets a rebuild restore it: at the
bound, ~5 KB of usual names, never more than 17 KB. Past that bound the story counts as
reached by EVERYONE (a constant, whatever the number of subscriptions), and its kill
goes to every subscription: those that never had the story learn its uri and that
it was killed (410 rather than 404), but a kill missed is the worse mistake, and the
notice holds no text. The name of a subscription deleted since is dropped at the
next version, so the list does not fill with names no one holds.

A meta without the list (written before it was kept, or rebuilt from a record
without it) knows no recipients: its kill goes, as it always did, to the
subscriptions whose filter takes the stored item. Pure.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from shared.subscriptions import Subscription

RECIPIENTS = "recipients"
# Reached more subscriptions than a story keeps names of: count every subscription as one.
EVERYONE = "*"
# The header of an ``articles.published`` record that says (as JSON) who had its story:
# a live item's recipients so far, a kill notice's (and its tombstone's) subscriptions
# notified. Never on a subscription's topic.
RECIPIENTS_HEADER = "wire_recipients"

Recipients = list[str] | str


def recipients_after(stored_meta: Mapping[str, Any] | None, matched: list[Subscription],
                     subscriptions: list[Subscription], *, most: int) -> Recipients:
    """The recipients of a story once its new version went to ``matched``: the stored
    version's that are still among ``subscriptions``, and ``matched``, sorted; EVERYONE
    when that is more than ``most`` names or was so already."""
    before = known(stored_meta or {})
    if before == EVERYONE:
        return EVERYONE
    existing = {s.name for s in subscriptions}
    names = {n for n in before or () if n in existing} | {s.name for s in matched}
    return EVERYONE if len(names) > most else sorted(names)


def had_it(meta: Mapping[str, Any], item: dict[str, Any] | None, provider: str | None,
           subscriptions: list[Subscription]) -> list[Subscription]:
    """Which of ``subscriptions`` had the story whose stored ``meta`` and latest ``item``
    (None: never public, no one had it) are given: its recipients, and those whose
    filter takes the item now."""
    if item is None:
        return []
    names = known(meta)
    if names == EVERYONE:
        return list(subscriptions)
    names = set(names or ())
    return [s for s in subscriptions if s.name in names or s.filter.matches(item, provider)]


def among_recipients(meta: Mapping[str, Any], subscriptions: list[Subscription]) -> list[Subscription]:
    """Those of ``subscriptions`` the story of ``meta`` was sent to (all of them when the
    meta does not say: kept before recipients were)."""
    names = known(meta)
    if names is None or names == EVERYONE:
        return list(subscriptions)
    names = set(names)
    return [s for s in subscriptions if s.name in names]


def known(meta: Mapping[str, Any]) -> Recipients | None:
    """The recipients ``meta`` keeps (None: it keeps none, or something unreadable)."""
    return _readable(meta.get(RECIPIENTS))


def _readable(value: Any) -> Recipients | None:
    if value == EVERYONE:
        return EVERYONE
    if isinstance(value, list) and all(isinstance(n, str) for n in value):
        return value
    return None


def header_value(recipients: Recipients) -> str:
    return orjson.dumps(recipients).decode()


def from_header(raw: str | None) -> Recipients | None:
    """What a record's RECIPIENTS_HEADER says (None: absent or unreadable)."""
    if not raw:
        return None
    try:
        return _readable(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return None
