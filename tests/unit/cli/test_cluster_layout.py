"""What ``wire run --brokers 3 --replicas 2`` would start, without starting it: the
nodes' configuration, the replicas' names and settings."""
from __future__ import annotations

import pytest

from services.cli.run import parse_args, replica_env
from services.cli.stack.cluster import KafkaCluster
from services.cli.stack.pipeline import Pipeline


def properties(path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def test_three_nodes_are_each_broker_and_controller_of_one_quorum_with_replication_3(tmp_path):
    cluster = KafkaCluster(tmp_path, size=3, ports=[19092, 19094, 19096], controller_ports=[19093, 19095, 19097])
    for node in cluster.nodes:
        node.data_dir.mkdir(parents=True)
    configs = [properties(node._write_config()) for node in cluster.nodes]
    voters = "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    assert [c["node.id"] for c in configs] == ["1", "2", "3"]
    for config, port in zip(configs, (19092, 19094, 19096)):
        assert config["process.roles"] == "broker,controller"
        assert config["controller.quorum.voters"] == voters
        assert config["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
        assert config["default.replication.factor"] == config["offsets.topic.replication.factor"] == "3"
        assert config["transaction.state.log.replication.factor"] == "3"
        assert config["min.insync.replicas"] == config["transaction.state.log.min.isr"] == "2"
        assert int(config["group.min.session.timeout.ms"]) <= 3000
    assert len({node.cluster_id for node in cluster.nodes}) == 1
    assert cluster.bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    # started again later, the nodes keep their cluster id (their storage was formatted with it)
    assert KafkaCluster(tmp_path, size=3).nodes[0].cluster_id == cluster.nodes[0].cluster_id


def test_replicas_get_their_own_name_replica_setting_and_data_folder(tmp_path):
    stack = Pipeline(kafka_bootstrap="k:1", redis_url="redis://r", gateway_port=1, data_dir=tmp_path, replicas=2,
                     env=replica_env(3, 2))
    assert sorted(stack.processes) == sorted([f"{s}-{i}" for s in ("ingest", "enrichment", "stories", "publishing")
                                              for i in (1, 2)] + ["gateway"])
    one, two = stack.processes["enrichment-1"].env, stack.processes["enrichment-2"].env
    assert (one["WIRE_REPLICA"], two["WIRE_REPLICA"]) == ("1", "2")
    assert one["WIRE_DATA_DIR"] != two["WIRE_DATA_DIR"]
    assert one["WIRE_TOPIC_REPLICATION"] == "3" and int(one["WIRE_TOPIC_PARTITIONS"]) >= 2
    assert int(one["WIRE_KAFKA_SESSION_TIMEOUT_MS"]) <= 3000
    single = Pipeline(kafka_bootstrap="k:1", redis_url="redis://r", gateway_port=1, data_dir=tmp_path)
    assert sorted(single.processes) == ["enrichment", "gateway", "ingest", "publishing", "stories"]
    translating = Pipeline(kafka_bootstrap="k:1", redis_url="redis://r", gateway_port=1, data_dir=tmp_path,
                           replicas=2, env={**replica_env(3, 2), "WIRE_TARGET_LANGUAGES": "pt"})
    assert translating.replicas_of("translation") == ["translation-1", "translation-2"]


def test_enrichment_runs_its_models_and_its_stories_step_in_separate_processes(tmp_path):
    stack = Pipeline(kafka_bootstrap="k:1", redis_url="redis://r", gateway_port=1, data_dir=tmp_path, replicas=2)
    for i in (1, 2):
        reader, stories = stack.processes[f"enrichment-{i}"], stack.processes[f"stories-{i}"]
        assert reader.argv[-1] == stories.argv[-1] == "services.enrichment"
        assert (reader.env["WIRE_ENRICHMENT_STEPS"], stories.env["WIRE_ENRICHMENT_STEPS"]) == ("read", "stories")
    assert "WIRE_ENRICHMENT_STEPS" not in stack.processes["ingest-1"].env
    # each stories process keeps its faust state in a folder of its own
    assert len({stack.processes[f"stories-{i}"].env["WIRE_DATA_DIR"] for i in (1, 2)}) == 2


def test_wire_run_flags_and_their_environment_twins(monkeypatch):
    assert (parse_args(["--brokers", "3", "--replicas", "2"]).brokers, parse_args([]).replicas) == (3, 1)
    monkeypatch.setenv("WIRE_BROKERS", "3")
    monkeypatch.setenv("WIRE_REPLICAS", "2")
    assert (parse_args([]).brokers, parse_args([]).replicas) == (3, 2)
    with pytest.raises(SystemExit):
        parse_args(["--replicas", "0"])
    assert int(replica_env(3, 4)["WIRE_TOPIC_PARTITIONS"]) >= 4  # partitions >= replicas
