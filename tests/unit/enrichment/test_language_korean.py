"""Language identification (Korean-aware), the pipeline each language gets, and
Korean articles: kiwipiepy proper nouns, reported untyped."""
from __future__ import annotations

from datetime import datetime, timezone

from services.enrichment.findings import read_article
from services.enrichment.handlers import enrich
from services.enrichment.nlp.language import detect_language, identify
from shared.events import Article, TextBlock
from shared.ninjs import ninjs_errors
from tests.unit.shared.test_events import sample_event

KOREAN = (
    "북한이 러시아에 2차 병력을 파견할 것으로 예상된다. 세계일보에 따르면 북한 소식통은 파병이 빨라지고 있다고 말했다. "
    "박원곤 이화여대 교수는 추가 파병이 불가피하다고 설명했다. 북한 병력은 12월 18일 쿠르스크 지역에서 싸웠다."
)


def findings_of(body: str, language: str | None = None):
    article = Article(uri="urn:test:lang", language=language, headlines=[TextBlock(role="main", value="Test")],
                      bodies=[TextBlock(contentType="text/plain", value=body)])
    return read_article(article, received_at=datetime(2024, 12, 18, tzinfo=timezone.utc))


def test_hangul_text_is_korean_even_with_latin_names():
    assert detect_language("김정은 North Korea 국무위원장은 평양에서 Belousov 국방장관을 만났다") == "ko"
    tag, score = identify(KOREAN)
    assert tag == "ko" and score > 0.9
    assert detect_language("The parliament approved the budget after a long debate.") == "en"


def test_korean_proper_nouns_are_untyped_not_guessed():
    article = Article(uri="urn:test:ko", headlines=[TextBlock(role="main", value="북한, 러시아에 2차 파병 임박")],
                      bodies=[TextBlock(contentType="text/plain", value=KOREAN)])
    findings = read_article(article, received_at=datetime(2024, 12, 18, tzinfo=timezone.utc))
    assert findings.language == "ko"
    assert findings.entities == []  # no person/organisation/place guesses
    nouns = {p.text: len(p.offsets) for p in findings.untyped}
    assert nouns["북한"] == 4 and {"러시아", "세계일보", "박원곤", "쿠르스크"} <= set(nouns)
    assert [(d.text, d.value) for d in findings.dates] == [("12월 18일", "2024-12-18")]
    assert 1 <= len(findings.summary) <= 3
    assert any("untyped" in note for note in findings.notes)


async def test_enrich_fills_language_and_keeps_a_declared_one():
    event = sample_event()
    event.article.language = "de"
    assert (await enrich(event)).article.language == "de"
    event = sample_event()
    event.article.bodies[0].value = KOREAN
    out = await enrich(event)
    assert out.article.language == "ko" and out.article.people == []
    assert out.envelope.enrichment["untypedEntities"][0]["name"] == "북한"
    assert out.envelope.enrichment["untypedEntities"][0]["type"] is None
    assert ninjs_errors(out.article.to_ninjs()) == []


async def test_other_languages_get_counts_and_a_summary_but_no_entity_guesses():
    event = sample_event()
    event.article.bodies[0].value = ("O parlamento aprovou o orçamento depois de um longo debate na terça-feira. "
                                     "A oposição votou contra o plano do governo. O presidente deve assinar a lei.")
    out = await enrich(event)
    assert out.article.language == "pt"
    assert out.article.people == [] and out.article.subjects == []
    assert out.envelope.enrichment["wordCount"] > 20
    assert out.envelope.enrichment["notes"] == ["no entity model for language pt"]


def test_a_language_tag_written_with_an_underscore_gets_its_pipeline():
    findings = findings_of("Prime Minister Keir Starmer met Olaf Scholz in Berlin on Monday.", "en_GB")
    assert findings.notes == []
    assert {"Keir Starmer", "Olaf Scholz", "Berlin"} <= {e.name for e in findings.entities}


def test_chinese_and_japanese_sentences_need_no_space_after_them():
    japanese = ["政府は18日の閣議で、来年度の予算案を決定しました。", "一般会計の総額は過去最大の115兆円となりました。",
                "野党は予算案の規模が大きすぎると批判しています。"]
    chinese = ["国务院18日召开常务会议，审议通过了明年的预算草案。", "一般公共预算支出总额达到历史最高水平。",
               "财政部长在记者会上表示，将继续推进财政改革。"]
    for language, sentences, words in (("ja", japanese, 68), ("zh", chinese, 61)):
        findings = findings_of("".join(sentences), language)
        assert findings.summary == sentences[:2]
        assert findings.word_count == words  # a word per character, "18" and "115" one each
