"""Thai articles: words from newmm's dictionary (Thai puts no space between words),
so word count, reading time, keywords and the summary's sentences are Thai words and
sentences, not space-separated phrases; near-copies still cluster; no entity guesses."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from services.enrichment.clustering import story_buckets
from services.enrichment.handlers import enrich
from services.enrichment.nlp import thai
from services.enrichment.nlp.clusters import StoryIndex, similarity
from services.enrichment.nlp.text import word_count, words
from shared.events import TextBlock
from tests.unit.shared.test_events import sample_event

HEADLINE = "น้ำท่วมฉับพลันเชียงราย"
# A flash flood, written for these tests: six sentences, spaces only between phrases.
SENTENCES = [
    "ฝนตกหนักต่อเนื่องทำให้เกิดน้ำท่วมฉับพลันในหลายอำเภอของจังหวัดเชียงราย เมื่อวันอังคารที่ผ่านมา",
    "น้ำท่วมบ้านเรือนประชาชนกว่า 3,000 หลังคาเรือน และถนนหลายสายถูกตัดขาด",
    "เจ้าหน้าที่กรมป้องกันและบรรเทาสาธารณภัย (ปภ.) ได้อพยพชาวบ้านไปยังศูนย์พักพิงชั่วคราวแล้ว",
    "ผู้ว่าราชการจังหวัดกล่าวว่า ระดับน้ำในแม่น้ำกกยังคงสูงขึ้น และอาจเกิดน้ำท่วมซ้ำในอีกสองวันข้างหน้า",
    "รัฐบาลประกาศให้ความช่วยเหลือผู้ประสบภัยน้ำท่วมเป็นเงินครัวเรือนละ 5,000 บาท",
    "กรมอุตุนิยมวิทยาเตือนว่าฝนตกหนักจะยังคงตกต่อไปจนถึงสุดสัปดาห์นี้ "
    "และขอให้ประชาชนที่อาศัยอยู่ริมแม่น้ำเฝ้าระวังน้ำท่วม",
]
BODY = " ".join(SENTENCES)
# Another outlet's copy: a day, a figure and a word changed, the last clause cut.
NEAR_COPY = (BODY.replace("วันอังคาร", "วันพุธ").replace("3,000", "3,200").replace("ตัดขาด", "ปิดการจราจร")
             .replace(" และขอให้ประชาชนที่อาศัยอยู่ริมแม่น้ำเฝ้าระวังน้ำท่วม", ""))
UNRELATED = (
    "คณะกรรมการนโยบายการเงินของธนาคารแห่งประเทศไทยมีมติเอกฉันท์ให้คงอัตราดอกเบี้ยนโยบายไว้ที่ร้อยละ 2.50 ต่อปี "
    "เนื่องจากเศรษฐกิจไทยยังคงฟื้นตัวอย่างค่อยเป็นค่อยไป อัตราเงินเฟ้อทั่วไปยังอยู่ในระดับต่ำกว่ากรอบเป้าหมาย "
    "นักวิเคราะห์คาดว่าธนาคารกลางอาจลดอัตราดอกเบี้ยในการประชุมครั้งหน้า หากการส่งออกและการท่องเที่ยวชะลอตัวลง"
)


def thai_event(body: str = BODY, headline: str = HEADLINE, uri: str = "urn:test:th:flood"):
    event = sample_event()
    event.article.uri = uri
    event.article.headlines = [TextBlock(role="main", value=headline)]
    event.article.bodies = [TextBlock(contentType="text/plain", value=body)]
    return event


def test_thai_words_are_dictionary_words_not_phrases():
    assert words("รัฐบาลไทยประกาศมาตรการช่วยเหลือผู้ประสบภัยน้ำท่วม") == [
        "รัฐบาล", "ไทย", "ประกาศ", "มาตรการ", "ช่วยเหลือ", "ผู้ประสบภัย", "น้ำท่วม"]
    # numbers, Latin words and abbreviations with full stops, in order; ๆ is no word of its own
    assert words("ทีมชาติไทยชนะ 3-1 ในศึก AFF Cup เมื่อ 5 ม.ค. 2568 ต่างๆ") == [
        "ทีม", "ชาติ", "ไทย", "ชนะ", "3-1", "ใน", "ศึก", "AFF", "Cup", "เมื่อ", "5", "ม.ค.", "2568", "ต่างๆ"]
    assert word_count("ฝนตกหนัก") == 2  # before: 1 (a space-less phrase was one "word")


async def test_a_thai_article_gets_thai_word_count_keywords_and_summary():
    out = await enrich(thai_event())
    enrichment = out.envelope.enrichment
    assert out.article.language == "th"
    # 96 words (the old count was 17 space-separated phrases, read in 5 s)
    assert enrichment["wordCount"] == 96 and enrichment["readingTimeSeconds"] == 25
    keywords = [k["text"] for k in enrichment["keywords"]]
    assert keywords[:3] == ["น้ำท่วม", "น้ำท่วมฉับพลัน", "ฝนตกหนัก"]  # flood, flash flood, heavy rain
    assert enrichment["keywords"][0]["count"] == 6
    assert all(" " not in k and k in f"{HEADLINE} {BODY}" for k in keywords)
    # the lead sentences, each a sentence of the body, not the whole body as one
    assert enrichment["summary"] == SENTENCES[:2]
    summary = [d.value for d in out.article.descriptions if d.role == "summary"]
    assert summary == [" ".join(SENTENCES[:2])]
    # no Thai NER model: no people, organisations or places guessed
    assert out.article.people == [] and out.article.organisations == [] and out.article.places == []
    assert enrichment["entities"] == [] and "untypedEntities" not in enrichment
    assert enrichment["notes"] == ["no entity model for language th"]


def test_thai_sentences_end_at_spaces_between_sentences_not_inside_them():
    assert thai.sentences(BODY) == SENTENCES
    text = ("พล.อ. ประยุทธ์ จันทร์โอชา เดินทางไปประชุมที่กรุงเทพมหานครเมื่อวานนี้ "
            "ใครจะเป็นผู้สมัครนายกรัฐมนตรีคนต่อไป? ยังไม่มีใครตอบคำถามนี้ได้อย่างชัดเจน\n"
            "นายสมชาย ใจดี โฆษกรัฐบาล เปิดเผยว่า รัฐบาลจะออกมาตรการช่วยเหลือเกษตรกรในสัปดาห์หน้า")
    assert thai.sentences(text) == [
        "พล.อ. ประยุทธ์ จันทร์โอชา เดินทางไปประชุมที่กรุงเทพมหานครเมื่อวานนี้",  # a name's spaces stay inside
        "ใครจะเป็นผู้สมัครนายกรัฐมนตรีคนต่อไป?",
        "ยังไม่มีใครตอบคำถามนี้ได้อย่างชัดเจน",
        "นายสมชาย ใจดี โฆษกรัฐบาล เปิดเผยว่า รัฐบาลจะออกมาตรการช่วยเหลือเกษตรกรในสัปดาห์หน้า",
    ]


def test_a_thai_near_copy_joins_the_story_and_an_unrelated_story_does_not():
    assert similarity(f"{HEADLINE}\n{BODY}", f"{HEADLINE}\n{NEAR_COPY}") >= 0.7
    assert similarity(f"{HEADLINE}\n{BODY}", f"ธปท.คงดอกเบี้ย\n{UNRELATED}") <= 0.1
    index = StoryIndex({}, {}, horizon_s=86400)
    first = index.assign("urn:a", story_buckets(thai_event().article), 1000.0)
    copy = index.assign("urn:b", story_buckets(thai_event(NEAR_COPY, uri="urn:b").article), 1001.0)
    other = index.assign("urn:c", story_buckets(thai_event(UNRELATED, "ธปท.คงดอกเบี้ย", "urn:c").article), 1002.0)
    assert copy.cluster == first.cluster and other.cluster != first.cluster


def test_hostile_thai_is_segmented_whole_in_linear_work():
    rng = random.Random(7)
    # 200k characters of Thai letters, vowels and tone marks in random order: no spaces,
    # few dictionary words, ambiguity everywhere
    hostile = "".join(rng.choice("กขคงจนมยรลวสหอะาิีุูเแโไ่้ั็์ำ") for _ in range(200_000))
    tokens = thai.segment(hostile)
    assert "".join(tokens) == hostile  # nothing lost or repeated
    assert max(map(len, tokens)) <= thai.PIECE_CHARS
    assert 0 < word_count(hostile) <= len(tokens)
    # one repeated character: "กก" (a sedge) is a dictionary word, a tone mark alone is none
    assert words("ก" * 200_000) == ["กก"] * 100_000
    assert words("\u0e48" * 200_000) == []
    assert thai.sentences(hostile) == [hostile]


def test_english_does_not_load_the_thai_segmenter_and_thai_needs_no_network_or_home(tmp_path: Path):
    script = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network used")
socket.socket.connect = socket.create_connection = socket.getaddrinfo = refuse
from services.enrichment.nlp.keywords import read_keywords
from services.enrichment.nlp.text import word_count
assert word_count("Flood defences failed in Riverton on Tuesday.") == 7
read_keywords("Flood defences failed. The flood defences were old.")
assert "pythainlp" not in sys.modules
assert word_count("ฝนตกหนักในภาคเหนือ") == 4
"""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")}
    env.update(HOME=str(home), PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert list(home.iterdir()) == []  # no ~/pythainlp-data made
