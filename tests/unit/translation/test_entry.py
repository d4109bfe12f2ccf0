"""``python -m services.translation`` in a deployment that does not translate: it says
why and idles until it is stopped, serving its metrics endpoint (publishing reads
``articles.enriched``; nothing would read its output), without touching Kafka or Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from services.cli.stack.processes import REPO, free_port


def test_translation_without_a_target_language_says_why_and_idles_until_stopped(tmp_path):
    port = free_port()
    env = {**os.environ, "WIRE_TARGET_LANGUAGES": "", "WIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
           "WIRE_REDIS_URL": "redis://127.0.0.1:1/0",  # unreachable: it must not need them
           "WIRE_METRICS_PORT": str(port)}
    log = tmp_path / "translation.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "services.translation"], env=env, cwd=REPO,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "WIRE_TARGET_LANGUAGES is empty" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()  # idles: a restarting platform would loop
            time.sleep(0.1)
        assert "translation idles until it is stopped" in log.read_text()
        # a container's health check polls the metrics endpoint: an idle translation is healthy
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
