"""parse_iptc7901: IPTC 7901 messages in, one valid ninjs 3.1 Article per message out."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.formats.iptc7901 import parse_iptc7901
from shared.ninjs import ninjs_errors

WIRES = Path(__file__).resolve().parents[2] / "fixtures" / "wires"


def test_harbour_strike_becomes_valid_ninjs():
    [item] = parse_iptc7901((WIRES / "iptc7901-harbour-strike.txt").read_bytes(), provider="Wirestream")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert item.article.headline == "Port workers end three-day strike after pay deal"
    assert item.article.body_text.split("\n\n") == [
        "ROTTERDAM, May 15 (Wirestream) - Dock workers at Europe's busiest port went back to work on Wednesday "
        "after unions and terminal operators settled a pay dispute in overnight talks.",
        "More than forty container ships had been left waiting at anchor during the stoppage, and shipping "
        "agents said the backlog would take days to clear.",
        "Union negotiator Pieter van Dalen said the agreement brought a 6.5 percent rise over two years.",
    ]
    assert ninjs["urgency"] == 3 and ninjs["slugline"] == "HARBOUR-STRIKE" and ninjs["located"] == "ROTTERDAM"
    assert ninjs["edNote"] == "Editors: corrects spelling of union leader's name in 3rd para"
    assert ninjs["firstCreated"] == "2013-05-15T14:12:00Z" and ninjs["subjects"] == [{"literal": "eco"}]
    assert ninjs["altIds"] == [{"role": "iptc7901-message", "value": "WSA0417"}]
    assert item.signal is None and item.source_format == "iptc7901"


def test_two_messages_in_one_payload():
    flash, regatta = parse_iptc7901((WIRES / "iptc7901-two-messages.txt").read_bytes(), provider="Wirestream")
    assert flash.article.urgency == 1 and flash.article.headline == "Fire on passenger ferry off Helsinki, all passengers safe"
    assert regatta.article.headline == "Tampere crew win first national title in twenty years"
    assert regatta.article.body_text.endswith("Coach Aino Laine said the crew had trained through the winter on the indoor tank.")
    assert regatta.article.firstCreated == "2013-05-17T10:15:00Z" and flash.article.uri != regatta.article.uri
    assert all(ninjs_errors(i.article.to_ninjs()) == [] for i in (flash, regatta))


def test_a_repeat_keeps_its_uri_and_latin1_is_read():
    message = "ZCZC\nWSA0001 4 kul 0010\nOPER-PREMIERE/\nPremiere in Zürich =\n\n   ZÜRICH (WS) - Die Oper hatte Premiere.\nNNNN\n"
    first = parse_iptc7901(message.encode("utf-8"), provider="wire")[0]
    again = parse_iptc7901(message.replace("0001", "0002").encode("latin-1"), provider="wire")[0]
    assert first.article.uri == again.article.uri and again.article.headline == "Premiere in Zürich"


@pytest.mark.parametrize("payload, where", [
    (b"Harbour news without a frame\nNNNN", "line 1"),
    (b"ZCZC\nthis is no header\nNNNN", "line 2"),
    (b"\n\nZCZC\nWSA0001 4 pol 0010\n\n\nNNNN", "line 5"),  # the line after the header
])
def test_unreadable_7901(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_iptc7901(payload, provider="wire")
    assert caught.value.where == where


def _located(first_line: str) -> str | None:
    message = f"ZCZC\nWSA0001 4 pol 0010\nSTORM/\nStorm nears coast =\n\n   {first_line}\nNNNN\n"
    [item] = parse_iptc7901(message.encode(), provider="wire")
    assert item.article.body_text == first_line  # the dateline stays in the text
    return item.article.located


@pytest.mark.parametrize("first_line, place", [
    ("ROTTERDAM, May 15 (WS) - Dock workers went back to work.", "ROTTERDAM"),
    ("Berlin (dpa) - Die Regierung hat beschlossen.", "Berlin"),
    ("KYIV, Ukraine, May 15 (WS) - Drones hit the capital.", "KYIV, Ukraine"),
    ("BERLIN, 3. März (dpa) - Die Regierung hat beschlossen.", "BERLIN"),
    ("MIAMI, Oct. 3 (Reuters) -- The storm gained strength.", "MIAMI"),
    ("ST. LOUIS, Mo., May 15 (WS) - Snow fell.", "ST. LOUIS, Mo."),
    ("Dock workers (WS) - went back to work.", None),
])
def test_the_dateline_opening_the_body_gives_the_place(first_line, place):
    assert _located(first_line) == place
