"""Who a story reached: the subscriptions that were sent any version of it (webhook,
topic, feed or live stream), kept in its meta and carried on from version to version,
so that its kill reaches every one of them whatever their filters say by then (a
downgraded customer may still run the story in its own CMS), and no one else.

The list is exact. Up to ``most`` recipients (``WIRE_RECIPIENTS_MAX``, 256 by default)
it is their names: a name costs at most 66 bytes (63 characters, quotes, comma), about
20 for a usual one, and the meta is read by the gateway with every item of a list page
and sent on the ``articles.published`` record that lets a rebuild restore it. Past that
bound it is a bitmap of the subscriptions' numbers (``{"numbers": <base64>}``; the
gateway gives each subscription a number of its own when it is saved, never reused:
a subscription deleted and created again under its name is another one): one bit a
subscription ever created, 1.3 KB at 10,000 of them. A subscription saved before
numbers were given has none until its next change; a story past the bound that reached
one counts as reached by EVERYONE, as every such story did before numbers, and its kill
goes to every subscription (a kill missed is the worse mistake; the notice holds no
text). The name of a subscription deleted since is dropped at the next version, so the
list does not fill with names no one holds; in a bitmap its number stays, and no one
else has it.

A meta without the list (written before it was kept, or rebuilt from a record
without it) knows no recipients: its kill goes, as it always did, to the
subscriptions whose filter takes the stored item. Pure.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import base64
import binascii

import orjson

from shared.subscriptions import Subscription

RECIPIENTS = "recipients"
# Reached more subscriptions than a story keeps names of, one of them without a number
# (or before numbers were kept): count every subscription as one.
EVERYONE = "*"
# Past the bound: the recipients' numbers, as a base64 bitmap (bit n: subscription n).
NUMBERS = "numbers"
# The header of an ``articles.published`` record that says (as JSON) who had its story:
# a live item's recipients so far, a kill notice's (and its tombstone's) subscriptions
# notified. Never on a subscription's topic.
RECIPIENTS_HEADER = "wire_recipients"

Recipients = list[str] | str | dict[str, str]


def recipients_after(stored_meta: Mapping[str, Any] | None, matched: list[Subscription],
                     subscriptions: list[Subscription], *, most: int) -> Recipients:
    """The recipients of a story once its new version went to ``matched``: the stored
    version's that are still among ``subscriptions``, and ``matched``, sorted; past
    ``most`` of them, or kept as numbers already, their numbers; EVERYONE when one of
    them has no number, or it was so already."""
    before = known(stored_meta or {})
    if before == EVERYONE:
        return EVERYONE
    if isinstance(before, set):
        return _as_numbers(before, matched)
    existing = {s.name: s for s in [*subscriptions, *matched]}
    names = {n for n in before or () if n in existing} | {s.name for s in matched}
    if len(names) <= most:
        return sorted(names)
    return _as_numbers(set(), [existing[n] for n in names])


def _as_numbers(before: set[int], reached: list[Subscription]) -> Recipients:
    if any(s.number is None for s in reached):
        return EVERYONE
    bits = 0
    for n in before | {s.number for s in reached}:
        bits |= 1 << n
    return {NUMBERS: base64.b64encode(bits.to_bytes((bits.bit_length() + 7) // 8, "little")).decode()}


def had_it(meta: Mapping[str, Any], item: dict[str, Any] | None, provider: str | None,
           subscriptions: list[Subscription]) -> list[Subscription]:
    """Which of ``subscriptions`` had the story whose stored ``meta`` and latest ``item``
    (None: never public, no one had it) are given: its recipients, and those whose
    filter takes the item now."""
    if item is None:
        return []
    reached = known(meta)
    if reached == EVERYONE:
        return list(subscriptions)
    return [s for s in subscriptions if _among(s, reached) or s.filter.matches(item, provider)]


def among_recipients(meta: Mapping[str, Any], subscriptions: list[Subscription]) -> list[Subscription]:
    """Those of ``subscriptions`` the story of ``meta`` was sent to (all of them when the
    meta does not say: kept before recipients were)."""
    reached = known(meta)
    if reached is None or reached == EVERYONE:
        return list(subscriptions)
    return [s for s in subscriptions if _among(s, reached)]


def _among(subscription: Subscription, reached: list[str] | set[int] | None) -> bool:
    if isinstance(reached, set):
        return subscription.number is not None and subscription.number in reached
    return subscription.name in (reached or ())


def kept(meta: Mapping[str, Any]) -> Recipients | None:
    """The recipients ``meta`` keeps, as kept (None: none, or something unreadable)."""
    return _readable(meta.get(RECIPIENTS))


def known(meta: Mapping[str, Any]) -> list[str] | set[int] | str | None:
    """The recipients ``meta`` keeps: names, numbers or EVERYONE (None: it keeps none,
    or something unreadable)."""
    value = kept(meta)
    if not isinstance(value, dict):
        return value
    bits = int.from_bytes(base64.b64decode(value[NUMBERS]), "little")
    return {n for n in range(bits.bit_length()) if bits >> n & 1}


def _readable(value: Any) -> Recipients | None:
    if value == EVERYONE:
        return EVERYONE
    if isinstance(value, list) and all(isinstance(n, str) for n in value):
        return value
    if isinstance(value, dict) and isinstance(value.get(NUMBERS), str):
        try:
            base64.b64decode(value[NUMBERS], validate=True)
        except (binascii.Error, ValueError):
            return None
        return {NUMBERS: value[NUMBERS]}
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
