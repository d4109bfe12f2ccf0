"""What makes two versions of a picture or package differ for the identity registry."""
from __future__ import annotations

from shared.events import Article, TextBlock
from shared.identity import content_hash, text_hash


def test_a_new_rendition_or_member_changes_the_hash_and_a_resend_does_not():
    picture = Article(uri="urn:x:p", type="picture", headlines=[TextBlock(role="main", value="Jet")],
                      renditions=[{"name": "highRes", "href": "https://x.example/a.jpg"}])
    assert content_hash(picture) == content_hash(picture.model_copy(deep=True))
    cropped = picture.model_copy(update={"renditions": [{"name": "highRes", "href": "https://x.example/b.jpg"}]})
    assert content_hash(cropped) != content_hash(picture)
    package = Article(uri="urn:x:k", type="composite", associations=[{"name": "a", "uri": "urn:x:1"}])
    grown = package.model_copy(update={"associations": [*package.associations, {"name": "b", "uri": "urn:x:2"}]})
    assert content_hash(grown) != content_hash(package)


def test_a_text_item_hashes_as_before_whatever_its_photo_links():
    text = Article(uri="urn:x:t", bodies=[TextBlock(role="main", value="Body.")])
    linked = text.model_copy(update={"associations": [{"name": "photo-1", "uri": "https://x.example/p.jpg"}]})
    assert content_hash(linked) == content_hash(text)


def test_what_decides_release_and_routing_changes_the_hash_and_presentation_or_time_stamps_do_not():
    """A re-send that only moves the embargo, raises the urgency or adds a subject is a
    new version (a duplicate would keep the old embargo: a breach). One with another
    byline, note or copyright (a relay's own) or a new time stamp is not: else a story
    sent by its agency and a relay would flow again at each send."""
    text = Article(uri="urn:x:t", headlines=[TextBlock(role="main", value="Talks")],
                   bodies=[TextBlock(role="main", value="Body.")], embargoedUntil="2030-01-01T00:00:00Z", urgency=5,
                   subjects=[{"uri": "http://cv.iptc.org/newscodes/mediatopic/11000000", "name": "politics"},
                             {"literal": "POL"}])
    for change in ({"embargoedUntil": "2030-06-01T00:00:00Z"}, {"embargoedUntil": None}, {"urgency": 1},
                   {"subjects": [*text.subjects, {"name": "elections"}]},
                   {"subjects": [text.subjects[0], {"literal": "ECO"}]}, {"language": "fr"}):
        assert content_hash(text.model_copy(update=change)) != content_hash(text), change
    for same in ({"versionCreated": "2030-01-02T00:00:00Z", "firstCreated": "2029-12-31"},
                 {"by": "A relay's desk", "edNote": "moved by a relay", "copyrightNotice": "(c) Relay",
                  "usageTerms": "relay's terms", "slugline": "TALKS-RELAY"},
                 {"subjects": list(reversed(text.subjects))}):
        assert content_hash(text.model_copy(update=same)) == content_hash(text), same
    assert text_hash(text) == text_hash(text.model_copy(update={"urgency": 1}))  # the text alone


def test_the_text_hash_is_the_one_the_registry_kept_before():
    """Stories recorded before carry this hash: if it drifted, every one of them would
    flow again as an update at its next re-send."""
    import hashlib
    import re

    item = Article(uri="urn:x:t", headlines=[TextBlock(role="main", value="  Talks\u2003resume ")],
                   descriptions=[TextBlock(role="summary", value="Both\tsides.")],
                   bodies=[TextBlock(role="main", value="First.\n\n\u00a0Second.\r\n")],
                   renditions=[{"name": "x", "href": "https://x.example/a"}])
    parts = [item.pubStatus, item.headline, "Both\tsides.", "First.\n\n\u00a0Second.\r\n", "https://x.example/a"]
    before = re.sub(r"\s+", " ", "\n".join(parts)).strip()
    assert text_hash(item) == hashlib.sha256(before.encode("utf-8")).hexdigest()
