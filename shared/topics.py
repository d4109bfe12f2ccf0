"""Every Kafka topic name the services use, and their creation.

Every name carries the deployment's ``topic_prefix`` so several pipelines (or
tests) can share one cluster. A service never spells a topic name itself: it asks
:class:`Topics` (the one registry) and creates topics with :func:`ensure_topics`.
"""
from __future__ import annotations

from collections.abc import Mapping
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

    @staticmethod
    def enriched_reader(translates: bool) -> str:
        """The stage that reads ``articles.enriched``: translation, or publishing in a
        deployment that does not translate. When the setting changes, the new reader
        starts where the other one committed (:mod:`shared.handover`)."""
        return "translation" if translates else "publishing"

    def publishing_input(self, translates: bool) -> str:
        """What publishing reads: translation's output, or enrichment's in a deployment
        that does not translate (``WIRE_TARGET_LANGUAGES`` empty: no translation runs)."""
        return self.translated if translates else self.enriched

    @property
    def stories(self) -> str:
        """Enrichment's single-partition hand-over from its read step to its cluster step."""
        return self.name("enrichment.stories")

    @property
    def embargoed(self) -> str:
        """Compacted: the items waiting for their embargo (their durable copy)."""
        return self.name("articles.embargoed")

    @property
    def subscriptions(self) -> str:
        """Compacted: every subscription keyed by name (Redis holds the live copy)."""
        return self.name("wire.subscriptions")

    @property
    def webhook_dlq(self) -> str:
        """Webhook deliveries that failed for good: a DLQ with no source topic."""
        return self.name("webhooks.dlq")

    def subscription(self, name: str) -> str:
        """The topic of subscription ``name`` (``published.<name>``)."""
        return self.name(f"published.{name}")

    @staticmethod
    def dlq(topic: str) -> str:
        """The dead-letter topic of an input topic: ``<topic>.dlq``."""
        return topic + DLQ_SUFFIX

    def pipeline(self) -> list[str]:
        stages = [self.inbound, self.ingested, self.enriched, self.translated]
        return stages + [self.dlq(t) for t in stages] + [self.published]

    def pipeline_configs(self) -> dict[str, dict[str, str]]:
        """The pipeline's topics and their topic configs (articles.published compacted)."""
        return {name: dict(COMPACTED) if name == self.published else {} for name in self.pipeline()}

    def group(self, service: str) -> str:
        """Consumer group id of a service."""
        return self.name(f"wire-{service}")


# articles.published keeps the latest version of each story (keyed by uri).
COMPACTED = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}


async def ensure_topics(
    bootstrap: str, wanted: Topics | Mapping[str, Mapping[str, str]], *, partitions: int = 3,
    replication: int = 1, max_record_bytes: int | None = None, request_timeout_ms: int = 40_000,
) -> None:
    """Create the topics of ``wanted`` that do not exist yet (idempotent; another
    process creating one at the same moment is fine).

    ``wanted`` is a :class:`Topics` (the pipeline's topics, see
    :meth:`Topics.pipeline_configs`) or a mapping of topic name → topic configs. Each
    new topic gets ``partitions`` and ``replication``; with ``max_record_bytes`` it
    accepts records up to that size (``max.message.bytes``). Raises aiokafka's
    KafkaError when the cluster cannot be reached."""
    configs = wanted.pipeline_configs() if isinstance(wanted, Topics) else wanted
    size = {"max.message.bytes": str(max_record_bytes)} if max_record_bytes else {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(name, num_partitions=partitions, replication_factor=replication,
                        topic_configs={**config, **size})
               for name, config in configs.items() if name not in existing]
        if new:
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # another service created them first
    finally:
        await admin.close()
