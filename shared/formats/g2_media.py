"""The parts of a NewsML-G2 item that are not text: renditions of pictures, graphics,
video and audio, and the members of a package.

Remote content is only referenced (its href, type, size…), never fetched: ingest
must not reach out to a sender's servers, and subscribers fetch what they want.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from shared.errors import ParseError
from shared.events import Article
from shared.formats.ninjs_json import ninjs_uri
from shared.formats.xmlsafe import attr, local_name, text_of, xpath_of

# NewsML-G2 item classes (ninat:) → ninjs 3.1 ``type``; the two vocabularies share names.
ITEM_TYPES = {"": "text", "text": "text", "picture": "picture", "graphic": "graphic", "video": "video",
              "audio": "audio", "composite": "composite"}
MEDIA_TYPES = frozenset({"picture", "graphic", "video", "audio"})
# G2 time units (timeunit:) in seconds; edit units and frames need the frame rate.
_SECONDS = {"seconds": 1.0, "second": 1.0, "milliseconds": 0.001, "minutes": 60.0, "hours": 3600.0}
_CLOCK = re.compile(r"(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)")
# What a package association repeats of a member carried in the same message: enough
# to show the package without fetching each member; the member's own item has the rest.
_INLINED = ("type", "version", "versionCreated", "pubStatus", "language", "by", "located", "headlines",
            "descriptions", "renditions", "copyrightHolder", "copyrightNotice", "usageTerms")


def local_code(qcode: str) -> str:
    """The code part of a G2 qcode ("rnd:highRes" → "highRes")."""
    return qcode.rpartition(":")[2]


def item_type(item: etree._Element) -> str:
    """The ninjs ``type`` of a G2 ``newsItem``/``packageItem`` (from ``itemMeta/itemClass``).
    Raises :class:`ParseError` for an item class ninjs has no type for."""
    item_class = item.find("{*}itemMeta/{*}itemClass")
    qcode = attr(item_class, "qcode")
    code = local_code(qcode) or attr(item_class, "uri").rstrip("/").rpartition("/")[2]
    if local_name(item) == "packageItem":  # whatever its class says (TT sends ninat:text), it is a package
        return "composite"
    if code not in ITEM_TYPES:
        known = ", ".join(sorted(set(ITEM_TYPES.values())))
        raise ParseError(f"item class {qcode!r} is not a news item type ninjs carries ({known})",
                         where=f"{xpath_of(item)}/itemMeta/itemClass")
    return ITEM_TYPES[code]


def renditions(item: etree._Element) -> list[dict[str, Any]]:
    """The ninjs ``renditions`` of a media item: one per ``contentSet/remoteContent``
    with an href (name from ``@rendition``/``@renditionuri``, contentType, width,
    height, sizeInBytes, duration in seconds, format, aspectRatio, videoCodec,
    frameRate), then the icons (keyframes, thumbnails) of ``contentMeta``. Never raises:
    a value that is not a number is left out."""
    found = []
    remotes = list(item.iterfind("{*}contentSet/{*}remoteContent"))
    for number, remote in enumerate(remotes, 1):
        if rendition := _rendition(remote, f"rendition-{number}"):
            found.append(rendition)
    for number, icon in enumerate(item.iterfind("{*}contentMeta/{*}icon"), 1):
        if rendition := _rendition(icon, "icon" if number == 1 else f"icon-{number}"):
            found.append(rendition)
    return found


def _rendition(remote: etree._Element, fallback: str) -> dict[str, Any] | None:
    href = attr(remote, "href")
    if not href:
        return None
    name = local_code(attr(remote, "rendition")) or attr(remote, "renditionuri").rstrip("/").rpartition("/")[2]
    rendition = media_rendition(name or fallback, href, attr(remote, "contenttype"), width=attr(remote, "width"),
                                height=attr(remote, "height"), sizeInBytes=attr(remote, "size"))
    texts = (("format", "format"), ("aspectRatio", "videoaspectratio"), ("videoCodec", "videocodec"))
    rendition.update({target: value for target, source in texts if (value := attr(remote, source))})
    if (rate := _number(attr(remote, "videoframerate"))) is not None:
        rendition["frameRate"] = rate
    if (duration := _seconds(remote, rate)) is not None:
        rendition["duration"] = duration
    return rendition


def media_rendition(name: str, href: str, content_type: str = "", **counts: str) -> dict[str, Any]:
    """A ninjs rendition: ``name``, ``href``, ``contentType`` when given, and each of
    ``counts`` (width, height, sizeInBytes, duration in whole seconds…) whose value is
    a whole number of at most 15 digits; any other value is left out."""
    rendition: dict[str, Any] = {"name": name, "href": href}
    if content_type:
        rendition["contentType"] = content_type
    for key, value in counts.items():
        if value.isascii() and value.isdigit() and len(value) < 16:
            rendition[key] = int(value)
    return rendition


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < 1e12 else None  # also refuses nan and inf


def _seconds(remote: etree._Element, frame_rate: float | None) -> float | None:
    """``@duration`` in seconds; G2's default unit is seconds, ``normalPlayTime`` is h:mm:ss."""
    value, unit = attr(remote, "duration"), local_code(attr(remote, "durationunit"))
    if clock := _CLOCK.fullmatch(value):
        hours, minutes, seconds = clock.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    number = _number(value)
    if number is None:
        return None
    if unit in ("editUnit", "frames"):
        return round(number / frame_rate, 3) if frame_rate else None
    factor = _SECONDS.get(unit or "seconds")
    return number * factor if factor is not None else None


