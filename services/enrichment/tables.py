"""The enrichment worker's faust tables: story clusters and trending entities.

The tables live on the single-partition ``enrichment.stories`` topic, so one worker
sees every story (clusters must span providers, whose stories land on different
partitions of ``articles.ingested``). Their state is in memory (:mod:`warm_store`) and
their changelog topics in Kafka, which faust replays on start: a restarted or
replacement worker gets the same state back, and a standby promoted to active
reads only the changelog records it had not followed yet.

- ``story-members``: story uri → {cluster, at, wrote: the LSH buckets it filled}. The
  bucket index (bucket key → (cluster, at), see :mod:`nlp.clusters`) is rebuilt from
  it after every recovery, so a story costs one changelog record, not one per band.
  (Before, the buckets had their own table, ``story-buckets``: it is still read into
  the index after every recovery, and emptied as its entries expire, so the stories
  recorded before an upgrade go on attracting copies.)
- ``entity-trends``: "<type>\\t<name>" → count, in tumbling windows of
  ``trend_window_s`` by the articles' receive time, kept ``trend_windows_kept`` windows.
- ``stories-progress``: the last stories offset whose output was delivered
  (see :mod:`progress`), and, while ``story-delivered`` holds entries from before they
  kept their time, when they were found (see :mod:`services.enrichment.delivered`).
- ``story-delivered``: story uri → the idempotency key (``uri@version:stage``) of
  its last delivered output and the time of its record, so repeats at new offsets are
  skipped; kept within the cluster horizon (:mod:`services.enrichment.delivered`).
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

import faust
import orjson

from services.enrichment.delivered import DeliveredKeys
from services.enrichment.nlp.clusters import StoryIndex
from services.enrichment.settings import EnrichmentSettings

log = logging.getLogger(__name__)


def _table(app: faust.App, name: str, **options: Any):
    # No key/value types: keys and values travel as JSON (faust's default) and come
    # back from the changelog as the same str / dict / int.
    return app.Table(name, partitions=1, **options)


class StoryTables:
    def __init__(self, app: faust.App, settings: EnrichmentSettings) -> None:
        self.window_s = settings.trend_window_s
        self.members = _table(app, "story-members", help="story uri → story cluster")
        self.buckets: dict[str, tuple[str, float]] = {}  # LSH bucket → (cluster, at): rebuilt from the members
        self.legacy_buckets = _table(app, "story-buckets", help="MinHash LSH bucket → story cluster, as written "
                                     "before the members kept their buckets; only emptied now")
        self.progress = _table(app, "stories-progress", help="last stories offset whose output was delivered "
                               "(and when story-delivered entries without a time were found)")
        self.delivered = _table(app, "story-delivered", help="story uri → idempotency key of its last output, and its "
                                "record's time")
        self.delivered_keys = DeliveredKeys(self.delivered, horizon_s=settings.cluster_horizon_s,
                                            notes=self.progress)
        self._at = 0.0
        self.trends = _table(app, "entity-trends", default=int, help="entity → articles per window").tumbling(
            timedelta(seconds=settings.trend_window_s),
            expires=timedelta(seconds=settings.trend_window_s * settings.trend_windows_kept),
        ).relative_to(self._timestamp)
        self.index = StoryIndex(self.members, self.buckets, horizon_s=settings.cluster_horizon_s,
                                legacy=self.legacy_buckets, secret_key=settings.secret_key)
        if not settings.secret_key:
            log.warning("WIRE_SECRET_KEY is unset: new story clusters' ids are keyed with the public development "
                        "key, so a reader can confirm a guessed founder uri against them; set the deployment's key")
        # (window start, window end, entity key) → latest count, not yet copied to Redis.
        self.dirty: dict[tuple[float, float, str], int] = {}
        self.members.on_recover(self._recovered)
        self.delivered.on_recover(self._delivered_recovered)
        self.trends.table.on_recover(self._trends_recovered)

    def _timestamp(self, event: Any = None) -> float:
        return self._at  # windows follow the article's receive time, not the wall clock

    async def _recovered(self) -> None:
        self.index.recovered()

    async def _delivered_recovered(self) -> None:
        self.delivered_keys.recovered()

    async def _trends_recovered(self) -> None:
        self.dirty.update(self.all_counts())

    def all_counts(self) -> dict[tuple[float, float, str], int]:
        """Every count the table holds, as (window start, window end, entity key) → count:
        what Redis needs again after it lost its copy."""
        return {(start, end, key): count for (key, (start, end)), count in list(self.trends.table.data.items())}

    def count(self, keys: list[str], at: float) -> None:
        """Count one article for each entity key, in the window of ``at``. Must run
        inside the agent's stream iteration (faust writes the changelog then)."""
        self._at = at
        window = self.trends.table.window
        start, end = window.current(at)
        for key in keys:
            self.trends[key] += 1
            self.dirty[(start, end, key)] = self.trends[key].value()

    def take_dirty(self) -> dict[tuple[float, float, str], int]:
        dirty, self.dirty = self.dirty, {}
        return dirty

    def _contents(self) -> tuple[tuple[str, Any], ...]:
        return (("story-members", self.members.data), ("story-buckets", self.buckets),
                ("story-buckets-legacy", self.legacy_buckets.data), ("entity-trends", self.trends.table.data),
                ("stories-progress", self.progress.data), ("story-delivered", self.delivered.data))

    def sizes(self) -> dict[str, int]:
        return {name: len(data) for name, data in self._contents()}

    def digest(self) -> dict[str, Any]:
        """Key counts and a SHA-256 over the tables' contents and the rebuilt bucket
        index (sorted): equal digests mean equal state, e.g. before a restart and after
        recovery."""
        sha = hashlib.sha256()
        sizes = {}
        for name, data in self._contents():
            items = sorted((orjson.dumps(k, option=orjson.OPT_SORT_KEYS), orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
                           for k, v in data.items())
            sizes[name] = len(items)
            for k, v in items:
                sha.update(name.encode() + b"\0" + k + b"\0" + v + b"\n")
        return {"keys": sizes, "sha256": sha.hexdigest()}
