import pytest

from shared.translation_uris import original_of, translation_uri


@pytest.mark.parametrize("uri", ["urn:newsml:wire.example:2026:abc", "urn:x:y?+r#f", "urn:x:y#frag",
                                 "https://wire.example/a/b", "https://wire.example/a?id=3#f", "http://wire.kr/기사",
                                 "urn:x:translation:pt", "urn:x:a#b:translation:de", "urn:x:a?=q:translation:de"])
@pytest.mark.parametrize("language", ["pt", "zh-hant", "ES"])
def test_the_original_is_found_again_from_any_translation_uri(uri, language):
    assert original_of(translation_uri(uri, language)) == uri


@pytest.mark.parametrize("uri", ["urn:x:y", "https://wire.example/a", "https://wire.example/a?translation=pt&x=1",
                                 "urn:x:translation:PT", "urn:x:translation:", "https://wire.example/?translation=p"])
def test_a_uri_translation_cannot_have_made_has_no_original(uri):
    assert original_of(uri) is None


def test_a_hostile_uri_full_of_marks_is_judged_quickly_and_has_no_original():
    assert original_of("urn:x" + ":translation:pt" * 50_000 + ":translation:zz-") is None
