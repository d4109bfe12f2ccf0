"""docker-compose.yml: Docker Compose itself accepts it (every profile), every WIRE_*
variable it or .env.example sets is a setting the service's code reads and they
validate, and the Prometheus/Grafana files query metrics the code defines.

Needs the official Compose CLI: `deploy/install-compose.sh` builds it into
.cache/docker/cli-plugins (no Docker engine is needed for `config`).
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.settings import WireSettings

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("WIRE_CACHE_DIR", REPO / ".cache"))
PLUGIN = CACHE / "docker" / "cli-plugins" / "docker-compose"


def compose_command() -> list[str]:
    if PLUGIN.is_file():
        return [str(PLUGIN)]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.fail(f"Docker Compose not found: run deploy/install-compose.sh (it builds {PLUGIN})")


def compose_config(*args: str, env_files: tuple[str, ...] = ()) -> dict:
    extra = [arg for name in env_files for arg in ("--env-file", str(REPO / name))]
    result = subprocess.run([*compose_command(), "--project-directory", str(REPO), "-f", str(REPO / "docker-compose.yml"),
                             "--env-file", str(REPO / ".env.example"), *extra, "--profile", "*", *args,
                             "config", "--format", "json"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def config() -> dict:
    return compose_config()


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def settings_class(module_name: str) -> type[WireSettings]:
    """The settings class a service's entry point instantiates (``XSettings()``)."""
    module = importlib.import_module(f"{module_name}.__main__")
    tree = ast.parse(Path(module.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found = getattr(module, node.func.id, None)
            if isinstance(found, type) and issubclass(found, WireSettings):
                return found
    raise AssertionError(f"{module_name}.__main__ instantiates no WireSettings subclass")


def wire_services(config: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """Compose service → (python module it runs, its environment)."""
    found = {}
    for name, service in config["services"].items():
        command = service.get("command") or []
        if command[:2] == ["python", "-m"]:
            found[name] = (command[2], service.get("environment") or {})
    return found


def fields(cls: type[WireSettings]) -> set[str]:
    prefix = cls.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


def test_compose_accepts_the_file_with_every_profile(config):
    assert {"kafka", "redis", "gateway", "ingest", "enrichment", "stories", "translation", "publishing",
            "libretranslate", "prometheus", "grafana"} <= set(config["services"])
    assert config["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert "--appendonly" in config["services"]["redis"]["command"]
    assert config["services"]["prometheus"]["profiles"] == ["monitoring"]
    assert config["services"]["libretranslate"]["profiles"] == ["libretranslate"]


def test_every_service_waits_for_healthy_dependencies_and_has_a_healthcheck(config):
    for name, (_module, _env) in wire_services(config).items():
        service = config["services"][name]
        assert service["image"] == "wirestream:latest" and service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["healthcheck"]["test"], name
        for dependency in ("kafka", "redis"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy", name
    for name in ("kafka", "redis", "libretranslate", "prometheus"):
        assert config["services"][name]["healthcheck"]["test"], name


def test_every_wire_variable_is_a_setting_the_service_reads(config, monkeypatch):
    example = {k: v for k, v in env_example().items() if k.startswith("WIRE_")}
    services = wire_services(config)
    assert {module for module, _ in services.values()} == {f"services.{name}" for name in (
        "gateway", "ingest", "enrichment", "translation", "publishing")}
    read_by_someone: set[str] = set()
    for name, (module, environment) in services.items():
        cls = settings_class(module)
        known = fields(cls)
        unknown = sorted(k for k in environment if k.startswith("WIRE_") and k not in known)
        assert not unknown, f"{name} ({cls.__name__}) reads no setting named {unknown}"
        read_by_someone |= known
        # And the values parse: the service would start with this configuration.
        for key in [k for k in os.environ if k.startswith("WIRE_")]:
            monkeypatch.delenv(key)
        for key, value in {**example, **environment}.items():
            if key.startswith("WIRE_"):
                monkeypatch.setenv(key, value)
        cls()
    stray = sorted(set(example) - read_by_someone)
    assert not stray, f".env.example sets {stray}, which no service reads"


def test_libretranslate_profile_points_translation_at_it(config):
    url = "http://libretranslate:5000"
    assert "WIRE_LIBRETRANSLATE_URL" in config["services"]["translation"]["environment"]
    assert f"WIRE_LIBRETRANSLATE_URL={url}" in (REPO / ".env.example").read_text()
    assert config["services"]["translation"]["depends_on"]["libretranslate"]["required"] is False


def test_prometheus_scrapes_every_service_on_the_port_it_serves_metrics_on(config):
    scrape = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    targets = {name: sd["port"] for job in scrape["scrape_configs"] for sd in job.get("dns_sd_configs", [])
               for name in sd["names"]}
    for name, (_module, environment) in wire_services(config).items():
        port = int(environment.get("WIRE_METRICS_PORT") or environment["WIRE_PORT"])
        assert targets[name] == port, name
    mounted = {v["source"] for v in config["services"]["prometheus"]["volumes"] if v["type"] == "bind"}
    assert str(REPO / "deploy/prometheus/prometheus.yml") in mounted


def test_grafana_dashboard_queries_metrics_the_code_defines():
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/wirestream.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {re.sub(r"_(bucket|sum|count)$", "", m) for e in exprs for m in re.findall(r"\bwire_[a-z_]+", e)}
    source = "\n".join(p.read_text() for d in ("shared", "services") for p in (REPO / d).rglob("*.py"))
    missing = sorted(m for m in used if f'"{m}"' not in source)
    assert not missing, f"the Grafana dashboard queries metrics no code defines: {missing}"
    datasource = yaml.safe_load((REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {datasource["datasources"][0]["uid"]}


def test_cluster_profile_runs_three_brokers_and_two_replicas_of_every_worker():
    cluster = compose_config(env_files=("deploy/cluster.env",))["services"]
    nodes = {name: cluster[name]["environment"] for name in ("kafka", "kafka-2", "kafka-3")}
    assert {env["KAFKA_NODE_ID"] for env in nodes.values()} == {"1", "2", "3"}
    for name, env in nodes.items():
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        for key in ("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR"):
            assert env[key] == "3", key
        for key in ("KAFKA_MIN_INSYNC_REPLICAS", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
            assert env[key] == "2", key
    for worker in ("ingest", "enrichment", "translation", "publishing"):
        replicas = [cluster[worker], cluster[f"{worker}-2"]]
        assert {r["command"][2] for r in replicas} == {f"services.{worker}"}
        assert [r["environment"]["WIRE_REPLICA"] for r in replicas] == ["1", "2"]
        for replica in replicas:
            assert replica["environment"]["WIRE_KAFKA_BOOTSTRAP"] == "kafka:9092,kafka-2:9092,kafka-3:9092"
            assert replica["environment"]["WIRE_TOPIC_REPLICATION"] == "3"
    for worker, steps in (("enrichment", "read"), ("stories", "stories")):  # enrichment's two steps apart
        replicas = [cluster[worker], cluster[f"{worker}-2"]]
        assert {r["command"][2] for r in replicas} == {"services.enrichment"}
        assert {r["environment"]["WIRE_ENRICHMENT_STEPS"] for r in replicas} == {steps}
        assert [r["environment"]["WIRE_REPLICA"] for r in replicas] == ["1", "2"]
    assert cluster["stories"]["volumes"][0]["source"] != cluster["stories-2"]["volumes"][0]["source"]
    # without deploy/cluster.env the same file is the single-node set-up
    single = compose_config()["services"]["kafka"]["environment"]
    assert single["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093" and single["KAFKA_MIN_INSYNC_REPLICAS"] == "1"
