"""Story clusters: MinHash LSH over plain mappings (the worker uses faust tables)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from services.enrichment.clustering import cluster_story
from services.enrichment.nlp.clusters import BANDS, ROWS, StoryIndex, bucket_keys, signature, similarity
from shared.events import article_id_for
from tests.unit.enrichment.samples import TOPICS
from tests.unit.shared.test_events import sample_event

EXAMPLE = (Path(__file__).parents[2] / "fixtures" / "korea-daily-2024-12-18.txt").read_text(encoding="utf-8")
EDITED = EXAMPLE.replace("imminent", "likely soon").replace("significantly", "sharply").replace(
    "A South Korean", "One South Korean")
DAY = 86400.0


def index(horizon_s: float = 7 * DAY) -> StoryIndex:
    return StoryIndex({}, {}, horizon_s=horizon_s)


def keys(text: str) -> list[str]:
    return bucket_keys(signature(text))


def test_parameters_and_similarity():
    assert BANDS * ROWS <= 128
    assert similarity(EXAMPLE, EDITED) > 0.85
    assert similarity(EXAMPLE, TOPICS["15000000"][1]) < 0.1
    assert signature(EXAMPLE).tolist() == signature(EXAMPLE).tolist()  # seeded: stable across processes


def test_copies_share_a_cluster_named_after_the_first_story():
    stories = index()
    first = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0)
    assert first.cluster == article_id_for("urn:a:1") and first.first_seen
    copy = stories.assign("urn:b:7", keys(EDITED), 1010.0)
    assert copy.cluster == first.cluster and copy.first_seen and copy.matched_buckets >= 1
    other = stories.assign("urn:a:2", keys(" ".join(TOPICS["15000000"])), 1020.0)
    assert other.cluster == article_id_for("urn:a:2")


def test_assigning_again_is_idempotent_and_versions_keep_their_cluster():
    stories = index()
    founded = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0).cluster
    again = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0)
    assert again.cluster == founded and not again.first_seen
    rewritten = stories.assign("urn:a:1", keys(" ".join(TOPICS["02000000"])), 2000.0)  # a new version
    assert rewritten.cluster == founded


def test_old_stories_stop_attracting_copies_and_are_evicted():
    stories = index(horizon_s=DAY)
    stories.assign("urn:a:1", keys(EXAMPLE), 0.0)
    late = stories.assign("urn:b:1", keys(EDITED), 2 * DAY)
    assert late.cluster == article_id_for("urn:b:1")
    assert "urn:a:1" not in stories.members
    assert all(entry["cluster"] != article_id_for("urn:a:1") for entry in stories.buckets.values())


def test_eviction_resumes_from_recovered_state():
    members, buckets = {}, {}
    StoryIndex(members, buckets, horizon_s=DAY).assign("urn:a:1", keys(EXAMPLE), 0.0)
    restarted = StoryIndex(members, buckets, horizon_s=DAY)
    restarted.recovered()
    restarted.assign("urn:c:1", keys(" ".join(TOPICS["07000000"])), 3 * DAY)
    assert set(members) == {"urn:c:1"}


def test_cluster_story_notes_the_cluster_in_the_envelope():
    event = sample_event()
    event.article.bodies[0].value = EXAMPLE
    stories = index()
    cluster_story(event, stories)
    assert event.envelope.enrichment["storyCluster"]["id"] == article_id_for(event.article.uri)
    assert stories.members[event.article.uri]["at"] == datetime(2024, 12, 18, tzinfo=timezone.utc).timestamp()


async def test_the_read_step_sends_the_bucket_keys_the_stories_step_would_work_out():
    from aiokafka import ConsumerRecord

    from services.enrichment.clustering import buckets_sent, story_buckets
    from services.enrichment.read_step import read_step
    from shared.codec import decode, encode
    from shared.events import ArticleEvent

    event = sample_event()
    event.article.bodies[0].value = EXAMPLE
    value = encode(event)
    [out] = await read_step("t.enrichment.stories")(ConsumerRecord("t.articles.ingested", 0, 7, 0, 0, b"k", value,
                                                                   None, 1, len(value), []))
    sent = buckets_sent(out.headers)
    enriched = decode(ArticleEvent, out.value)
    assert sent == story_buckets(enriched.article) and len(sent) == BANDS
    assert buckets_sent([]) is None  # a record from before: the stories step works them out
    here, there = decode(ArticleEvent, out.value), decode(ArticleEvent, out.value)
    cluster_story(here, index(), sent)
    cluster_story(there, index())
    assert here.envelope.enrichment["storyCluster"] == there.envelope.enrichment["storyCluster"]
