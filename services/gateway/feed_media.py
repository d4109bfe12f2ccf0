"""What a feed entry can attach of a ninjs item: its pictures, clips and graphics as
links (RSS ``enclosure``, Atom ``rel="enclosure"``, JSON Feed ``attachments``).

Only http(s) renditions are offered: a ``file:`` or relative href from the sender is
meaningless to a feed reader. Nothing is fetched; sizes and types are what the
sender declared (a type guessed from the file name when it declared none).
"""
from __future__ import annotations

import mimetypes
from typing import Any

_FALLBACK_TYPES = {"picture": "image/jpeg", "graphic": "image/png", "video": "video/mp4", "audio": "audio/mpeg"}


def enclosures(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's own renditions (a picture, video…), then one rendition of each
    association that has any (a story's photos, a package's members): each as
    ``{url, type, length, duration, title}`` (``length``/``duration`` None when unknown),
    without repeats. Never raises on odd shapes: what is not a usable link is skipped."""
    found: dict[str, dict[str, Any]] = {}
    for rendition in _renditions(item):
        _add(found, rendition, item)
    for association in item.get("associations") or ():
        if isinstance(association, dict) and association.get("rel") != "translation":
            usable = [r for r in _renditions(association) if _is_link(r)]
            if usable:
                _add(found, max(usable, key=_pixels), association)
    return list(found.values())


def _renditions(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in item.get("renditions") or () if isinstance(r, dict)]


def _is_link(rendition: dict[str, Any]) -> bool:
    href = rendition.get("href")
    return isinstance(href, str) and href.lower().startswith(("http://", "https://"))


def _pixels(rendition: dict[str, Any]) -> int:
    width, height = rendition.get("width"), rendition.get("height")
    return width * height if isinstance(width, int) and isinstance(height, int) else 0


def _add(found: dict[str, dict[str, Any]], rendition: dict[str, Any], owner: dict[str, Any]) -> None:
    if not _is_link(rendition) or rendition["href"] in found:
        return
    href = rendition["href"]
    declared = rendition.get("contentType")
    kind = (declared if isinstance(declared, str) and "/" in declared else None) or \
        mimetypes.guess_type(href.split("?", 1)[0])[0] or _FALLBACK_TYPES.get(str(owner.get("type")),
                                                                             "application/octet-stream")
    size, duration = rendition.get("sizeInBytes"), rendition.get("duration")
    heads = owner.get("headlines") or [{}]
    found[href] = {"url": href, "type": kind, "length": size if isinstance(size, int) else None,
                   "duration": duration if isinstance(duration, (int, float)) else None,
                   "title": heads[0].get("value") if isinstance(heads[0], dict) else None}


def json_feed_attachment(media: dict[str, Any]) -> dict[str, Any]:
    """An enclosure as a JSON Feed 1.1 attachment (unknown size and duration left out)."""
    extra = {"title": media["title"], "size_in_bytes": media["length"], "duration_in_seconds": media["duration"]}
    return {"url": media["url"], "mime_type": media["type"], **{k: v for k, v in extra.items() if v is not None}}
