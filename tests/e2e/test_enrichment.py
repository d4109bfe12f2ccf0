"""Enrichment through the whole running pipeline, as a wire feed and a subscriber see it:
POST through the gateway, read back ``/v1/articles/{id}``, ``…/enrichment`` and ``/v1/trends``."""
from __future__ import annotations

import sys

import httpx
import pytest

from services.cli.stack.processes import REPO, ChildProcess, free_port, wait_until
from tests.e2e.client import ADMIN, submit, wait_published
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

STORY = """Monday, March 3, 2025

Flooding forces thousands from homes along the Rhine

Rescue crews evacuated more than 4,000 residents from riverside towns in western Germany on Monday after days of heavy rain pushed the Rhine over its banks.

The flood waters reached the old town of Cologne overnight, and firefighters used boats to reach people trapped on upper floors. Emergency officials said at least two people had died and dozens were missing.

"We have never seen the water rise this fast," said Anna Weber, the mayor of a small town near Bonn. "Whole streets disappeared in an hour."

Meteorologists warned that more rain was expected on Tuesday and Wednesday, and the disaster agency opened shelters in schools and sports halls across the region. Train services between Cologne and Koblenz were suspended.

The federal government promised emergency aid to the affected towns, and army units were sent to help build sandbag walls along the river.

BY LENA BERG [lena.berg@example.com]
"""

UNRELATED = """Tuesday, March 4, 2025

Late goal sends champions into the cup final

A stoppage-time goal from the veteran striker sent the champions into the cup final on Saturday after a tense semifinal in front of 60,000 fans at the national stadium.

The home team's goalkeeper saved a penalty in the first half, and the coach praised his players for a gritty victory. The club will face last season's league winners in the final next month.

"This team never gives up," the coach told reporters after the match.
"""

KOREAN = """2024년 12월 18일

북한, 러시아에 2차 파병 임박

북한이 러시아에 2차 병력을 파견할 것으로 예상된다고 전문가들이 밝혔다. 세계일보에 따르면 북한 소식통은 파병 속도가 빨라지고 있다고 말했다.

박원곤 이화여대 교수는 추가 파병이 불가피하다고 설명했다. 북한 병력은 쿠르스크 지역에서 싸운 것으로 알려졌다.
"""


