"""Settings every Wirestream process shares, read from the environment (prefix WIRE_).

Each service extends :class:`WireSettings` with its own fields, so one object per
service holds all of its configuration. Defaults work on a developer machine.
"""
from __future__ import annotations

import typing

import orjson
from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict


class _Environment(EnvSettingsSource):
    """The environment, where a list may also be written the natural way:
    ``WIRE_TARGET_LANGUAGES=pt,es`` as well as ``["pt","es"]``."""

    def decode_complex_value(self, field_name, field, value):
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            if typing.get_origin(field.annotation) is list and isinstance(value, str):
                return [part.strip() for part in value.split(",") if part.strip()]
            raise


class WireSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIRE_", extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls), dotenv_settings, file_secret_settings

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
    # A stage commits its delivered offsets at most this often (and whenever its input
    # runs dry, its partitions are revoked or it stops). Every commit is a write to
    # the broker's offsets log: per batch, it cost the broker about a quarter of its
    # CPU under load. A replica killed outright redoes at most this much of its input,
    # and the deterministic ids make the redo a no-op downstream. 0: commit every batch.
    commit_interval_ms: int = 1000
    # Attempts for a message whose handler raised a retriable error, before the DLQ.
    max_attempts: int = 5
    retry_backoff_ms: int = 200
    # When the error is Redis or Kafka being unreachable (shared.errors.is_outage) the
    # record is not to blame: it is retried, backing off up to 5 s, for this long
    # before the DLQ (kept under the consumer's 300 s max.poll.interval).
    outage_wait_s: float = 240.0
    # The largest record any service produces (producer max_request_size). Topics are
    # created with max.message.bytes at this size and the shipped broker accepts it
    # (deploy/kafka/server.properties message.max.bytes), so a record the gateway
    # accepted is never refused further down the pipeline.
    max_record_bytes: int = 8 * 1024 * 1024
    # Payloads are parsed in this many worker processes (shared/parse_pool.py), each
    # payload within a time budget (past it: "too complex to parse", 422 or the DLQ).
    parse_workers: int = 2
    parse_timeout_s: float = 5.0
    # Each worker is replaced after this many payloads, or sooner after the payload that
    # took its resident memory past parse_worker_max_mb (a worker starts at ~100 MiB, is
    # flat over 6,000 ordinary payloads, and a 5 MiB HTML body leaves it ~100 MiB larger;
    # crafted payloads can leave more: lxml keeps every name it saw). Starting a worker
    # costs ~0.7 s of CPU: replaced every 1,000 payloads, that was 0.7 ms of every article's.
    parse_max_tasks: int = Field(10_000, ge=1)
    parse_worker_max_mb: int = Field(256, ge=128)

    # Networks outbound HTTP (webhooks, feed polling) may reach although they are
    # private or loopback, as a JSON list of CIDRs ('["127.0.0.0/8"]'). Empty: only
    # public addresses. Cloud metadata addresses stay refused whatever is listed.
    outbound_allowed_networks: list[IPvAnyNetwork] = []
    # Which replica of its service this process is (several run in one consumer
    # group): names its Kafka clients ``<service>-<replica>`` so an operator sees
    # who owns which partitions, and its webhook/embargo leases.
    replica: str = "1"
    # Group membership. A dead replica's partitions move after the session timeout
    # (the broker's group.min.session.timeout.ms must allow it; the local stack
    # sets 1 s). A SIGTERMed replica leaves the group at once (dynamic membership).
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    # How long a rebalance waits for the batch in hand to be delivered and
    # committed before the partitions are given up anyway.
    rebalance_drain_s: float = 30.0
    # Leases of work done by one replica at a time (a subscription's webhook queue,
    # embargo release): a dead holder's work moves to another replica after this.
    lease_ms: int = 3_000
    # Providers allowed to update, correct or kill stories other providers own
    # (aggregators re-sending agency copy): '{"aggregator": ["ap", "dpa"]}'.
    relays: dict[str, list[str]] = {}
    # Uri prefixes only one provider (and its relays) may send stories under, compared
    # without case: '{"ap": ["urn:newsml:ap.org:", "https://apnews.com/"]}'. Elsewhere the
    # first provider to send a uri owns it, so without this another provider could take
    # a predictable uri (one from the agency's public feed) first and lock the agency out.
    uri_owners: dict[str, list[str]] = {}
    # Articles a provider may submit per minute: the items of its requests (a bulk or a
    # feed counts each), counted by the gateway (429 with Retry-After above it), and the
    # new items ingest's pollers (its feeds, the drop folder) would send for it, in the
    # same window; 0 = no limit.
    rate_limit_per_minute: int = 6000
    # Seals webhook secrets at rest (gateway and publishing must share it). Unset: a
    # development key, which the gateway accepts only while it listens on loopback.
    secret_key: str | None = None

    # Languages every article is published in, e.g. WIRE_TARGET_LANGUAGES=pt,es. Every
    # service reads it: empty (the default), the deployment does not translate, no
    # translation stage runs and publishing reads articles.enriched (one Kafka hop and
    # one process fewer); else publishing reads translation's articles.translated.
    target_languages: list[str] = []

    @field_validator("target_languages", mode="before")
    @classmethod
    def _listed(cls, value):
        """A string as the environment writes it (``pt,es`` or ``["pt","es"]``)."""
        if isinstance(value, str):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("target_languages")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        tags = [t.strip() for t in value]
        if any(not t or not t.replace("-", "").isalnum() for t in tags):
            raise ValueError(f"target languages must be BCP 47 tags like 'pt' or 'pt-BR', got {value}")
        return tags

    @field_validator("uri_owners")
    @classmethod
    def _prefixes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        claimed: dict[str, str] = {}
        for provider, prefixes in value.items():
            for prefix in prefixes:
                if len(prefix.strip()) < 4 or ":" not in prefix:
                    raise ValueError(f"WIRE_URI_OWNERS: {prefix!r} of {provider!r} is no uri prefix "
                                     "(a scheme and more, e.g. 'urn:newsml:ap.org:' or 'https://apnews.com/')")
                other = claimed.setdefault(prefix.strip().casefold(), provider)
                if other != provider:
                    raise ValueError(f"WIRE_URI_OWNERS: {prefix!r} is given to both {other!r} and {provider!r}")
        return value

    @property
    def translates(self) -> bool:
        """Whether this deployment runs the translation stage (publishing reads its output)."""
        return bool(self.target_languages)

    def acts_for(self, provider: str) -> list[str]:
        """The providers whose stories ``provider`` may change: itself and those it relays."""
        return [provider, *(p for p in self.relays.get(provider, ()) if p != provider)]
