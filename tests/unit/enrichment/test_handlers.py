"""The services' pure handlers."""
from __future__ import annotations

from services.enrichment.handlers import enrich
from services.enrichment.nlp.language import detect_language
from tests.unit.shared.test_events import sample_event


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
