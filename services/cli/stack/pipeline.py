"""The five Wirestream services as local child processes."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from services.cli.stack.processes import REPO, ChildProcess, wait_until
from shared.settings import WireSettings

# "enrichment" runs the language models (the read step), "stories" enrichment's single
# stories step: apart, so taking the stories partition over is not starved by the models.
SERVICES = ("ingest", "enrichment", "stories", "translation", "publishing", "gateway")
WORKERS = SERVICES[:-1]
# Runs only in a deployment that translates (``WIRE_TARGET_LANGUAGES`` names a language).
TRANSLATION = "translation"
# What a worker's processes run when it is not ``python -m services.<worker>``.
COMMANDS = {"enrichment": ("services.enrichment", {"WIRE_ENRICHMENT_STEPS": "read"}),
            "stories": ("services.enrichment", {"WIRE_ENRICHMENT_STEPS": "stories"})}
# Partitions per replica of the busiest service: work splits evenly, and a replica more can join.
PARTITIONS_PER_REPLICA = 3


def cores() -> int:
    """The CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_replicas(replicas: int = 1, *, enrichment: int | None = None) -> dict[str, int]:
    """What ``wire run`` starts: ``replicas`` of every worker, and of enrichment (the
    models, the pipeline's bottleneck) one per core unless ``enrichment`` says otherwise."""
    counts = dict.fromkeys(WORKERS, replicas)
    counts["enrichment"] = enrichment if enrichment is not None else max(replicas, cores())
    return counts


def translates(env: Mapping[str, str]) -> bool:
    """Whether a pipeline with ``env`` over this process's environment translates
    (``WIRE_TARGET_LANGUAGES`` names a language): else it runs no translation stage."""
    listed = env.get("WIRE_TARGET_LANGUAGES", os.environ.get("WIRE_TARGET_LANGUAGES", ""))
    return WireSettings(target_languages=listed).translates


def replica_counts(replicas: int | Mapping[str, int], *, translating: bool = True) -> dict[str, int]:
    """Replicas per worker service from one count for all or a per-service mapping
    (a service it does not name runs once); without ``translating``, none of
    translation. ValueError for an unknown service or a count below 1."""
    workers = [w for w in WORKERS if translating or w != TRANSLATION]
    if isinstance(replicas, int):
        replicas = dict.fromkeys(workers, replicas)
    unknown = set(replicas) - set(WORKERS)
    if unknown:
        raise ValueError(f"no worker service named {sorted(unknown)}; the workers are {list(WORKERS)}")
    counts = {service: int(replicas.get(service, 1)) for service in workers}
    if min(counts.values()) < 1:
        raise ValueError(f"every worker needs at least one replica, got {counts}")
    return counts


def partitions_for(replicas: int, at_least: int = 3) -> int:
    """Topic partitions for a layout whose busiest service runs ``replicas`` processes
    in one consumer group: never fewer than the replicas (a replica without a
    partition idles), ``PARTITIONS_PER_REPLICA`` each so the work splits evenly."""
    return max(at_least, replicas * PARTITIONS_PER_REPLICA)


