"""The faust-streaming peer: an agent that passes every record of SOURCE on to
SINK, timed from its first record until MESSAGES are produced and flushed; prints
``{"messages_per_s": …}`` and stops its worker.

``python -m bench.faust_peer BOOTSTRAP SOURCE SINK MESSAGES`` (run by
:func:`bench.peers.faust_rate`; a worker of its own, as faust wants its loop)."""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import uuid

import faust

from shared import kafka_fixes
from shared.bus import BATCH_BYTES


def build(bootstrap: str, source: str, sink: str, messages: int, datadir: str) -> faust.App:
    kafka_fixes.apply()  # the same patched aiokafka as the other two peers and the stories step
    app = faust.App(f"bench-faust-{uuid.uuid4().hex[:6]}", broker=f"kafka://{bootstrap}", store="memory://",
                    datadir=datadir,  # not faust's default, a folder left in the working directory
                    web_enabled=False, producer_acks=-1,  # acks=all, as the stages produce
                    producer_max_batch_size=BATCH_BYTES,  # the stages' batch (and the aiokafka peer's)
                    consumer_auto_offset_reset="earliest", topic_partitions=3)
    source_topic = app.topic(source, key_serializer="raw", value_serializer="raw")
    sink_topic = app.topic(sink, key_serializer="raw", value_serializer="raw")
    state = {"moved": 0, "started": None}

    @app.agent(source_topic)
    async def passthrough(stream):
        async for event in stream.events():
            state["started"] = state["started"] or time.perf_counter()
            await sink_topic.send(key=event.key, value=event.value)
            state["moved"] += 1
            if state["moved"] == messages:
                await app.producer.flush()
                rate = messages / (time.perf_counter() - state["started"])
                print(json.dumps({"messages_per_s": rate}), flush=True)
                os.kill(os.getpid(), signal.SIGTERM)  # the worker's own clean shutdown

    return app


def main(argv: list[str]) -> None:
    bootstrap, source, sink, messages = argv
    with tempfile.TemporaryDirectory(prefix="bench-faust-") as datadir:
        app = build(bootstrap, source, sink, int(messages), datadir)
        faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main(sys.argv[1:])
