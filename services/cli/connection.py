"""Where the operator commands (dlq, status, trace) find the pipeline: the same
``WIRE_*`` environment as the services, overridable with --kafka/--redis/--prefix."""
from __future__ import annotations

import argparse

from shared.lag import dlq_topics
from shared.settings import WireSettings
from shared.topics import Topics


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kafka", help="Kafka bootstrap servers (default: WIRE_KAFKA_BOOTSTRAP)")
    parser.add_argument("--redis", help="Redis URL (default: WIRE_REDIS_URL)")
    parser.add_argument("--prefix", help="topic/key prefix of the pipeline (default: WIRE_TOPIC_PREFIX)")
    parser.add_argument("--target-languages", metavar="LANGS",
                        help="the pipeline's target languages, e.g. pt,es; '' when it does not translate "
                             "(default: WIRE_TARGET_LANGUAGES; decides whether translation runs)")


def settings_from(args: argparse.Namespace) -> WireSettings:
    overrides = {"kafka_bootstrap": args.kafka, "redis_url": args.redis, "topic_prefix": args.prefix,
                 "target_languages": args.target_languages}
    return WireSettings(**{k: v for k, v in overrides.items() if v is not None})


def resolve_dlq(topics: Topics, name: str) -> tuple[str, str | None]:
    """The DLQ named by any of ``inbound``, ``wire.inbound``, ``articles.translated``,
    ``translated``, ``<prefix>articles.translated.dlq``, ``webhooks``…, and the topic
    its records came from (None for webhook deliveries).

    Raises ValueError for a name that is no DLQ of the pipeline."""
    base = name.removesuffix(".dlq")
    if topics.prefix and base.startswith(topics.prefix):
        base = base[len(topics.prefix):]
    short = base.split(".")[-1]
    for dlq, source in dlq_topics(topics).items():
        own = dlq.removesuffix(".dlq")[len(topics.prefix):]
        if short == own.split(".")[-1]:
            return dlq, source
    raise ValueError(f"no DLQ for {name!r}: name one of inbound, ingested, enriched, translated, webhooks")
