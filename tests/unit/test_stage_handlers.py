"""The services' pure handlers."""
from __future__ import annotations

from services.enrichment.handlers import enrich
from services.enrichment.nlp.language import detect_language
from services.translation.handlers import NO_ENGINE, translate
from tests.unit.test_events import sample_event


def test_language_detection_gives_bcp47_primary_tags():
    assert detect_language("North Korea is expected to send a second wave of troops to Russia.") == "en"
    assert detect_language("북한이 러시아에 2차 병력을 파견할 것으로 예상된다고 전문가들이 말했다.") == "ko"
    assert detect_language("A Coreia do Norte deve enviar uma segunda leva de tropas para a Rússia.") == "pt"
    assert detect_language("   ") is None


async def test_enrichment_keeps_a_declared_language():
    event = sample_event()
    event.article.language = "de"
    assert (await enrich(event)).article.language == "de"
    event.article.language = None
    event.article.bodies[0].value = "The parliament approved the budget after a long debate on Tuesday."
    assert (await enrich(event)).article.language == "en"


async def test_translation_reports_each_missing_engine_and_never_copies_text():
    event = sample_event()
    event.article.language = "en"
    body_before = event.article.body_text
    out = await translate(event, targets=["en", "pt", "ko"])
    notes = [(n.code, n.data.get("target")) for n in out.envelope.notes]
    assert notes == [(NO_ENGINE, "pt"), (NO_ENGINE, "ko")]  # never into the source language
    assert out.envelope.notes[1].detail == "no engine for en→ko"
    assert out.article.body_text == body_before


async def test_translation_without_targets_still_says_no_engine():
    out = await translate(sample_event(), targets=[])
    assert [n.code for n in out.envelope.notes] == [NO_ENGINE]
