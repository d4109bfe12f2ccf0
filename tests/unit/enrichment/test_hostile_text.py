"""Article text a provider could send to hold an enrichment worker: runs of capitals,
of opening quotation marks, of "<" in an HTML body, of punctuation. Each pattern reads
such a run once; the old ones took time growing with the run's length to the 5th power
(capitals before "’s website": 1.3 s for 80 of them, hours for 300) or squared (80,000
"<": 4.7 s; 10,000 "“": 0.7 s), and spaCy's tokenizer split a run of marks one at a time
(10,000 "!": 29 s). Python's re and spaCy hold the GIL all along, so the worker's Kafka
heartbeats stopped too. No time is asserted: a regression runs into pytest's timeout."""
from __future__ import annotations

from datetime import datetime, timezone

from services.enrichment.findings import read_article
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
