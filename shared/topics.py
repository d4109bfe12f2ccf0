"""Topic names of the pipeline and their creation.

Every name carries the deployment's ``topic_prefix`` so several pipelines (or
tests) can share one cluster.
"""
from __future__ import annotations

from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def inbound(self) -> str:
        return self.name("wire.inbound")

    @property
    def ingested(self) -> str:
        return self.name("articles.ingested")

    @property
    def enriched(self) -> str:
        return self.name("articles.enriched")

    @property
    def translated(self) -> str:
        return self.name("articles.translated")

    @property
    def published(self) -> str:
        return self.name("articles.published")

    @staticmethod
    def dlq(topic: str) -> str:
        """The dead-letter topic of an input topic: ``<topic>.dlq``."""
        return topic + DLQ_SUFFIX

    def pipeline(self) -> list[str]:
        stages = [self.inbound, self.ingested, self.enriched, self.translated]
        return stages + [self.dlq(t) for t in stages] + [self.published]

    def group(self, service: str) -> str:
        """Consumer group id of a service."""
        return self.name(f"wire-{service}")


# articles.published keeps the latest version of each story (keyed by uri).
COMPACTED = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}


async def ensure_topics(
    bootstrap: str, topics: Topics, *, partitions: int = 3, replication: int = 1,
    max_record_bytes: int | None = None,
) -> None:
    """Create the pipeline's topics that do not exist yet (idempotent); with
    ``max_record_bytes``, each accepts records up to that size (``max.message.bytes``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replication,
                topic_configs={**(COMPACTED if name == topics.published else {}),
                               **({"max.message.bytes": str(max_record_bytes)} if max_record_bytes else {})},
            )
            for name in topics.pipeline()
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another service created them first
    finally:
        await admin.close()