def enrichment_of(base_url: str, article_id: str) -> dict:
    answer = httpx.get(f"{base_url}/v1/articles/{article_id}/enrichment", timeout=5, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["enrichment"]


def _names(items: list[dict]) -> list[str]:
    return [i["name"] for i in items]


def test_the_example_article_is_enriched(pipeline, example_article):
    answer = submit(pipeline.gateway_url, example_article)
    assert answer.status_code == 202, answer.text
    article_id = answer.json()["id"]
    item = wait_published(pipeline.gateway_url, article_id)

    assert item["language"] == "en"
    people = _names(item["people"])
    for name in ("Volodymyr Zelensky", "Park Won-gon", "Kim Jong-un", "Andrei Belousov"):
        assert people.count(name) == 1, people
    organisations = _names(item["organisations"])
    for name in ("Ewha Womans University", "Storm Corps", "Korean Central Television",
                 "U.S. Department of Defense", "Ministry of Unification"):
        assert name in organisations, organisations
    assert "Segye Ilbo" not in people and "Segye Ilbo" in organisations
    places = {p["name"]: p for p in item["places"]}
    for name in ("North Korea", "Russia", "Ukraine", "South Korea", "Pyongyang", "Kursk"):
        assert name in places, places
    assert places["Kursk"]["contactInfo"][0]["address"]["country"] == "RU"
    sources = _names(item["infoSources"])
    assert "Segye Ilbo" in sources and "Korean Central Television" in sources
    subjects = [s["uri"] for s in item["subjects"]]
    assert "http://cv.iptc.org/newscodes/mediatopic/16000000" in subjects
    assert "http://cv.iptc.org/newscodes/mediatopic/11000000" in subjects
    assert any(d["role"] == "summary" for d in item["descriptions"])

    enrichment = enrichment_of(pipeline.gateway_url, article_id)
    by_park = [q for q in enrichment["quotes"] if (q["speaker"] or {}).get("name") == "Park Won-gon"]
    assert len(by_park) >= 2
    assert enrichment["storyCluster"]["id"]
    assert enrichment["wordCount"] > 400 and enrichment["readingTimeSeconds"] > 60
    assert {"text": "November 29", "value": "2024-11-29"}.items() <= next(
        d for d in enrichment["datesMentioned"] if d["text"] == "November 29").items()
    belousov = next(e for e in enrichment["entities"] if e["name"] == "Andrei Belousov")
    assert belousov["role"]["text"] == "Defense Minister of Russia"
    assert belousov["mentions"][0]["field"] == "bodies[0]"


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_copies_of_a_story_share_one_cluster_and_another_story_gets_its_own(pipeline, tmp_path):
    port = free_port()
    wire2 = ChildProcess("gateway-wire2", [sys.executable, "-m", "services.gateway"], cwd=REPO,
                         log_path=tmp_path / "gateway.log",
                         env={**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_API_KEYS": '{"key-wire2": "wire2"}'})
    wire2.start()
    other_gateway = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(other_gateway), timeout=60, what="waiting for the second gateway", process=wire2)
        first = submit(pipeline.gateway_url, STORY.encode()).json()
        # a light edit of the headline and first paragraph: a different story uri, the same story
        edited = STORY.replace("Flooding forces", "Floods force").replace("more than 4,000", "over 4,000")
        second = submit(pipeline.gateway_url, edited.encode()).json()
        # the same text from another provider (another API key)
        third = httpx.post(f"{other_gateway}/v1/articles", content=STORY.encode(), timeout=15,
                           headers={"Authorization": "Bearer key-wire2", "Content-Type": "text/plain"}).json()
        unrelated = submit(pipeline.gateway_url, UNRELATED.encode()).json()
    finally:
        wire2.stop()
    assert third["uri"].startswith("urn:wirestream:wire2:")
    ids = [first["id"], second["id"], third["id"], unrelated["id"]]
    assert len(set(ids)) == 4
    for article_id in ids:
        wait_published(pipeline.gateway_url, article_id, timeout=90)
    clusters = [enrichment_of(pipeline.gateway_url, i)["storyCluster"]["id"] for i in ids]
    assert clusters[0] == clusters[1] == clusters[2]
    assert clusters[3] != clusters[0]

    # the story's entities trend: three stories name Cologne (windows=2: the hour may turn mid-test)
    def cologne_three_times() -> dict | None:
        trends = httpx.get(f"{pipeline.gateway_url}/v1/trends", params={"type": "place", "limit": 50, "windows": 2},
                           timeout=5, headers=ADMIN).json()
        cologne = sum(e["count"] for w in trends["windows"] for e in w["entities"] if e["name"] == "Cologne")
        return trends if cologne >= 3 else None

    trends = wait_for(cologne_three_times, timeout=30, interval=0.3, what="Cologne trending in three stories")
    assert all(e["type"] == "place" for w in trends["windows"] for e in w["entities"])


def test_a_korean_article_gets_its_language_and_untyped_proper_nouns(pipeline):
    answer = submit(pipeline.gateway_url, KOREAN.encode())
    assert answer.status_code == 202, answer.text
    item = wait_published(pipeline.gateway_url, answer.json()["id"], timeout=90)
    assert item["language"] == "ko"
    assert "people" not in item or all(p.get("rel") == "author" for p in item["people"])
    untyped = _names(enrichment_of(pipeline.gateway_url, answer.json()["id"])["untypedEntities"])
    assert "북한" in untyped and "박원곤" in untyped


def test_enrichment_of_an_unknown_article_is_404(pipeline):
    assert httpx.get(f"{pipeline.gateway_url}/v1/articles/0000000000/enrichment", timeout=5, headers=ADMIN).status_code == 404
    assert httpx.get(f"{pipeline.gateway_url}/v1/trends", params={"windows": 0}, timeout=5, headers=ADMIN).status_code == 422
