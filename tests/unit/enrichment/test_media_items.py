"""Enrichment of pictures, clips and packages: their text is the headline and caption."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from services.enrichment.annotations import write_ninjs
from services.enrichment.findings import read_article
from services.enrichment.clustering import story_text
from shared.events import Article
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.ninjs import ninjs_errors

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "newsml-g2-media"
NOW = datetime(2024, 12, 18, tzinfo=timezone.utc)


def _enriched(name: str) -> Article:
    [item] = parse_newsml_g2(next(MEDIA.glob(f"LISTING_{name}_*.xml")).read_bytes(), provider="iptc")
    write_ninjs(read_article(item.article, received_at=NOW), item.article)
    return item.article


def test_a_photo_caption_gives_places_and_a_topic_and_the_item_stays_a_valid_picture():
    article = _enriched("26")
    assert article.type == "picture" and article.renditions
    names = {p["name"] for p in article.places}
    assert {"San Bernardino", "California"} <= names
    assert any(s.get("uri", "").endswith("/03000000") for s in article.subjects)  # disaster, accident…
    assert ninjs_errors(article.to_ninjs()) == []


def test_a_video_dopesheet_is_read_and_a_package_with_a_headline_only_is_no_error():
    video = _enriched("5")
    assert video.language == "en" and any("Loriot" in p["name"] or "Bülow" in p["name"] for p in video.people)
    package = _enriched("6")
    assert package.type == "composite" and ninjs_errors(package.to_ninjs()) == []


def test_a_picture_clusters_on_its_caption_not_its_headline_alone():
    [item] = parse_newsml_g2(next(MEDIA.glob("LISTING_3_*.xml")).read_bytes(), provider="getty")
    assert "Las Vegas Boulevard" in story_text(item.article)
