import pytest

from shared.translation_uris import original_of, translation_uri


@pytest.mark.parametrize("uri", ["urn:newsml:wire.example:2026:abc", "urn:x:y?+r#f", "urn:x:y#frag",
                                 "https://wire.example/a/b", "https://wire.example/a?id=3#f", "http://wire.kr/기사",
                                 "urn:x:translation:pt"])
@pytest.mark.parametrize("language", ["pt", "zh-hant", "ES"])
def test_the_original_is_found_again_from_any_translation_uri(uri, language):
    assert original_of(translation_uri(uri, language)) == uri


@pytest.mark.parametrize("uri", ["urn:x:y", "https://wire.example/a", "https://wire.example/a?translation=pt&x=1",
                                 "urn:x:translation:PT", "urn:x:translation:", "https://wire.example/?translation=p"])
def test_a_uri_translation_cannot_have_made_has_no_original(uri):
    assert original_of(uri) is None
