"""Story ownership in the registry (real redis-server): the first provider to submit
a uri owns it; another provider's change is refused and changes nothing; a relay may
act for the providers it is configured for."""
from __future__ import annotations

import uuid

import pytest

from shared.events import Signal
from shared.identity import Decision, StoryRegistry
from shared.translation_uris import translation_uri
from tests.story_helpers import article

pytestmark = pytest.mark.integration


async def test_only_the_owner_or_its_relay_changes_a_story(registry):
    uri = f"urn:test:{uuid.uuid4().hex}"
    first = await registry.classify(article(uri, "v1"), event_id="e1", source_version="1", hint=None,
                                    provider="ap", acts_for=["ap"])
    assert (first.decision, first.owner) == (Decision.NEW, "ap")

    for hint in (None, Signal.KILL, Signal.CORRECTION):
        refused = await registry.classify(article(uri, "defaced"), event_id=f"b-{hint}", source_version="2",
                                          hint=hint, provider="dpa", acts_for=["dpa"])
        assert (refused.decision, refused.owner) == (Decision.NOT_OWNER, "ap")
    # nothing was recorded by the refusals: the owner's next version is still version 2
    assert await registry.peek(article(uri, "defaced"), source_version="2", acts_for=["dpa"]) is Decision.NOT_OWNER
    assert await registry.peek(article(uri, "v1"), source_version="1", acts_for=["ap"]) is Decision.DUPLICATE

    relayed = await registry.classify(article(uri, "relayed"), event_id="r1", source_version="2", hint=None,
                                      provider="aggregator", acts_for=["aggregator", "ap"])
    assert (relayed.decision, relayed.version, relayed.owner) == (Decision.UPDATE, "2", "ap")
    again = await registry.classify(article(uri, "relayed"), event_id="r1", source_version="2", hint=None,
                                    provider="aggregator", acts_for=["aggregator", "ap"])
    assert again.decision is Decision.UPDATE  # a re-delivery gets its first answer
    killed = await registry.classify(article(uri, "relayed"), event_id="k1", source_version="3", hint=Signal.KILL,
                                     provider="ap", acts_for=["ap"])
    assert killed.decision is Decision.KILL


async def test_a_machine_translations_uri_belongs_to_its_originals_owner(registry):
    """translation writes ``…:translation:pt`` beside the original: another provider that
    sends an item there first (even before the original exists) would replace what the
    original links to as its Portuguese version."""
    original = f"urn:test:{uuid.uuid4().hex}"
    squat = translation_uri(original, "pt")
    early = await registry.classify(article(squat, "forged"), event_id="s0", source_version="1", hint=None,
                                    provider="dpa", acts_for=["dpa"])
    assert early.decision is Decision.NOT_OWNER
    await registry.classify(article(original, "v1"), event_id="o1", source_version="1", hint=None,
                            provider="ap", acts_for=["ap"])
    for provider, acts_for in (("dpa", ["dpa"]), ("dpa", None)):
        refused = await registry.classify(article(squat, "forged"), event_id=f"s-{acts_for}", source_version="1",
                                          hint=None, provider=provider, acts_for=acts_for)
        assert (refused.decision, refused.owner) == (Decision.NOT_OWNER, "ap")
    assert await registry.peek(article(squat, "forged"), source_version="1", acts_for=["dpa"]) is Decision.NOT_OWNER
    assert await registry.peek(article(squat, "forged"), source_version="1", acts_for=["ap"]) is None
    relayed = await registry.classify(article(squat, "a relay's own translation"), event_id="r1", source_version="1",
                                      hint=None, provider="aggregator", acts_for=["aggregator", "ap"])
    assert relayed.decision is Decision.NEW


async def test_a_url_that_only_looks_like_a_translations_is_free_until_its_original_is_owned(registry):
    """A site's own page may end in ``?translation=en``: it is refused only once the page
    it would translate has an owner, and then only to others."""
    page = f"https://wire.example/{uuid.uuid4().hex}?id=5"
    looks_translated = translation_uri(page, "en")
    first = await registry.classify(article(looks_translated, "its own page"), event_id="u0", source_version="1",
                                    hint=None, provider="site", acts_for=["site"])
    assert first.decision is Decision.NEW
    other = translation_uri(f"https://wire.example/{uuid.uuid4().hex}", "pt")
    await registry.classify(article(other.split("?")[0], "v1"), event_id="u1", source_version="1", hint=None,
                            provider="ap", acts_for=["ap"])
    refused = await registry.classify(article(other, "forged"), event_id="u2", source_version="1", hint=None,
                                      provider="dpa", acts_for=["dpa"])
    assert (refused.decision, refused.owner) == (Decision.NOT_OWNER, "ap")



