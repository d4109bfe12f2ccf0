"""``wire rebuild-read-model``: rebuild the Redis read model from Kafka after Redis
lost its data. The work is publishing's (:mod:`services.publishing.read_model.rebuild`);
this is its command line."""
from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson

from services.publishing.read_model.rebuild import rebuild
from services.publishing.settings import PublishingSettings

__all__ = ["main_rebuild", "rebuild"]


def main_rebuild(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wire rebuild-read-model", description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", help="bootstrap servers (default: WIRE_KAFKA_BOOTSTRAP)")
    parser.add_argument("--redis", help="Redis URL (default: WIRE_REDIS_URL)")
    parser.add_argument("--prefix", help="topic/key prefix (default: WIRE_TOPIC_PREFIX)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("kafka_bootstrap", args.kafka), ("redis_url", args.redis),
                                   ("topic_prefix", args.prefix)) if v is not None}
    settings = PublishingSettings(**overrides)
    started = time.monotonic()
    counts = asyncio.run(rebuild(settings))
    print(orjson.dumps({**counts, "seconds": round(time.monotonic() - started, 2)}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main_rebuild(sys.argv[1:]))
