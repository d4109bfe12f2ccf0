"""Story ownership in the registry (real redis-server): the first provider to submit
a uri owns it; another provider's change is refused and changes nothing; a relay may
act for the providers it is configured for."""
from __future__ import annotations

import uuid

import pytest

from shared.events import Signal
from shared.identity import Decision
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
