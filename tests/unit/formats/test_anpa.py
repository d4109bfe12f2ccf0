"""parse_anpa: ANPA-1312 messages in, one valid ninjs 3.1 Article per message out."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.events import Signal
from shared.formats.anpa import parse_anpa
from shared.ninjs import ninjs_errors

WIRES = Path(__file__).resolve().parents[2] / "fixtures" / "wires"


def _message(header: str, *lines: str, trailer: str = "WS-NY-05-15-13 1412GMT<") -> bytes:
    text = "\x16\x16\x01a0417\x1fwsa\r\n" + header + "\r\n\x02" + "".join(f"{l}\r\n" for l in lines)
    return (text + trailer + "\r\n\x03").encode()


def test_harbour_strike_becomes_valid_ninjs():
    [item] = parse_anpa((WIRES / "anpa-harbour-strike.anpa").read_bytes(), provider="Wirestream")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert item.article.headline == "Harbour strike ends after all-night talks"
    body = item.article.body_text
    assert body.startswith("ROTTERDAM, Netherlands (WS) — Dock workers at Europe's busiest port")
    assert "“Nobody wins a strike like this, but the people on the quays have been heard,” said Pieter" in body
    assert "rise over two years and a new limit on consecutive night shifts." in body  # a wrapped line joined
    assert "___" not in body and "(END)" not in body and "WS-NY" not in body
    assert ninjs["by"] == "Marta Okonkwo" and ninjs["located"] == "ROTTERDAM, Netherlands"
    assert ninjs["edNote"] == "Eds: Moves on general and business news services."
    assert ninjs["urgency"] == 5 and ninjs["slugline"] == "Harbour-Strike"
    assert ninjs["subjects"] == [{"literal": "a", "name": "Domestic"}]
    assert ninjs["firstCreated"] == "2013-05-15T14:12:00Z" and ninjs["representationType"] == "full"
    assert ninjs["uri"].startswith("urn:wirestream:wirestream:") and ninjs["version"] == "1"
    assert item.signal is None and item.source_format == "anpa"


def test_a_writethru_and_its_add_take():
    lead, add = parse_anpa((WIRES / "anpa-storm-takes.anpa").read_bytes(), provider="Wirestream")
    assert all(ninjs_errors(i.article.to_ninjs()) == [] for i in (lead, add))
    assert lead.article.headline == "Storm closes coastal roads as river breaks its banks"
    assert lead.article.version == "2" and lead.signal is Signal.UPDATE
    assert lead.article.representationType == "partial"  # (MORE): another take follows
    assert lead.article.urgency == 2 and lead.article.edNote.startswith("Eds: Updates with evacuation figures")
    assert add.article.headline == "BC-Storm-Coast, 1st Add" and add.article.representationType == "full"
    assert add.article.body_text.startswith("Rail services between Bergen and Voss were suspended")
    assert add.article.uri != lead.article.uri


def test_every_version_of_a_story_keeps_its_uri():
    first = parse_anpa(_message("r a BC-Ferry-Fire 05-15 0040", "^Fire on ferry<", "\t   Fire broke out."),
                       provider="wire")[0]
    second = parse_anpa(_message("r a BC-Ferry-Fire 2ndLd-Writethru 05-15 0060", "^Fire on ferry, all safe<",
                                 "\t   All are safe."), provider="wire")[0]
    assert first.article.uri == second.article.uri and second.article.version == "3"
    assert first.article.firstCreated and second.article.firstCreated is None


@pytest.mark.parametrize("version, signal, status", [
    ("Correction", Signal.CORRECTION, "usable"),
    ("Kill", Signal.KILL, "canceled"),
    ("Sub", Signal.UPDATE, "usable"),
])
def test_version_words_give_signals(version, signal, status):
    [item] = parse_anpa(_message(f"u a BC-Ferry-Fire {version} 05-15 0040", "^Fire on ferry<", "\t   Text."),
                        provider="wire")
    assert item.signal is signal and item.article.pubStatus == status


def test_without_stx_the_text_follows_the_header():
    payload = b"\x01b0012\nf l BC-Quake 11-13 0012\n^Strong quake shakes capital<\n\t   A strong earthquake hit.\n"
    [item] = parse_anpa(payload, provider="wire")
    assert item.article.headline == "Strong quake shakes capital" and item.article.urgency == 1
    assert item.article.body_text == "A strong earthquake hit."


@pytest.mark.parametrize("payload, where", [
    (b"plain text, not a wire", "line 1"),
    (b"\n\n\x01a0001\nthis is no header\n\x02^H<\n\x03", "line 3"),
    (b"\x01a0001\nr a BC-Empty 05-15 0000\n\x02\n\x03", "line 3"),
])
def test_unreadable_anpa(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_anpa(payload, provider="wire")
    assert caught.value.where == where


def test_a_byline_of_two_authors_and_an_agency_title():
    [item] = parse_anpa(_message("r a BC-Storm-Florida 10-03 0040", "^Storm nears Florida coast<",
                                 "^By JANE DOE and JOHN ROE=", "^Associated Press Writers=",
                                 "\t   MIAMI, Oct. 3 (AP) _ The storm gained strength."), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["by"] == "Jane Doe and John Roe"
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "Associated Press", "role": "source"}]
    assert ninjs["located"] == "MIAMI"  # a dated dateline: the place without its date
    assert item.article.body_text == "MIAMI, Oct. 3 (AP) — The storm gained strength."


def test_a_byline_title_without_an_agency_names_no_source():
    [item] = parse_anpa((WIRES / "anpa-harbour-strike.anpa").read_bytes(), provider="Wirestream")
    assert item.article.people == [{"name": "Marta Okonkwo", "rel": "author"}] and item.article.infoSources == []


def test_a_byline_of_the_agency_alone_names_no_author():
    [item] = parse_anpa(_message("r a BC-Ferry-Fire 05-15 0040", "^Fire on ferry<", "^By The Associated Press=",
                                 "\t   Fire broke out."), provider="wire")
    assert item.article.by == "The Associated Press" and item.article.people == []
    assert item.article.infoSources == [{"name": "The Associated Press", "role": "source"}]
