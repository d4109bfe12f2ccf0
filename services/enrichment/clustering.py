"""What the stories step does with each read article, and the bucket keys the read
step works out for it: the story's MinHash LSH buckets, its story cluster, and the
entities it adds to the trend counts. Pure functions, no language models."""
from __future__ import annotations

import time
from datetime import datetime

from services.enrichment.nlp.clusters import THRESHOLD, Assignment, StoryIndex, bucket_keys, signature
from shared.cloudevents import read_headers
from shared.events import Article, ArticleEvent
from shared.trends import DEFERRED
from shared.trends import trend_keys as trend_keys_of

# The story's LSH bucket keys, comma-separated, on enrichment.stories records (internal).
BUCKETS_HEADER = "wire_story_buckets"


def buckets_sent(headers) -> list[str] | None:
    """The bucket keys the read step sent, or None (a record from before they were sent)."""
    sent = read_headers(headers or []).get(BUCKETS_HEADER)
    return sent.split(",") if sent else None


def story_text(article: Article) -> str:
    """What clusters a story: headline and body; a picture or clip has no body, so its
    caption (descriptions) stands in, else pictures of one event would cluster by
    headline alone."""
    text = article.body_text or "\n".join(d.value for d in article.descriptions if d.role != "summary")
    return f"{article.headline}\n{text}"


def story_buckets(article: Article) -> list[str]:
    """The LSH bucket keys of the story's text (MinHash: a few ms of CPU), worked out
    by the parallel read step and carried to the single stories step beside the article."""
    return bucket_keys(signature(story_text(article)))


def cluster_story(event: ArticleEvent, index: StoryIndex, keys: list[str] | None = None) -> Assignment:
    """Put the story in its cluster (recorded in ``index``) and note the cluster id
    in ``envelope.enrichment["storyCluster"]``. ``keys``: its :func:`story_buckets`
    when the read step sent them (else worked out here). The same story always gets
    the same id, so a re-delivered article produces the same output."""
    keys = story_buckets(event.article) if keys is None else keys
    assignment = index.assign(event.article.uri, keys, event.envelope.received_at.timestamp())
    event.envelope.enrichment["storyCluster"] = {"id": assignment.cluster, "method": "minhash-lsh",
                                                 "threshold": THRESHOLD}
    return assignment


def trend_keys(event: ArticleEvent) -> list[str]:
    """"<type>\t<name>" of each entity the article names (Korean proper nouns as
    "untyped"), for the trend counts — none for a story still under embargo: it is
    marked instead, and publishing counts it when the embargo ends."""
    until = event.article.embargoedUntil
    if until and datetime.fromisoformat(until.replace("Z", "+00:00")).timestamp() > time.time():
        event.envelope.enrichment[DEFERRED] = True
        return []
    return trend_keys_of(event.envelope.enrichment)
