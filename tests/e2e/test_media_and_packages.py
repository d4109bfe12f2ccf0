"""A picture and a package through the running pipeline: submitted as NewsML-G2 at the
gateway, published as ninjs 3.1 with renditions and members, delivered to a
subscription that filters on type (webhook to a local receiver, RSS/Atom/JSON feeds),
and a new package version updating the package."""
from __future__ import annotations

import uuid
from pathlib import Path

import feedparser
import httpx
import orjson
import pytest

from shared.ninjs import ninjs_errors
from tests.e2e.client import submit
from tests.publishing_helpers import Receiver, read_sse
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": "Bearer dev-admin-key"}
MEDIA = Path(__file__).resolve().parents[1] / "fixtures" / "wires" / "newsml-g2-media"
G2 = "application/vnd.iptc.g2.newsitem+xml"


def _sample(number: str) -> str:
    return next(MEDIA.glob(f"LISTING_{number}_*.xml")).read_text(encoding="utf-8")


def _published(base: str, article_id: str, *, version: str = "1", timeout: float = 120) -> dict:
    def found() -> dict | None:
        answer = httpx.get(f"{base}/v1/articles/{article_id}", headers=ADMIN, timeout=5)
        assert answer.status_code in (200, 404), answer.text
        return answer.json() if answer.status_code == 200 and answer.json().get("version") == version else None

    return wait_for(found, timeout=timeout, what=f"{article_id} v{version} to be published")


def _accepted(base: str, payload: str) -> dict:
    answer = submit(base, payload.encode("utf-8"), G2)
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_a_picture_and_a_package_reach_a_type_filtered_webhook_and_feeds(pipeline):
    base, run = pipeline.gateway_url, uuid.uuid4().hex[:8]
    picture_guid = f"tag:acmenews.com,2008:e2e-{run}-photo"
    package_guid = f"tag:example.com,2008:e2e-{run}-package"
    photo = _sample("26").replace("tag:acmenews.com,2008:WORLD-NEWS:USA20081208098658", picture_guid)
    package = _sample("6").replace("tag:example.com,2008:UK-NEWS-TOPTEN:UK20081220098658", package_guid)
    with Receiver() as receiver:
        answer = httpx.post(f"{base}/v1/subscriptions", headers=ADMIN, timeout=30, json={
            "name": f"media-{run}", "filter": {"types": ["picture", "composite"]},
            "outputs": {"topic": False, "feeds": True, "webhook": {"url": receiver.url}}})
        assert answer.status_code == 201, answer.text

        text = submit(base, orjson.dumps({"uri": f"urn:test:{run}:text", "type": "text", "language": "en",
                                          "headlines": [{"role": "main", "value": "A text story"}],
                                          "bodies": [{"contentType": "text/plain", "value": "Text only."}]}),
                      "application/json").json()
        picture = _accepted(base, photo)
        pkg = _accepted(base, package)
        assert picture["uri"] == picture_guid and pkg["uri"] == package_guid

        item = _published(base, picture["id"], version="11")
        assert item["type"] == "picture" and ninjs_errors(item) == []
        assert item["renditions"][0]["href"].startswith("http://www.acmenews.com/") and \
            item["renditions"][0]["sizeInBytes"] == 3764418
        assert item["descriptions"][0]["role"] == "caption"
        assert any(p["name"] == "San Bernardino" for p in item["places"])  # enrichment read the caption
        published = _published(base, pkg["id"], version="11")
        assert published["type"] == "composite" and ninjs_errors(published) == []
        assert [a["type"] for a in published["associations"]] == ["text", "picture"]

        hooks = wait_for(lambda: {r["headers"]["x-wire-uri"] for r in receiver.delivered} >= {picture_guid,
                                                                                              package_guid},
                          what="the picture and the package at the webhook")
        assert hooks
        _published(base, text["id"])  # published too, but not of the subscribed types
        delivered = {r["headers"]["x-wire-uri"]: orjson.loads(r["body"]) for r in receiver.delivered}
        assert text["uri"] not in delivered
        assert delivered[picture_guid]["renditions"] == item["renditions"]

        rss = feedparser.parse(httpx.get(f"{base}/v1/feeds/media-{run}.rss", headers=ADMIN, timeout=10).content)
        assert not rss.bozo, rss.bozo_exception
        entries = {e.id: e for e in rss.entries}
        assert set(entries) == {picture_guid, package_guid}
        assert entries[picture_guid].enclosures[0].href == item["renditions"][0]["href"]
        atom = feedparser.parse(httpx.get(f"{base}/v1/feeds/media-{run}.atom", headers=ADMIN, timeout=10).content)
        links = [link.href for e in atom.entries if e.id == picture_guid for link in e.links if link.rel == "enclosure"]
        assert links == [item["renditions"][0]["href"]]
        feed = httpx.get(f"{base}/v1/feeds/media-{run}.json", headers=ADMIN, timeout=10).json()
        attached = {i["id"]: i.get("attachments") for i in feed["items"]}
        assert attached[picture_guid][0]["mime_type"] == "image/jpeg"

        # the live stream (replayed from its start) carries both, with their renditions and members
        events = read_sse(f"{base}/v1/stream?subscription=media-{run}", headers={**ADMIN, "Last-Event-ID": "0-0"},
                          until=lambda ev: {orjson.loads(e["data"])["uri"] for e in ev} >= {picture_guid, package_guid})
        streamed = {orjson.loads(e["data"])["uri"]: orjson.loads(e["data"]) for e in events}
        assert streamed[picture_guid]["renditions"] and streamed[package_guid]["associations"]

        # a new version of the package, now also holding the picture, updates it everywhere
        newer = package.replace('version="11"', 'version="12"', 1).replace(
            "</group>", f'<itemRef residref="{picture_guid}"><itemClass qcode="ninat:picture"/></itemRef></group>')
        assert _accepted(base, newer)["uri"] == package_guid
        updated = _published(base, pkg["id"], version="12")
        assert [a["uri"] for a in updated["associations"]][-1] == picture_guid
        wait_for(lambda: any(r["headers"]["x-wire-uri"] == package_guid and r["headers"]["x-wire-version"] == "12"
                              for r in receiver.delivered), what="the package update at the webhook")