async def test_a_sites_own_page_ending_like_a_translation_stays_its_owners_when_another_sends_its_original(
        registry):
    """The site owns ``…?id=5&translation=en``; another provider then sends ``…?id=5``,
    which nobody owned. The page must stay the site's: its updates and its kill go on,
    and the other provider may not change it."""
    page = f"https://wire.example/{uuid.uuid4().hex}?id=5"
    own_page = translation_uri(page, "en")
    first = await registry.classify(article(own_page, "its own page"), event_id="p0", source_version="1",
                                    hint=None, provider="site", acts_for=["site"])
    assert first.decision is Decision.NEW
    taken = await registry.classify(article(page, "the page without its query"), event_id="p1", source_version="1",
                                    hint=None, provider="squatter", acts_for=["squatter"])
    assert (taken.decision, taken.owner) == (Decision.NEW, "squatter")
    updated = await registry.classify(article(own_page, "its own page, updated"), event_id="p2",
                                      source_version="2", hint=None, provider="site", acts_for=["site"])
    assert (updated.decision, updated.owner) == (Decision.UPDATE, "site")
    assert await registry.peek(article(own_page, "killed"), source_version="3", acts_for=["site"]) is None
    refused = await registry.classify(article(own_page, "defaced"), event_id="p3", source_version="3", hint=None,
                                      provider="squatter", acts_for=["squatter"])
    assert (refused.decision, refused.owner) == (Decision.NOT_OWNER, "site")


AP_URIS = {"ap": ["https://apnews.com/", "urn:newsml:ap.org:"]}


async def classify(registry, uri: str, text: str, provider: str, *, event: str, version: str,
                   acts_for: list[str] | None = None):
    return await registry.classify(article(uri, text), event_id=event, source_version=version, hint=None,
                                   provider=provider, acts_for=acts_for or [provider])


async def test_a_configured_prefix_is_its_providers_alone_whoever_sends_first(settings, registry):
    """Squatting: another provider copies the agency's next uri from its public feed and
    sends it first. With WIRE_URI_OWNERS the uri is the agency's: the squatter is refused
    and records nothing, in any spelling of the prefix, and for the translation's uri too."""
    owned = StoryRegistry(registry.redis, registry.keys, uri_owners=AP_URIS)
    uri = f"https://apnews.com/article/{uuid.uuid4().hex}"
    for spelling in (uri, uri.replace("https://apnews.com", "HTTPS://APNews.com"), translation_uri(uri, "pt")):
        taken = await classify(owned, spelling, "copied", "squatter", event=f"s-{spelling}", version="1")
        assert (taken.decision, taken.owner) == (Decision.NOT_OWNER, "ap")
        assert await owned.peek(article(spelling, "copied"), source_version="1",
                                acts_for=["squatter"]) is Decision.NOT_OWNER
    first = await classify(owned, uri, "the story", "ap", event="a1", version="1")
    assert (first.decision, first.version, first.owner) == (Decision.NEW, "1", "ap")
    relayed = await classify(owned, f"urn:newsml:ap.org:{uuid.uuid4().hex}", "relayed", "aggregator",
                             event="r1", version="1", acts_for=["aggregator", "ap"])
    assert (relayed.decision, relayed.owner) == (Decision.NEW, "ap")  # the agency's, not the relay's
    other = await classify(owned, f"https://example.com/{uuid.uuid4().hex}", "own", "squatter", event="o1",
                           version="1")
    assert (other.decision, other.owner) == (Decision.NEW, "squatter")  # elsewhere: first come


async def test_a_uri_taken_before_the_prefix_was_configured_goes_back_to_its_provider(settings, registry):
    uri = f"urn:newsml:ap.org:{uuid.uuid4().hex}"
    squatted = await classify(registry, uri, "copied", "squatter", event="s1", version="1")
    assert (squatted.decision, squatted.owner) == (Decision.NEW, "squatter")
    refused = await classify(registry, uri, "the story", "ap", event="a1", version="2")
    assert refused.decision is Decision.NOT_OWNER  # without the configuration: locked out

    owned = StoryRegistry(registry.redis, registry.keys, uri_owners=AP_URIS)
    back = await classify(owned, uri, "the story", "ap", event="a2", version="2")
    assert (back.decision, back.version, back.owner) == (Decision.UPDATE, "2", "ap")
    again = await classify(owned, uri, "defaced", "squatter", event="s2", version="3")
    assert (again.decision, again.owner) == (Decision.NOT_OWNER, "ap")
    assert (await classify(registry, uri, "defaced", "squatter", event="s3", version="3")).decision \
        is Decision.NOT_OWNER  # recorded: even a registry without the configuration now says the agency's
