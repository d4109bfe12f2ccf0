"""``python -m services.translation`` in a deployment that does not translate: it says
why and exits 0 (publishing reads ``articles.enriched``; nothing would read its output),
without touching Kafka or Redis."""
from __future__ import annotations

import os
import subprocess
import sys

from services.cli.stack.processes import REPO


def test_translation_without_a_target_language_says_why_and_exits_cleanly():
    env = {**os.environ, "WIRE_TARGET_LANGUAGES": "", "WIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
           "WIRE_REDIS_URL": "redis://127.0.0.1:1/0"}  # unreachable: it must not need them
    done = subprocess.run([sys.executable, "-m", "services.translation"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "WIRE_TARGET_LANGUAGES is empty" in done.stdout + done.stderr
