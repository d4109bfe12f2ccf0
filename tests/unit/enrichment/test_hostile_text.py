"""Article text a provider could send to hold an enrichment worker: runs of capitals,
of opening quotation marks, of "<" in an HTML body, of punctuation. Each pattern reads
such a run once; the old ones took time growing with the run's length to the 5th power
(capitals before "’s website": 1.3 s for 80 of them, hours for 300) or squared (80,000
"<": 4.7 s; 10,000 "“": 0.7 s), and spaCy's tokenizer split a run of marks one at a time
(10,000 "!": 29 s). Python's re and spaCy hold the GIL all along, so the worker's Kafka
heartbeats stopped too. No time is asserted: a regression runs into pytest's timeout."""
from __future__ import annotations

import gc
import weakref
from datetime import date, datetime, timezone

from services.enrichment.findings import read_article
from services.enrichment.nlp.dates import read_dates
from services.enrichment.nlp.document import plain
from shared.events import Article, TextBlock


def read(text: str):
    """Findings of an English article (declared: a page of marks is no language to detect)."""
    article = Article(uri="urn:test:hostile", language="en", headlines=[TextBlock(role="main", value="Test")],
                      bodies=[TextBlock(contentType="text/plain", value=text)])
    return read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))


PROSE = ("Mayor Anna Berg posted the plan on Anna Berg\u2019s website on Friday, and the city confirmed it. "
         "The council will vote on the budget next week, officials in Oslo said. Residents have until March "
         "to comment on the proposal, which would raise fees for parking.")


def test_a_run_of_capitals_before_a_channel_is_read_once_and_the_real_source_still_found():
    found = read(PROSE + "\n\nCode " + "A" * 400 + " was down, and " + "Q" * 400 + "\u2019 page too.")
    assert "Anna Berg\u2019s website" in [s.name for s in found.sources]
    assert ("person", "Anna Berg") in {(e.kind, e.name) for e in found.entities}


def test_a_run_of_opening_quotation_marks_is_read_once_and_the_quote_after_it_kept():
    found = read("\u201c" * 60_000 + "\n\nFinance Minister Jane Doe said: \u201cWe will not raise taxes this year, "
                 "whatever happens.\u201d")
    assert [(q.text, q.speaker.name) for q in found.quotes] == [
        ("We will not raise taxes this year, whatever happens.", "Jane Doe")]


def test_a_run_of_angle_brackets_in_an_html_body_is_read_once():
    assert plain("<p>Prices " + "<" * 200_000 + " fell</p>", "text/html").split() == ["Prices", "<" * 200_000, "fell"]
    article = Article(uri="urn:test:lt", headlines=[TextBlock(role="main", value="Markets")],
                      bodies=[TextBlock(contentType="text/html", value="<p>Prices fell " + "<" * 80_000 + "</p>")])
    findings = read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))
    assert findings.word_count >= 2


def test_a_body_of_punctuation_runs_is_read_and_the_story_in_it_found():
    body = ("Finance Minister Jane Doe said on Monday that taxes would not rise. " + "!" * 50_000 + " "
            + "!?" * 10_000 + "\n\nShares in Microsoft rose 4 per cent in New York.")
    found = read(body)
    assert {("person", "Jane Doe"), ("organisation", "Microsoft"), ("place", "New York")} <= {
        (e.kind, e.name) for e in found.entities}
    assert found.text.text.endswith("Shares in Microsoft rose 4 per cent in New York.")  # same length: offsets hold
    assert len(found.text.text) == len("Test\n\n" + body)


def test_a_huge_korean_body_is_read_only_as_far_as_the_bound():
    """kiwipiepy took 4 s per 160,000 characters, and a 5 MiB item holds 1.7 million:
    every language tool reads the first MAX_CHARS characters, the body included."""
    from services.enrichment.findings import MAX_CHARS
    paragraph = "서울시는 월요일 새로운 교통 정책을 발표했다. 시민들은 버스 요금 인상에 반대했다.\n\n"
    article = Article(uri="urn:test:ko-huge", language="ko", headlines=[TextBlock(role="main", value="교통 정책")],
                      bodies=[TextBlock(contentType="text/plain", value=paragraph * 12_000)])
    findings = read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))
    assert len(findings.text.text) <= MAX_CHARS and len(findings.text.body) <= MAX_CHARS
    assert "버스" in {k.text for k in findings.keywords} or "요금" in {k.text for k in findings.keywords}
    assert 0 < findings.word_count < len(paragraph.split()) * 12_000


