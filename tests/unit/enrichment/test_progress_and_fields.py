"""The cluster step's own progress record (it re-reads what faust skipped), and how
found entities join what the provider sent."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

from services.enrichment.annotations import write_ninjs
from services.enrichment.findings import read_article
from services.enrichment.progress import StoriesProgress
from services.enrichment.settings import EnrichmentSettings
from shared.events import Article, TextBlock


class Consumer:
    """Just enough of a faust consumer: an assignment, a position, seeks recorded."""

    def __init__(self, position: int) -> None:
        self._position = position
        self.seeks: list[tuple[object, int]] = []
        self.tp = None

    def assignment(self):
        return {self.tp}

    async def position(self, tp):
        return self._position

    async def seek(self, tp, offset):
        self.seeks.append((tp, offset))


def progress(position: int, table: dict) -> tuple[StoriesProgress, Consumer]:
    consumer = Consumer(position)
    completed = asyncio.Event()
    completed.set()
    app = SimpleNamespace(rebalancing=False, consumer=consumer,
                          tables=SimpleNamespace(recovery=SimpleNamespace(completed=completed)))
    guard = StoriesProgress(app, table, "t.enrichment.stories", idle_s=0.0)
    consumer.tp = guard.tp
    return guard, consumer


async def test_records_skipped_past_while_idle_are_read_again():
    guard, consumer = progress(position=7, table={"delivered": 2})
    assert guard.delivered_already(2) and not guard.delivered_already(3)
    assert await guard.redrive()
    assert consumer.seeks == [(guard.tp, 3)]


async def test_no_seek_while_busy_or_when_nothing_was_skipped():
    guard, consumer = progress(position=3, table={"delivered": 2})
    assert not await guard.redrive()  # the consumer is exactly where the agent is
    guard, consumer = progress(position=9, table={})
    guard.started()
    assert not await guard.redrive()  # the agent is working on a record
    guard.delivered(0)
    assert guard.table == {"delivered": 0} and await guard.redrive()
    assert consumer.seeks == [(guard.tp, 1)]


def test_found_entities_are_added_after_the_providers_own_without_duplicates():
    article = Article(
        uri="urn:test:1", language="en",
        headlines=[TextBlock(role="main", value="Talks in Berlin")],
        bodies=[TextBlock(contentType="text/plain", value="Chancellor Olaf Scholz met the press in Berlin on "
                                                          "Monday, according to Reuters. Scholz said little.")],
        people=[{"name": "Olaf Scholz", "rel": "subject", "uri": "http://example.com/p/1"}],
        subjects=[{"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}],
    )
    findings = read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))
    write_ninjs(findings, article)
    assert article.people == [{"name": "Olaf Scholz", "rel": "subject", "uri": "http://example.com/p/1"}]
    assert [p["name"] for p in article.places] == ["Berlin"]
    assert [s["uri"] for s in article.subjects].count("http://cv.iptc.org/newscodes/mediatopic/11000000") == 1
    assert [s["name"] for s in article.infoSources] == ["Reuters"]


def test_only_at_least_once_is_accepted():
    assert EnrichmentSettings().processing_guarantee == "at_least_once"
    try:
        EnrichmentSettings(processing_guarantee="exactly_once")
    except ValueError as exc:
        assert "not supported" in str(exc)
    else:
        raise AssertionError("exactly_once must be refused")
