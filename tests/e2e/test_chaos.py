"""The short chaos run (``python -m services.cli.chaos --short`` in-session): ≈300
articles with updates through the gateway of the three-broker cluster with two
replicas per worker, while a broker, one replica of each service and a joining
replica disturb it. Deselect with ``-m 'not chaos'``."""
from __future__ import annotations

import orjson
import pytest

from services.cli.chaos import Chaos, short_schedule
from services.cli.chaos_check import table

pytestmark = [pytest.mark.e2e, pytest.mark.cluster, pytest.mark.chaos]


@pytest.mark.timeout(900)
def test_short_chaos_run_loses_and_repeats_nothing(kafka_cluster, redis_server, cluster_pipeline):
    prefix = cluster_pipeline.base_env["WIRE_TOPIC_PREFIX"]
    chaos = Chaos(kafka_cluster, redis_server, cluster_pipeline, prefix=prefix)
    report = chaos.run(articles=300, rate=10.0, steps=short_schedule(chaos), drain_timeout_s=240)
    summary = report.summary(chaos.accepted)
    print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    print(table(report))
    assert chaos.rejected == []
    assert len(chaos.accepted) > 300
    assert summary["lost"] == {"published": 0, "topic": 0, "webhook": 0}
    assert summary["duplicated"]["webhook"] == 0
    assert summary["out_of_order_stories"] == 0 and summary["bad_signatures"] == 0
    assert summary["dlq_without_reason"] == 0
    assert summary["unplanned_restarts"] == []
    assert all(lag == 0 for lag in summary["lag"].values()), summary["lag"]
