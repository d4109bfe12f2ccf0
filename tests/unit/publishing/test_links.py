"""Associations carry a link to their item that the ninjs 3.1 schema allows."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.publishing.links import RENDITION, link_associations
from shared.ninjs import ensure_valid


def test_each_association_links_to_its_item_by_uri_and_stays_valid_ninjs():
    item = {"uri": "urn:x:pkg", "type": "composite", "headlines": [{"role": "main", "value": "Package"}],
            "associations": [{"name": "photo", "uri": "urn:x:photo 1", "type": "picture",
                              "renditions": [{"name": "original", "href": "https://cdn.example/p.jpg"}]},
                             {"name": "translation", "uri": "urn:x:pkg:pt", "rel": "translation"}]}
    linked = link_associations(item, "https://wire.example/")
    ensure_valid(linked)
    for assoc in linked["associations"]:
        [link] = [r for r in assoc["renditions"] if r["name"] == RENDITION]
        parts = urlsplit(link["href"])
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "wire.example", "/v1/articles")
        assert parse_qs(parts.query) == {"uri": [assoc["uri"]]}
    assert linked["associations"][0]["renditions"][0]["href"] == "https://cdn.example/p.jpg"  # kept
    assert link_associations(linked, "https://wire.example/") == linked  # idempotent
    assert "renditions" not in item["associations"][1]  # the input is not changed


def test_a_link_the_provider_named_as_the_wires_is_replaced_by_the_wires_own():
    """Clients follow the link with their read token: a provider's rendition of that
    name (pointing at its own host) must not survive, at any depth."""
    evil = {"name": RENDITION, "href": "https://evil.example/v1/articles?uri=x", "contentType": "application/json"}
    shouting = {**evil, "name": " Wirestream-NINJS"}
    item = {"uri": "urn:x:story", "type": "picture", "headlines": [{"role": "main", "value": "Story"}],
            "renditions": [shouting, {"name": "original", "href": "https://cdn.example/p.jpg"}],
            "associations": [{"name": "translation", "uri": "urn:other:story", "rel": "translation",
                              "renditions": [evil, {"name": "original", "href": "https://cdn.example/o.json"}]},
                             {"name": "package", "uri": "urn:x:pkg", "type": "composite",
                              "associations": [{"name": "inner", "uri": "urn:x:inner", "renditions": [shouting]}]}]}
    linked = link_associations(item, "https://wire.example")
    ensure_valid(linked)
    assert "evil.example" not in str(linked)
    assert [r["name"] for r in linked["renditions"]] == ["original"]
    first, package = linked["associations"]
    assert [r["href"] for r in first["renditions"]] == [
        "https://cdn.example/o.json", "https://wire.example/v1/articles?uri=urn%3Aother%3Astory"]
    assert [r["name"] for r in package["renditions"]] == [RENDITION]
    assert link_associations(linked, "https://wire.example") == linked
