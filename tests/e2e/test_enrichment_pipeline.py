"""Enrichment of the example article, through the running pipeline."""
from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.client import submit, wait_published

pytestmark = pytest.mark.e2e

MEDIATOPIC = "http://cv.iptc.org/newscodes/mediatopic/"


def test_example_article_is_enriched_through_the_pipeline(pipeline, example_article):
    answer = submit(pipeline.gateway_url, example_article)
    assert answer.status_code == 202
    article_id = answer.json()["id"]
    item = wait_published(pipeline.gateway_url, article_id)

    people = [p["name"] for p in item.get("people", [])]
    for name in ("Volodymyr Zelensky", "Park Won-gon", "Kim Jong-un", "Andrei Belousov"):
        assert people.count(name) == 1, people
    assert "Segye Ilbo" not in people
    organisations = [o["name"] for o in item.get("organisations", [])]
    for name in ("Ewha Womans University", "Storm Corps", "Korean Central Television",
                 "U.S. Department of Defense", "Ministry of Unification"):
        assert name in organisations, organisations
    places = [p["name"] for p in item.get("places", [])]
    for name in ("North Korea", "Russia", "Ukraine", "South Korea", "Pyongyang", "Kursk"):
        assert name in places, places
    sources = [s["name"] for s in item.get("infoSources", [])]
    assert "Segye Ilbo" in sources and "Korean Central Television" in sources
    subjects = [s["uri"] for s in item.get("subjects", []) if "uri" in s]
    assert MEDIATOPIC + "16000000" in subjects and MEDIATOPIC + "11000000" in subjects
    assert item["language"] == "en"

    deadline = time.monotonic() + 30
    while True:
        enrichment = httpx.get(f"{pipeline.gateway_url}/v1/articles/{article_id}/enrichment", timeout=5)
        if enrichment.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert enrichment.status_code == 200, enrichment.text
    quotes = enrichment.json().get("quotes") or enrichment.json().get("enrichment", {}).get("quotes", [])
    by_park = [q for q in quotes if (q.get("speaker") or {}).get("name") == "Park Won-gon"]
    assert len(by_park) >= 2, quotes
