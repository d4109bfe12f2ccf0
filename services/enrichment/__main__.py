"""Entry point: ``python -m services.enrichment`` runs the faust worker."""
from __future__ import annotations

import asyncio

import faust

from services.enrichment.app import SERVICE, create_app
from services.enrichment.settings import EnrichmentSettings
from shared.telemetry import serve_metrics
from shared.topics import Topics, ensure_topics


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.telemetry.JsonLines"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }


def main() -> None:
    settings = EnrichmentSettings()
    asyncio.run(ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix),
                              partitions=settings.topic_partitions, replication=settings.topic_replication))
    serve_metrics(settings.metrics_port, settings.metrics_host)
    app = create_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, logging_config=logging_config(settings.log_level),
                          quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
