"""Links a subscriber can follow from an item to the items it names.

An association (a translation, a package member, a photo) names its item by
``uri``; ninjs 3.1 allows no extra properties on it, but an association may carry
``renditions``, and a rendition's ``href`` is where a client finds the associated
item: ``<WIRE_PUBLIC_URL>/v1/articles?uri=<uri>`` (with its read token, like any read).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

RENDITION = "wirestream-ninjs"


def link_associations(item: dict[str, Any], public_url: str) -> dict[str, Any]:
    """``item`` with a rendition on each association that names a uri, pointing at the
    gateway's lookup by uri. A rendition of that name the provider sent, on the item or
    an association at any depth, is dropped first: clients follow it with their read
    token, so only the wire writes it (a provider's would send the token to the
    provider's host). Idempotent; the item is not changed in place."""
    item = _without_ours(item)
    associations = item.get("associations")
    if not associations:
        return item
    base = public_url.rstrip("/")
    linked = []
    for assoc in associations:
        if isinstance(assoc, dict):
            if assoc.get("uri"):
                href = f"{base}/v1/articles?{urlencode({'uri': assoc['uri']})}"
                assoc = {**assoc, "renditions": [*(assoc.get("renditions") or ()),
                                                 {"name": RENDITION, "href": href, "contentType": "application/json",
                                                  "title": "the associated item on this wire"}]}
        linked.append(assoc)
    return {**item, "associations": linked}


def _without_ours(assoc: dict[str, Any]) -> dict[str, Any]:
    """``assoc`` and the associations within it without renditions named :data:`RENDITION`
    (however cased or spaced)."""
    stripped = dict(assoc)
    renditions = assoc.get("renditions")
    if isinstance(renditions, list):
        kept = [r for r in renditions if not (isinstance(r, dict) and isinstance(r.get("name"), str)
                                              and r["name"].strip().casefold() == RENDITION)]
        if kept:
            stripped["renditions"] = kept
        else:
            stripped.pop("renditions")
    inner = assoc.get("associations")
    if isinstance(inner, list):
        stripped["associations"] = [_without_ours(a) if isinstance(a, dict) else a for a in inner]
    return stripped
