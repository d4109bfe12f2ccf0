"""The story registry orders versions by shared.versions (real redis-server): its
Lua script checks only that the version Python decided against is still stored."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from shared.identity import Decision
from tests.story_helpers import article

pytestmark = pytest.mark.integration


async def classify(registry, uri: str, version: str, body: str | None = None):
    return await registry.classify(article(uri, body or f"text of {version}"), event_id=f"{uri}@{version}",
                                   source_version=version, hint=None, provider="ap")


async def test_versions_compare_by_value_and_text_sorts_before_numbers(registry):
    uri = f"urn:test:{uuid.uuid4().hex}"
    assert (await classify(registry, uri, "9")).decision is Decision.NEW
    assert (await classify(registry, uri, "10")).decision is Decision.UPDATE  # 10 > 9, not as text
    assert (await classify(registry, uri, "2")).decision is Decision.OLDER
    assert (await classify(registry, uri, "draft")).decision is Decision.OLDER
    assert await registry.peek(article(uri, "x"), source_version="2") is Decision.OLDER
    assert await registry.peek(article(uri, "x"), source_version="11") is None


async def test_racing_versions_each_get_an_answer_and_the_newest_wins(registry):
    uri = f"urn:test:{uuid.uuid4().hex}"
    await classify(registry, uri, "1")
    answers = await asyncio.gather(*(classify(registry, uri, str(v)) for v in range(2, 12)))
    assert all(a.decision in (Decision.UPDATE, Decision.OLDER) for a in answers)
    assert (await classify(registry, uri, "11")).version == "11"  # a re-delivery: its first answer
    assert await registry.peek(article(uri, "x"), source_version="10") is Decision.OLDER


async def test_a_new_story_is_classified_in_one_round_trip_a_known_one_in_two(registry):
    """The script is first asked as for a story never seen; only a known story needs the
    second ask, with the stored version its 'retry' answered (compared in Python)."""
    async def calls() -> int:
        stats = await registry.redis.info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval", "cmdstat_hget"))

    async def asked() -> tuple[int, int]:
        uri = f"urn:test:{uuid.uuid4().hex}"
        before = await calls()
        assert (await classify(registry, uri, "1")).decision is Decision.NEW
        after_new = await calls()
        assert (await classify(registry, uri, "2")).decision is Decision.UPDATE
        assert (await classify(registry, uri, "1", body="late")).decision is Decision.OLDER
        return after_new - before, await calls() - after_new

    await classify(registry, f"urn:test:{uuid.uuid4().hex}", "1")  # the script is loaded
    # The server counts every client's commands, and a background task of another test (a
    # lease renewed by EVAL) can add one to a round: it never takes any away, so the
    # fewest seen over three rounds are this registry's.
    rounds = [await asked() for _ in range(3)]
    assert (min(new for new, _ in rounds), min(known for _, known in rounds)) == (1, 4)