def package_refs(package: etree._Element) -> list[tuple[etree._Element, str]]:
    """Every ``itemRef`` of a ``packageItem`` with the role of its group, in reading
    order: groups are walked from ``groupSet/@root`` through their ``groupRef``s
    (each group once, so a loop cannot recur). Without a groupSet, every itemRef in
    document order. Raises :class:`ParseError` for a groupRef or root naming no group."""
    group_set = package.find("{*}groupSet")
    if group_set is None:
        return [(ref, "") for ref in package.iter("{*}itemRef")]
    groups = {attr(g, "id"): g for g in group_set.iterfind("{*}group")}
    root_id = attr(group_set, "root") or next(iter(groups), "")
    if root_id not in groups:
        raise ParseError(f"groupSet root {root_id!r} names no group", where=f"{xpath_of(group_set)}/@root")
    found: list[tuple[etree._Element, str]] = []
    seen: set[str] = set()
    pending = [root_id]
    while pending:  # depth-first without recursion: a deep chain of groups cannot blow the stack
        group_id = pending.pop()
        if group_id in seen:
            continue
        seen.add(group_id)
        group = groups[group_id]
        role = local_code(attr(group, "role"))
        later: list[str] = []
        for child in group:
            if local_name(child) == "itemRef":
                found.append((child, role))
            elif local_name(child) == "groupRef":
                target = attr(child, "idref")
                if target not in groups:
                    raise ParseError(f"groupRef names no group {target!r}", where=f"{xpath_of(child)}/@idref")
                later.append(target)
        pending.extend(reversed(later))
    return found


def ref_uri(ref: etree._Element, slug: str) -> str:
    """The ninjs uri of the item an ``itemRef`` points at. Raises :class:`ParseError`
    for an itemRef with neither ``@residref`` nor ``@href``."""
    target = attr(ref, "residref") or attr(ref, "href")
    if not target:
        raise ParseError("itemRef has neither residref nor href", where=xpath_of(ref))
    return ninjs_uri(target, slug)


def member_associations(package: etree._Element, slug: str, carried: dict[str, Article]) -> list[dict[str, Any]]:
    """The ninjs ``associations`` of a package: one per member, by uri, ``rel`` = its
    group's role ("main", "sidebar"…, else "member"), named after its title. A member
    the same message carries (``carried``, by uri) is inlined (type, headlines,
    descriptions, renditions, rights…, not its body); any other is described by its itemRef
    (type from its itemClass, title as headline, description, version)."""
    associations = []
    for number, (ref, role) in enumerate(package_refs(package), 1):
        uri = ref_uri(ref, slug)
        title = text_of(ref.find("{*}title"))
        entry: dict[str, Any] = {"name": title or f"member {number}", "rel": role or "member", "uri": uri}
        if (member := carried.get(uri)) is not None:
            inline = {k: v for k, v in member.to_ninjs().items() if k in _INLINED}
            entry = {**inline, **entry, "name": title or member.headline or entry["name"]}
        else:
            code = local_code(attr(ref.find("{*}itemClass"), "qcode"))
            if code in ITEM_TYPES:
                entry["type"] = ITEM_TYPES[code]
            if version := attr(ref, "version"):
                entry["version"] = version
            if title:
                entry["headlines"] = [{"role": "main", "value": title}]
            descriptions = [{"role": local_code(attr(d, "role")) or "summary", "value": value}
                            for d in ref.iterfind("{*}description") if (value := text_of(d))]
            if descriptions:
                entry["descriptions"] = descriptions
        associations.append(entry)
    return associations
