"""What makes two versions of a picture or package differ for the identity registry."""
from __future__ import annotations

from shared.events import Article, TextBlock
from shared.identity import content_hash


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
