"""The faust application of the enrichment service (its composition root)."""
from __future__ import annotations

import faust

from services.enrichment import warm_store
from services.enrichment.settings import EnrichmentSettings
from shared import kafka_fixes
from shared.bus import batch_bytes
from shared.topics import Topics

SERVICE = "enrichment"


def create_app(settings: EnrichmentSettings) -> faust.App:
    kafka_fixes.apply()  # faust consumes through aiokafka's Fetcher too
    brokers = [f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")]
    app = faust.App(
        # faust's app id is its consumer group (and prefixes its changelog topics); the
        # reading step consumes articles.ingested as the plain "wire-enrichment" group.
        Topics(settings.topic_prefix).group(f"{SERVICE}-stories"),
        broker=brokers,
        # In memory, with changelog offsets, so a standby takes over warm (warm_store.py).
        store=warm_store.register(),
        datadir=str(settings.data_dir),
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        producer_acks=-1,
        # As the stages' producers (shared.bus.make_producer): the ~25 changelog records
        # one story writes (its buckets, membership, trend counts) leave in one request.
        producer_linger=0.002,
        producer_max_batch_size=batch_bytes(settings),
        # What every stage's producer takes (faust's default is 1,000,000 bytes): the
        # outputs process_record lets through are checked against this.
        producer_max_request_size=settings.max_record_bytes,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        web_enabled=False,
        # Names the replica in the group's member list (see shared.bus.client_id).
        broker_client_id=f"{SERVICE}-stories-{settings.replica}",
        # A killed worker's partitions move to a live one after this, not faust's 60 s.
        broker_session_timeout=settings.kafka_session_timeout_ms / 1000,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_ms / 1000,
        # With several replicas one of them keeps a warm copy of the story tables
        # (it follows the changelogs as a standby), so taking over the stories
        # step does not start with replaying every changelog from the beginning.
        table_standby_replicas=settings.table_standby_replicas,
    )
    from services.enrichment.agents import register_agents
    from services.enrichment.tables import StoryTables

    register_agents(app, settings, StoryTables(app, settings), read=settings.enrichment_steps == "both")
    return app
