"""Story ownership in the registry (real redis-server): the first provider to submit
a uri owns it; another provider's change is refused and changes nothing; a relay may
act for the providers it is configured for."""
from __future__ import annotations

import uuid

import pytest

from shared.events import Signal
from shared.identity import Decision
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
