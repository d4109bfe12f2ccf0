"""Who a story reached: the subscriptions that were sent any version of it (webhook,
topic, feed or live stream), kept in its meta and carried on from version to version,
so that its kill reaches every one of them whatever their filters say by then (a
downgraded customer may still run the story in its own CMS), and no one else.

Up to ``most`` recipients (``WIRE_RECIPIENTS_MAX``, 256 by default) the list is their
names: a name costs at most 66 bytes (63 characters, quotes, comma), about 20 for a
usual one, and the meta is read by the gateway with every item of a list page and sent
on the ``articles.published`` record that lets a rebuild restore it. A name counts only
for a subscription that existed when the version was published: one deleted and created
again under its name since is another (to the second: subscriptions keep their creation
time in seconds). Past that bound the list is a bitmap of the subscriptions' numbers
(``{"numbers": <base64>}``): the gateway gives each subscription a number of its own
when it first saves it, never given again (a rebuild raises the counter past every
number a story kept); one bit a number, ~1.7 KB of base64 at 10,000 subscriptions. A
subscription saved before numbers were given has none until its next change; a story
past the bound that reached one counts as reached by EVERYONE, as every such story did
before numbers, and its kill goes to every subscription (a kill missed is the worse
mistake; the notice holds no text). The name of a subscription deleted since is
dropped at the next version, so the list does not fill with names no one holds; in a
bitmap its number stays, and no one else has it. During a rolling deploy from before
numbers, an old replica reads a bitmap as no recipients: a story it updates keeps only
that version's, so a kill after it misses a subscriber narrowed since (upgrade every
publishing replica before stories pass the bound, or accept that window).

A meta without the list (written before it was kept, or rebuilt from a record
without it) knows no recipients: its kill goes, as it always did, to the
subscriptions whose filter takes the stored item. Pure.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from shared.subscriptions import ItemFacts, Subscription

RECIPIENTS = "recipients"
# Reached more subscriptions than a story keeps names of, one of them without a number
# (or before numbers were kept): count every subscription as one.
EVERYONE = "*"
# Past the bound: the recipients' numbers, as a base64 bitmap (bit n of byte n // 8:
# subscription n).
NUMBERS = "numbers"
# The largest bitmap kept, 4 million numbers (a number past it makes the story EVERYONE's).
NUMBERS_MAX_BYTES = 512 * 1024
# The header of an ``articles.published`` record that says (as JSON) who had its story:
# a live item's recipients so far, a kill notice's (and its tombstone's) subscriptions
# notified. Never on a subscription's topic.
RECIPIENTS_HEADER = "wire_recipients"

Recipients = list[str] | str | dict[str, str]


def recipients_after(stored_meta: Mapping[str, Any] | None, matched: list[Subscription],
                     subscriptions: list[Subscription], *, most: int) -> Recipients:
    """The recipients of a story once its new version went to ``matched``: the stored
    version's that are still among ``subscriptions`` (and existed when it was
    published), and ``matched``, sorted; past ``most`` of them, or kept as numbers
    already, their numbers; EVERYONE when one of them has no number, or it was so already."""
    stored_meta = stored_meta or {}
    before = known(stored_meta)
    if before == EVERYONE:
        return EVERYONE
    if isinstance(before, set):
        return _as_numbers(before, matched)
    existing = {s.name: s for s in [*subscriptions, *matched]}
    names = {s.name for s in matched} | {
        n for n in before or () if n in existing and existing[n].existed_by(stored_meta.get("published_at"))}
    if len(names) <= most:
        return sorted(names)
    return _as_numbers(set(), [existing[n] for n in names])


def _as_numbers(before: set[int], reached: list[Subscription]) -> Recipients:
    if any(s.number is None for s in reached):
        return EVERYONE
    numbers = before | {s.number for s in reached}
    if max(numbers, default=0) >= 8 * NUMBERS_MAX_BYTES:
        return EVERYONE
    bitmap = bytearray(max(numbers, default=-1) // 8 + 1)
    for n in numbers:
        bitmap[n // 8] |= 1 << n % 8
    return {NUMBERS: base64.b64encode(bitmap).decode()}


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
    facts = ItemFacts(item)
    return [s for s in subscriptions if _among(s, reached, meta) or s.filter.matches(item, provider, facts)]


def among_recipients(meta: Mapping[str, Any], subscriptions: list[Subscription]) -> list[Subscription]:
    """Those of ``subscriptions`` the story of ``meta`` was sent to (all of them when the
    meta does not say: kept before recipients were)."""
    reached = known(meta)
    if reached is None or reached == EVERYONE:
        return list(subscriptions)
    return [s for s in subscriptions if _among(s, reached, meta)]


def _among(subscription: Subscription, reached: list[str] | set[int] | None, meta: Mapping[str, Any]) -> bool:
    """Whether ``subscription`` is among ``reached``: by its number, or by its name if it
    existed when the story's version of ``meta`` was published (a subscription created
    later under a deleted one's name is another)."""
    if isinstance(reached, set):
        return subscription.number is not None and subscription.number in reached
    return subscription.name in (reached or ()) and subscription.existed_by(meta.get("published_at"))


def highest_number(recipients: Recipients | None) -> int:
    """The highest subscription number among ``recipients`` (0: none kept as numbers)."""
    return max(_numbers(recipients[NUMBERS]), default=0) if isinstance(recipients, dict) else 0


def kept(meta: Mapping[str, Any]) -> Recipients | None:
    """The recipients ``meta`` keeps, as kept (None: none, or something unreadable)."""
    return _readable(meta.get(RECIPIENTS))


def known(meta: Mapping[str, Any]) -> list[str] | set[int] | str | None:
    """The recipients ``meta`` keeps: names, numbers or EVERYONE (None: it keeps none,
    or something unreadable)."""
    value = kept(meta)
    return _numbers(value[NUMBERS]) if isinstance(value, dict) else value


def _numbers(bitmap: str) -> set[int]:
    raw = base64.b64decode(bitmap)
    return {8 * i + bit for i, byte in enumerate(raw) if byte for bit in range(8) if byte >> bit & 1}


def _readable(value: Any) -> Recipients | None:
    if value == EVERYONE:
        return EVERYONE
    if isinstance(value, list) and all(isinstance(n, str) for n in value):
        return value
    if isinstance(value, dict) and isinstance(value.get(NUMBERS), str):
        if len(value[NUMBERS]) > 4 * NUMBERS_MAX_BYTES // 3 + 4:  # not ours: unreadable, as any other
            return None
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
