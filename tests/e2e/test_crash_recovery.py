"""Crashes while articles flow: nothing accepted may be lost."""
from __future__ import annotations

import asyncio

import pytest

from services.cli.status import collect
from services.cli.synthetic import synthetic_article
from shared.settings import WireSettings
from tests.e2e.client import submit, wait_published
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def lag_of(pipeline, service: str) -> int:
    """Records in ``service``'s input that its consumer group has not committed (what
    ``wire status`` shows)."""
    env = pipeline.base_env
    settings = WireSettings(kafka_bootstrap=env["WIRE_KAFKA_BOOTSTRAP"], redis_url=env["WIRE_REDIS_URL"],
                            topic_prefix=env["WIRE_TOPIC_PREFIX"])
    report = asyncio.run(collect(settings))
    return next(s["lag"] for s in report["services"] if s["service"] == service) or 0


@pytest.mark.parametrize("victim", ["ingest", "enrichment", "publishing"])
def test_sigkilled_service_restarts_and_every_article_is_published(pipeline, victim):
    ids = []
    base = {"ingest": 1000, "enrichment": 2000, "publishing": 3000}[victim]
    for n in range(base, base + 40):
        answer = submit(pipeline.gateway_url, synthetic_article(n, words=120).encode())
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
        if n == base + 15:
            pipeline.processes[victim].kill()  # SIGKILL mid-stream: no shutdown, no commit
    assert not pipeline.processes[victim].alive()
    # the stages before it go on: work piles up for the dead one, which its restart must take over
    wait_for(lambda: lag_of(pipeline, victim) > 0, what=f"articles waiting for the killed {victim}")
    assert pipeline.restart_dead(min_interval=0) == [victim]

    for article_id in ids:
        wait_published(pipeline.gateway_url, article_id, timeout=90)
