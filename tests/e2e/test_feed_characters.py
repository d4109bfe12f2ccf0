"""One provider's headline with a character XML 1.0 forbids must not make a
subscriber's RSS or Atom feed unreadable: the served feeds stay well-formed XML
(parsed strictly, by lxml), with that item and every other one in them."""
from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from lxml import etree

from tests.e2e.client import ADMIN, submit, wait_published
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

ATOM = "{http://www.w3.org/2005/Atom}"


def ninjs(uri: str, headline: str, word: str) -> bytes:
    return orjson.dumps({
        "uri": uri, "version": "1", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain",
                    "value": f"Dock workers returned to work on Monday after a strike ({word}). " * 3}]})


def test_a_headline_with_a_control_character_leaves_the_feeds_well_formed(pipeline):
    run = uuid.uuid4().hex[:8]
    word = f"harbour{run}"
    name = f"ctl-{run}"
    created = httpx.post(f"{pipeline.gateway_url}/v1/subscriptions", headers=ADMIN, timeout=30, json={
        "name": name, "filter": {"keywords": [word]}, "outputs": {"topic": False, "feeds": True}})
    assert created.status_code == 201, created.text
    dirty = submit(pipeline.gateway_url, ninjs(f"urn:test:ctl:{run}:1", "Hello\u000bworld\u0001", word),
                   "application/json")
    clean = submit(pipeline.gateway_url, ninjs(f"urn:test:ctl:{run}:2", "Strike ends", word), "application/json")
    for answer in (dirty, clean):
        assert answer.status_code == 202, answer.text
        wait_published(pipeline.gateway_url, answer.json()["id"])

    for kind, title in (("rss", "title"), ("atom", f"{ATOM}title")):
        def titles() -> set[str] | None:
            served = httpx.get(f"{pipeline.gateway_url}/v1/feeds/{name}.{kind}", headers=ADMIN, timeout=10)
            assert served.status_code == 200, served.text
            document = etree.fromstring(served.content)  # strict: raises on a feed that is not well-formed
            found = {t.text for t in document.iter(title)}
            return found if {"Hello\ufffdworld\ufffd", "Strike ends"} <= found else None

        wait_for(titles, timeout=60, what=f"both items in the {kind} feed")