def test_quotes_in_a_text_without_full_stops_are_attributed_near_them_not_by_walking_the_whole_text():
    """A speaker was looked for back to the sentence's start, and a text without full
    stops is one sentence: each quote walked all the text before it (6 KB took 8.5 s, the
    100,000 characters read ~40 minutes, the worker's heartbeats stopped all along)."""
    body = "\u201ca b c d\u201d x " * 3000 + ("\n\nFinance Minister Jane Doe said: \u201cWe will not raise taxes "
                                           "this year, whatever happens.\u201d")
    found = read(body)
    assert ("We will not raise taxes this year, whatever happens.", "Jane Doe") in [
        (q.text, q.speaker.name if q.speaker else None) for q in found.quotes]


def test_a_text_of_speech_verbs_without_full_stops_is_read_in_one_pass():
    found = read("x said " * 12_000 + "\n\nThe sources revealed that the talks failed. They added that "
                                      "no date was set.")
    assert found.word_count >= 24_000


def test_thousands_of_dates_are_each_found_once():
    """Each date found was checked against every date found before it (24 KB of "May 5":
    1.5 s, the 100,000 characters read ~26 s)."""
    mentions = read_dates("May 5, " * 14_000, date(2025, 3, 3))
    assert len(mentions) == 14_000 and {m.value for m in mentions} == {"2025-05-05"}
    assert [m.start for m in mentions] == [7 * i for i in range(14_000)]


def test_a_relative_date_past_the_calendar_is_skipped_not_an_error():
    """'tomorrow' in an article dated 9999-12-31 is no date there is: the article's other
    findings stand (it went to the DLQ whole)."""
    assert read_dates("It opens tomorrow, or on May 5.", date(9999, 12, 31))[-1].text == "May 5"
    assert read_dates("It closed yesterday.", date(1, 1, 1)) == []


def test_made_up_words_are_not_kept_by_the_model_for_ever(monkeypatch):
    """spaCy keeps every new word in the model's vocabulary; past the limit the model
    is loaded afresh and the old one collected, in a process whose objects are frozen
    out of the collector as the worker's are; places are still found with the new one."""
    from services.enrichment.nlp import model

    model.english()(PROSE)
    monkeypatch.setattr(model, "VOCAB_LIMIT", len(model.english().vocab) + 2_000)
    before = weakref.ref(model.english())
    words = " ".join(f"zq{n:05d}x" for n in range(3_000))
    gc.freeze()
    try:
        read(f"{words}. Finance Minister Jane Doe visited Oslo.")
        assert model.english() is not before() and len(model.english().vocab) < model.VOCAB_LIMIT
        found = read(PROSE)
        gc.collect()
        assert before() is None
    finally:
        gc.unfreeze()
    assert {("person", "Anna Berg"), ("place", "Oslo")} <= {(e.kind, e.name) for e in found.entities}


def test_every_blank_line_of_a_body_of_blank_lines_ends_a_sentence_and_the_story_after_them_is_found():
    """Each blank line is marked once, in one pass over the Doc (marking them one token
    at a time scanned the whole Doc per mark: 30 s for 100 KB of them, the longest
    text read; ``make bench`` prints the growth from 10 to 100 KB)."""
    from services.enrichment.nlp.model import english

    body = "Yes.\n\n" * 15_000 + "Finance Minister Jane Doe said on Monday that taxes would not rise."
    doc = english()("Test\n\n" + body)
    assert [s.text for s in doc.sents][:3] == ["Test\n\n", "Yes.\n\n", "Yes.\n\n"]
    assert sum(1 for s in doc.sents if s.text == "Yes.\n\n") == 15_000
    assert ("person", "Jane Doe") in {(e.kind, e.name) for e in read(body).entities}


def test_the_text_of_an_article_of_many_captions_maps_every_offset_back_to_its_own_caption():
    """The text is joined once and the segments' starts listed once (per caption and per
    offset asked, they cost time squared in the captions: 7.5 s for 10,000)."""
    from services.enrichment.nlp.document import article_text

    captions = 20_000
    article = Article(uri="urn:test:captions", language="en", headlines=[TextBlock(role="main", value="Test")],
                      associations=[{"uri": f"urn:test:p{i}", "descriptions": [{"value": f"Photo {i} of May 1"}]}
                                    for i in range(captions)])
    text = article_text(article)
    assert len(text.segments) == captions + 1 and text.text.count("Photo ") == captions
    for i in (0, 1, captions // 2, captions - 1):
        start = text.text.index(f"Photo {i} of May 1")
        assert text.locate(start + 6, start + 6 + len(str(i))) == {
            "field": f"associations[{i}].descriptions[0]", "start": 6, "end": 6 + len(str(i))}
    text.bound(100_000)
    assert len(text.text) == 100_000 and text.segment_at(99_999) is text.segments[-1]
    assert text.segments[-1].end == 100_000
