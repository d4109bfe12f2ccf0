"""Replicas per service: ``wire run`` starts enrichment once per core by default, and
the Pipeline helper starts any per-service count with enough partitions for it."""
from __future__ import annotations

import pytest

from services.cli.run import parse_args, replica_env
from services.cli.stack import pipeline as stack
from services.cli.stack.pipeline import Pipeline, default_replicas


def layout(tmp_path, **kwargs) -> Pipeline:
    return Pipeline(kafka_bootstrap="k:1", redis_url="redis://r", gateway_port=1, data_dir=tmp_path, **kwargs)


def test_per_service_replicas_get_names_replica_settings_and_enough_partitions(tmp_path):
    two = layout(tmp_path, replicas={"enrichment": 2})
    assert sorted(two.processes) == ["enrichment-1", "enrichment-2", "gateway", "ingest", "publishing", "stories"]
    one, other = two.processes["enrichment-1"].env, two.processes["enrichment-2"].env
    assert (one["WIRE_REPLICA"], other["WIRE_REPLICA"]) == ("1", "2")
    assert one["WIRE_DATA_DIR"] != other["WIRE_DATA_DIR"]
    assert "WIRE_REPLICA" not in two.processes["ingest"].env
    assert int(one["WIRE_TOPIC_PARTITIONS"]) >= 2
    assert two.processes["ingest"].env["WIRE_TOPIC_PARTITIONS"] == one["WIRE_TOPIC_PARTITIONS"]  # one topic set
    assert (two.next_replica("enrichment"), two.next_replica("ingest")) == (3, 2)


def test_translation_runs_only_in_a_pipeline_that_has_a_target_language(tmp_path, monkeypatch):
    monkeypatch.delenv("WIRE_TARGET_LANGUAGES", raising=False)
    plain = layout(tmp_path, replicas={"translation": 2})  # a count for it changes nothing
    assert not plain.translates and "translation" not in plain.workers
    assert not [name for name in plain.processes if name.startswith("translation")]
    translating = layout(tmp_path, replicas={"translation": 2}, env={"WIRE_TARGET_LANGUAGES": "pt,es"})
    assert translating.translates and translating.replicas_of("translation") == ["translation-1", "translation-2"]
    assert translating.workers.index("translation") < translating.workers.index("publishing")
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", '["pt"]')  # the environment `wire run` is started in counts too
    assert layout(tmp_path).replicas_of("translation") == ["translation"]
    assert not layout(tmp_path, env={"WIRE_TARGET_LANGUAGES": ""}).translates  # env overrides it


def test_a_layout_that_would_leave_a_replica_without_a_partition_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fewer than the 4 replicas"):
        layout(tmp_path, replicas={"enrichment": 4}, env={"WIRE_TOPIC_PARTITIONS": "3"})
    with pytest.raises(ValueError, match="no worker service named"):
        layout(tmp_path, replicas={"enrichmnet": 2})
    with pytest.raises(ValueError, match="at least one replica"):
        layout(tmp_path, replicas={"ingest": 0})
    assert "WIRE_TOPIC_PARTITIONS" not in layout(tmp_path).base_env  # one replica each: the settings' default


def test_wire_run_starts_one_enrichment_process_per_core_unless_told(monkeypatch):
    monkeypatch.setattr(stack, "cores", lambda: 4)
    assert default_replicas() == {"ingest": 1, "enrichment": 4, "stories": 1, "translation": 1, "publishing": 1}
    assert default_replicas(2)["enrichment"] == 4 and default_replicas(8)["enrichment"] == 8
    assert default_replicas(1, enrichment=1)["enrichment"] == 1
    assert parse_args([]).enrichment_replicas is None
    assert parse_args(["--enrichment-replicas", "3"]).enrichment_replicas == 3
    monkeypatch.setenv("WIRE_ENRICHMENT_REPLICAS", "2")
    assert parse_args([]).enrichment_replicas == 2
    with pytest.raises(SystemExit):
        parse_args(["--enrichment-replicas", "0"])


def test_partitions_follow_the_busiest_service_and_failover_timeouts_the_cluster_layout():
    single_host = replica_env(1, 1, most_replicas=4)
    assert int(single_host["WIRE_TOPIC_PARTITIONS"]) >= 4
    assert "WIRE_KAFKA_SESSION_TIMEOUT_MS" not in single_host
    assert int(replica_env(3, 2)["WIRE_KAFKA_SESSION_TIMEOUT_MS"]) <= 3000
