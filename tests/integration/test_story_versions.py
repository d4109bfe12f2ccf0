"""The story registry orders versions by shared.versions (real redis-server): its
Lua script checks only that the version Python decided against is still stored."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from shared.identity import Decision, text_hash
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


async def test_a_moved_embargo_alone_is_a_new_version_and_entries_an_older_ingest_wrote_are_read_by_text(registry):
    """A re-send that only moves the embargo must flow (a duplicate would publish at the
    old time). The entry's ``hash`` stays the text hash an ingest from before reads and
    writes, so replicas of both kinds (a rolling deploy, a rollback) agree: an entry
    without the content tag, or whose ``hash`` such an ingest rewrote, is compared by
    its text, is a duplicate of the same text, and takes the tag for later sends."""
    def embargoed(uri: str, until: str, body: str = "Talks resume."):
        return article(uri, body).model_copy(update={"embargoedUntil": until})

    async def send(item, n: int):
        return await registry.classify(item, event_id=f"{item.uri}#{n}", source_version=None, hint=None,
                                       provider="ap")

    uri = f"urn:test:{uuid.uuid4().hex}"
    assert (await send(embargoed(uri, "2030-01-01T00:00:00Z"), 1)).decision is Decision.NEW
    assert (await send(embargoed(uri, "2030-01-01T00:00:00Z"), 2)).decision is Decision.DUPLICATE
    assert await registry.peek(embargoed(uri, "2030-01-01T00:00:00Z"), source_version=None) is Decision.DUPLICATE
    assert await registry.peek(embargoed(uri, "2030-06-01T00:00:00Z"), source_version=None) is None
    moved = await send(embargoed(uri, "2030-06-01T00:00:00Z"), 3)
    assert (moved.decision, moved.version) == (Decision.UPDATE, "2")
    assert await registry.redis.hget(registry.keys.story(uri), "hash") == text_hash(embargoed(uri, "x")).encode()

    # an entry from before the tag: the same text is a duplicate, decided in ingest
    old = f"urn:test:{uuid.uuid4().hex}"
    assert (await send(embargoed(old, "2030-01-01T00:00:00Z"), 1)).decision is Decision.NEW
    key = registry.keys.story(old)
    await registry.redis.hdel(key, "chash")
    assert await registry.peek(embargoed(old, "2030-01-01T00:00:00Z"), source_version=None) is None  # ingest decides
    assert (await send(embargoed(old, "2030-01-01T00:00:00Z"), 2)).decision is Decision.DUPLICATE
    assert await registry.peek(embargoed(old, "2030-01-01T00:00:00Z"), source_version=None) is Decision.DUPLICATE
    later = await send(embargoed(old, "2030-06-01T00:00:00Z"), 3)
    assert (later.decision, later.version) == (Decision.UPDATE, "2")

    # an older ingest wrote an edit (``hash`` alone; the tag is stale): the edit re-sent
    # is a duplicate by its text, not an update by the stale tag
    edited = embargoed(old, "2030-06-01T00:00:00Z", body="Talks resume on Monday.")
    await registry.redis.hset(key, mapping={"hash": text_hash(edited), "version": "3", "event": "old-ingest#1"})
    assert (await send(edited, 4)).decision is Decision.DUPLICATE
    assert (await send(edited.model_copy(update={"urgency": 1}), 5)).decision is Decision.UPDATE
