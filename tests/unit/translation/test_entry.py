"""``python -m services.translation`` in a deployment that does not translate: it says
why and idles until it is stopped (publishing reads ``articles.enriched``; nothing
would read its output), without touching Kafka or Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from services.cli.stack.processes import REPO


def test_translation_without_a_target_language_says_why_and_idles_until_stopped(tmp_path):
    env = {**os.environ, "WIRE_TARGET_LANGUAGES": "", "WIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
           "WIRE_REDIS_URL": "redis://127.0.0.1:1/0"}  # unreachable: it must not need them
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
        time.sleep(0.5)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
