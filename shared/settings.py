"""Settings every Wirestream process shares, read from the environment (prefix WIRE_).

Each service extends :class:`WireSettings` with its own fields, so one object per
service holds all of its configuration. Defaults work on a developer machine.
"""
from __future__ import annotations

from pydantic import IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict


class WireSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIRE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prepended to every topic and consumer-group name: lets tests (and several
    # pipelines on one cluster) run side by side without sharing topics.
    topic_prefix: str = ""
    topic_partitions: int = 3
    topic_replication: int = 1
    log_level: str = "INFO"
    # Port of the Prometheus /metrics endpoint of a worker; 0 picks a free port,
    # -1 disables it.
    metrics_port: int = -1
    metrics_host: str = "127.0.0.1"
    # Records fetched per poll and how long one poll waits when nothing arrives.
    batch_max_records: int = 200
    batch_timeout_ms: int = 200
    # Attempts for a message whose handler raised a retriable error, before the DLQ.
    max_attempts: int = 5
    retry_backoff_ms: int = 200
    # Networks outbound HTTP (webhooks, feed polling) may reach although they are
    # private or loopback, as a JSON list of CIDRs ('["127.0.0.0/8"]'). Empty: only
    # public addresses. Cloud metadata addresses stay refused whatever is listed.
    outbound_allowed_networks: list[IPvAnyNetwork] = []