class Pipeline:
    """Starts, watches and stops the services of one pipeline.

    Every service gets the same ``WIRE_*`` environment (Kafka, Redis, topic
    prefix); ``env`` adds or overrides settings. With ``log_dir`` each service
    logs to ``<log_dir>/<name>.log``, else to this process's terminal.

    ``replicas``: processes per worker, one count for all (``2``) or per service
    (``{"enrichment": 2}``; a service not named runs once; ``default_replicas()`` is
    what ``wire run`` starts). A worker with more than one runs as processes named
    ``<service>-<i>`` with ``WIRE_REPLICA=<i>`` (client ids, leases) and a data
    folder each; the gateway runs once. Translation runs only when ``env`` (or this
    process's environment) sets ``WIRE_TARGET_LANGUAGES``: a count for it is
    ignored otherwise, and publishing reads enrichment's output. Unless ``env`` sets
    ``WIRE_TOPIC_PARTITIONS``, topics get :func:`partitions_for` the busiest
    service's count; ValueError when ``env`` sets fewer partitions than that.
    """

    def __init__(self, *, kafka_bootstrap: str, redis_url: str, gateway_port: int, prefix: str = "",
                 data_dir: Path, log_dir: Path | None = None, env: dict[str, str] | None = None,
                 replicas: int | Mapping[str, int] = 1) -> None:
        self.gateway_port = gateway_port
        self.data_dir = data_dir
        self.log_dir = log_dir
        env = dict(env or {})
        self.translates = translates(env)
        self.replicas = replica_counts(replicas, translating=self.translates)
        most = max(self.replicas.values())
        if most > 1:
            at_least = int(os.environ.get("WIRE_TOPIC_PARTITIONS", 3))  # the children inherit it
            env.setdefault("WIRE_TOPIC_PARTITIONS", str(partitions_for(most, at_least=at_least)))
            if int(env["WIRE_TOPIC_PARTITIONS"]) < most:
                raise ValueError(f"WIRE_TOPIC_PARTITIONS={env['WIRE_TOPIC_PARTITIONS']} is fewer than the "
                                 f"{most} replicas of one service: some would get no partition")
        self.base_env = {
            "WIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "WIRE_REDIS_URL": redis_url,
            "WIRE_TOPIC_PREFIX": prefix,
            "WIRE_PORT": str(gateway_port),
            "WIRE_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: dict[str, ChildProcess] = {}
        for service, count in self.replicas.items():
            for replica in range(1, count + 1):
                self._add(service, replica if count > 1 else None)
        self._add("gateway", None)
        self.restarts: dict[str, float] = {}

    def _add(self, service: str, replica: int | None, *, start: bool = False) -> ChildProcess:
        name = service if replica is None else f"{service}-{replica}"
        module, settings = COMMANDS.get(service, (f"services.{service}", {}))
        # a data folder per process (faust's local state, a drop folder's claims)
        env = {**self.base_env, "WIRE_DATA_DIR": str(self.data_dir / name), **settings}
        if replica is not None:
            env["WIRE_REPLICA"] = str(replica)
        process = ChildProcess(name, [sys.executable, "-m", module],
                               log_path=self.log_dir / f"{name}.log" if self.log_dir else None, env=env, cwd=REPO)
        if start:  # started before it is listed: a supervisor never sees it not yet running
            process.start()
        self.processes[name] = process
        return process

    @property
    def workers(self) -> list[str]:
        """The worker services this pipeline runs, upstream first."""
        return list(self.replicas)

    def replicas_of(self, service: str) -> list[str]:
        return [name for name in self.processes if name == service or name.startswith(f"{service}-")]

    def next_replica(self, service: str) -> int:
        """The number the next replica of ``service`` gets (a lone, unnumbered one is 1)."""
        numbered = [int(name.rsplit("-", 1)[1]) for name in self.replicas_of(service) if name != service]
        return 1 + max(numbered) if numbered else 2

    def add_replica(self, service: str) -> str:
        """Start one more replica of ``service`` (it joins the consumer group)."""
        return self._add(service, self.next_replica(service), start=True).name

    def remove_replica(self, name: str) -> None:
        """Stop a replica (SIGTERM: it leaves the group at once) and forget it."""
        self.processes.pop(name).stop()

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start(self, timeout: float = 60.0) -> None:
        for process in self.processes.values():
            process.start()
        wait_until(self.gateway_ready, timeout=timeout, what="waiting for the gateway's /readyz",
                   process=self.processes["gateway"])

    def gateway_ready(self) -> bool:
        try:
            return httpx.get(f"{self.gateway_url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def restart_dead(self, *, min_interval: float = 5.0) -> list[str]:
        """Start again every service that exited (at most once per ``min_interval``)."""
        restarted = []
        for name, process in self.processes.items():
            if not process.alive() and time.monotonic() - self.restarts.get(name, 0) > min_interval:
                self.restarts[name] = time.monotonic()
                process.start()
                restarted.append(name)
        return restarted

    def stop(self) -> None:
        # The gateway first (no new work), then the workers, upstream to downstream.
        for service in ("gateway", *self.workers):
            for name in self.replicas_of(service):
                self.processes[name].stop()
