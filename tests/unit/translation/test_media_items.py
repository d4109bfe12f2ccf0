"""Translation of pictures and packages: headline and caption are translated, the
renditions (links, sizes) are kept as they are."""
from __future__ import annotations

from pathlib import Path

from services.translation.desk import TranslationDesk
from services.translation.handlers import translate_article
from services.translation.routing import Router
from services.translation.segments import source_segments, translated_fields
from shared.events import Article
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.ninjs import ninjs_errors
from tests.unit.translation.helpers import DictMemory, MarkingEngine, event_of

PHOTO = next((Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "newsml-g2-media").glob("LISTING_3_*.xml"))


def test_headline_and_caption_are_segments_and_renditions_survive_translation():
    [item] = parse_newsml_g2(PHOTO.read_bytes(), provider="getty")
    segments = source_segments(item.article)
    assert segments[0] == "Variety Of Recessionary Forces Leave Las Vegas Economy Scarred"
    assert any(s.startswith("A general view of part of downtown") for s in segments)
    fields = translated_fields(item.article, lambda text: f"[pt] {text}")
    assert fields["headlines"][0]["value"].startswith("[pt] Variety")
    assert fields["descriptions"][0]["value"].startswith("[pt] A general view")
    assert fields["renditions"] == item.article.renditions and fields["type"] == "picture"
    assert ninjs_errors(Article(**fields).to_ninjs()) == []


async def test_a_picture_is_translated_into_a_picture_with_the_same_renditions():
    [item] = parse_newsml_g2(PHOTO.read_bytes(), provider="getty")
    item.article.language = "en"
    router = Router({"marker": MarkingEngine("marker", ("en-pt",))})
    outcome = await translate_article(event_of(item.article), targets=["pt"], router=router,
                                      desk=TranslationDesk(DictMemory(), attempts=1, backoff_s=0.001))
    [pt] = [e.article for e in outcome.translations]
    assert pt.type == "picture" and pt.renditions == item.article.renditions
    assert pt.headline.startswith("⟨pt:Variety") and pt.descriptions[0].value.startswith("⟨pt:A general view")
    assert ninjs_errors(pt.to_ninjs()) == []
