"""Entry point: ``python -m services.ingest`` — the inbound stage plus the pollers
(RSS/Atom feeds, drop folder) that feed it."""
from __future__ import annotations

import asyncio

from services.ingest.bootstrap import SERVICE, build_runner
from services.ingest.settings import IngestSettings
from services.ingest.sources.dropfolder import RedisClaims, check_drop_folder, watch_drop_folder
from services.ingest.sources.feeds import feed_client, poll_feeds_forever
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from shared.inbound import send_submission, submit
from shared.rate_window import polled_window
from shared.parse_pool import ParsePool
from shared.replica import process_identity
from shared.service import run_service
from shared.topics import Topics, ensure_topics


def main() -> None:
    settings = IngestSettings()
    topics = Topics(settings.topic_prefix)
    keys = Keys(settings.topic_prefix)

    async def serve(stop: asyncio.Event) -> None:
        if settings.drop_dir is not None:
            # before anything starts: a symlinked processed/ or failed/ refuses the start
            settings.drop_dir.mkdir(parents=True, exist_ok=True)
            check_drop_folder(settings.drop_dir)
        await ensure_topics(settings.kafka_bootstrap, topics,
                            partitions=settings.topic_partitions, replication=settings.topic_replication,
                            max_record_bytes=settings.max_record_bytes)
        redis = connect(settings.redis_url)
        producer = make_producer(settings)
        await producer.start()
        # The gateway's items arrive parsed (sealed): only polled feeds, the drop folder and
        # records without a seal are parsed here, so without feeds or a drop folder the
        # workers start on the first such record instead of idling from the start.
        parse_pool = ParsePool(workers=settings.parse_workers, timeout_s=settings.parse_timeout_s,
                               max_tasks=settings.parse_max_tasks, max_rss_mb=settings.parse_worker_max_mb,
                               warm=bool(settings.feeds) or settings.drop_dir is not None)
        try:
            registry = StoryRegistry(redis, keys, settings.uri_owners)

            async def submit_polled(payload: bytes, content_type: str, provider: str):
                # whose stories the provider may change as ingest will judge it (a relay's too),
                # so that what the poller refuses is what ingest would dead-letter; its new items
                # count against the provider's limit, in the gateway's window
                return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                                    topic=topics.inbound, source=f"wirestream/ingest/{provider}",
                                    timeout_s=settings.kafka_timeout_s, parse_with=parse_pool.parse,
                                    acts_for=settings.acts_for(provider),
                                    window=polled_window(redis, keys, provider, settings.rate_limit_per_minute))

            async def dead_letter_polled(payload: bytes, content_type: str, provider: str, submission) -> None:
                # a feed whose only new items are refused: sent anyway, for ingest to dead-letter
                await send_submission(submission, payload, content_type, provider=provider, producer=producer,
                                      topic=topics.inbound, source=f"wirestream/ingest/{provider}",
                                      timeout_s=settings.kafka_timeout_s, refusals_alone=True)

            # several replicas may watch one drop folder: a file is read by the one that claims it
            drop_claims = (RedisClaims(redis, keys, settings.drop_dir, owner=process_identity(settings.replica))
                           if settings.drop_dir else None)
            async with feed_client(settings) as client:
                await asyncio.gather(
                    build_runner(settings, redis, parse_with=parse_pool.parse).run(stop),
                    poll_feeds_forever(settings.feeds, stop, client=client, redis=redis, keys=keys,
                                       submit=submit_polled, dead_letter=dead_letter_polled,
                                       concurrency=settings.feed_concurrency),
                    watch_drop_folder(settings.drop_dir, stop, interval_s=settings.drop_scan_interval_s,
                                      provider=settings.drop_provider, submit=submit_polled,
                                      max_bytes=settings.drop_max_bytes,
                                      claim=drop_claims),
                )
        finally:
            parse_pool.close()
            await producer.stop()
            await redis.aclose()

    run_service(SERVICE, settings, serve)


if __name__ == "__main__":
    main()
