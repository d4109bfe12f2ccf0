"""The one registry of topic names."""
from __future__ import annotations

from shared.subscriptions import Subscription
from shared.topics import COMPACTED, Topics


def test_every_name_carries_the_prefix():
    topics = Topics("t1.")
    names = [topics.inbound, topics.ingested, topics.enriched, topics.translated, topics.published,
             topics.stories, topics.embargoed, topics.subscriptions, topics.webhook_dlq, topics.subscription("desk")]
    assert names == ["t1.wire.inbound", "t1.articles.ingested", "t1.articles.enriched", "t1.articles.translated",
                     "t1.articles.published", "t1.enrichment.stories", "t1.articles.embargoed",
                     "t1.wire.subscriptions", "t1.webhooks.dlq", "t1.published.desk"]
    assert Topics.dlq(topics.ingested) == "t1.articles.ingested.dlq"
    assert Subscription(name="desk").topic("t1.") == topics.subscription("desk")


def test_the_pipeline_topics_have_their_dlqs_and_only_published_is_compacted():
    configs = Topics("p.").pipeline_configs()
    assert {name for name, config in configs.items() if config} == {"p.articles.published"}
    assert configs["p.articles.published"] == COMPACTED
    assert all(Topics.dlq(t) in configs for t in ("p.wire.inbound", "p.articles.ingested", "p.articles.enriched",
                                                  "p.articles.translated"))
