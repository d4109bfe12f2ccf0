"""detect_format: the Content-Type when it names a format, the payload otherwise;
what no parser reads is refused with UnsupportedFormat (a 415)."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import UnsupportedFormat
from shared.formats.detect import FORMATS, detect_format

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SNIFFED = {
    "wires/tt-newsml-g2-sample.xml": "newsml-g2", "wires/ntb-nitf-sample.xml": "nitf",
    "wires/businesswire-newsml-20130515006361.xml": "newsml-1.2",
    "wires/businesswire-newsml-20130605006126.xml": "newsml-1.2",
    "wires/businesswire-newsml-20130612006110.xml": "newsml-1.2",
    "wires/businesswire-newsml-20130731006140.xml": "newsml-1.2",
    "wires/anpa-harbour-strike.anpa": "anpa", "wires/anpa-storm-takes.anpa": "anpa",
    "wires/iptc7901-harbour-strike.txt": "iptc7901", "wires/iptc7901-two-messages.txt": "iptc7901",
    "wires/rss-harbour-desk.xml": "rss", "wires/atom-verkehr.xml": "atom",
    "korea-daily-2024-12-18.txt": "text",
    **{f"wires/newsml-g2-media/{p.name}": "newsml-g2" for p in (FIXTURES / "wires" / "newsml-g2-media").glob("*.xml")
       if not p.name.startswith("LISTING_7_")},  # 7 is a bare groupSet excerpt: refused (test_g2_media)
    **{f"ninjs/{p.parent.name}/{p.name}": "ninjs" for p in (FIXTURES / "ninjs").glob("*/*.json")},
}


@pytest.mark.parametrize("name", sorted(SNIFFED))
@pytest.mark.parametrize("media_type", ["", "text/plain", "application/xml", "application/octet-stream"])
def test_every_fixture_is_sniffed(name, media_type):
    assert detect_format((FIXTURES / name).read_bytes(), media_type) == SNIFFED[name]


@pytest.mark.parametrize("media_type, expected", [
    ("application/json; charset=utf-8", "ninjs"), ("application/ninjs+json", "ninjs"),
    ("application/vnd.iptc.ninjs+json", "ninjs"), ("application/vnd.iptc.g2.newsitem+xml", "newsml-g2"),
    ("application/nitf+xml", "nitf"), ("application/rss+xml", "rss"), ("application/atom+xml", "atom"),
    ("text/html; charset=iso-8859-1", "html"), ("application/x-anpa", "anpa"),
    ("application/x-iptc7901", "iptc7901"), ("TEXT/VND.IPTC.NITF", "nitf"),
])
def test_a_specific_media_type_decides(media_type, expected):
    assert detect_format(b"anything textual", media_type) == expected


@pytest.mark.parametrize("payload, expected", [
    (b"\xef\xbb\xbf  {\"uri\": \"urn:x\"}", "ninjs"), (b"[{}]", "ninjs"),
    (b"<!DOCTYPE html><html><p>x</p></html>", "html"), (b"  <HTML><body>x</body></HTML>", "html"),
    (b'<?xml version="1.0"?>\n<!-- c -->\n<g2:newsMessage xmlns:g2="urn:x"/>', "newsml-g2"),
    (b"<rdf:RDF xmlns:rdf='x'/>", "rss"), ('<?xml version="1.0" encoding="UTF-16"?><nitf/>'.encode("utf-16"), "nitf"),
    (b"\x01ZCZC\nWSA0001 4 pol 0010\n", "iptc7901"), (b"   ZCZC\n", "iptc7901"),
    (b"<3 this harbour", "text"), (b"Harbour strike ends", "text"), (b"", "text"),
])
def test_sniffing(payload, expected):
    assert detect_format(payload, "") == expected


@pytest.mark.parametrize("media_type", ["image/png", "audio/mpeg", "video/mp4", "application/pdf",
                                        "application/zip", "IMAGE/JPEG; q=1", "font/woff2",
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"])
def test_unreadable_media_types_are_refused(media_type):
    with pytest.raises(UnsupportedFormat):
        detect_format(b"Harbour strike ends", media_type)


@pytest.mark.parametrize("payload", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", b"PK\x03\x04\x14\x00\x06\x00",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"Harbour\x00strike",
    b"\x00\x00\x00\x18ftypmp42",
])
@pytest.mark.parametrize("media_type", ["", "application/octet-stream", "text/plain", "application/json"])
def test_binary_payloads_are_refused(payload, media_type):
    with pytest.raises(UnsupportedFormat):
        detect_format(payload, media_type)


def test_xml_of_no_news_format_is_refused():
    with pytest.raises(UnsupportedFormat, match="<svg>"):
        detect_format(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "application/xml")


def test_formats_are_the_parsers_keys():
    from shared.formats import PARSERS
    assert set(FORMATS) == set(PARSERS)
