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
    gateway's lookup by uri. Idempotent; the item is not changed in place."""
    associations = item.get("associations")
    if not associations:
        return item
    base = public_url.rstrip("/")
    linked = []
    for assoc in associations:
        if isinstance(assoc, dict) and assoc.get("uri") and not any(
                r.get("name") == RENDITION for r in assoc.get("renditions") or () if isinstance(r, dict)):
            href = f"{base}/v1/articles?{urlencode({'uri': assoc['uri']})}"
            assoc = {**assoc, "renditions": [*(assoc.get("renditions") or ()),
                                             {"name": RENDITION, "href": href, "contentType": "application/json",
                                              "title": "the associated item on this wire"}]}
        linked.append(assoc)
    return {**item, "associations": linked}
