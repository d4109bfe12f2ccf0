"""Crashes while articles flow: nothing accepted may be lost."""
from __future__ import annotations

import time

import pytest

from services.cli.synthetic import synthetic_article
from tests.e2e.client import submit, wait_published

pytestmark = pytest.mark.e2e


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
    time.sleep(0.5)
    assert pipeline.restart_dead(min_interval=0) == [victim]

    for article_id in ids:
        wait_published(pipeline.gateway_url, article_id, timeout=90)
