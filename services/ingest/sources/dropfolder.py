"""A watched drop folder for file-based wires.

A file is submitted once it has not changed for a moment (so half-written files are
left alone), then moved to ``processed/``; a file no parser can read is moved to
``failed/`` beside a ``<name>.error.txt`` that says why. Nothing is silently dropped.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from prometheus_client import Counter

from services.ingest.sources.feeds import Submit
from shared.errors import WireError
from shared.formats import content_type_for
from shared.inbound import KafkaUnavailable

log = logging.getLogger(__name__)
FILES = Counter("wire_ingest_drop_files_total", "Drop-folder files by outcome", ["outcome"])



def _move(path: Path, folder: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}-{int(time.time() * 1000)}{path.suffix}"
    return path.rename(target)


async def scan_drop_folder(folder: Path, *, provider: str, submit: Submit, settle_s: float = 1.0) -> dict[str, int]:
    """Submit every settled file in ``folder`` once. Returns counts per outcome.
    A file is left in place when Kafka is unavailable, to be tried at the next scan."""
    counts = {"submitted": 0, "failed": 0, "deferred": 0}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if time.time() - path.stat().st_mtime < settle_s:
            continue
        try:
            await submit(path.read_bytes(), content_type_for(path.name), provider)
        except KafkaUnavailable:
            counts["deferred"] += 1
            continue
        except (WireError, OSError) as exc:
            moved = _move(path, "failed")
            reason = f"{getattr(exc, 'code', type(exc).__name__)}: {exc}\n"
            moved.with_name(moved.name + ".error.txt").write_text(reason)
            log.warning("drop-folder file refused", extra={"file": path.name, "reason": reason.strip()})
            counts["failed"] += 1
            FILES.labels("failed").inc()
            continue
        _move(path, "processed")
        counts["submitted"] += 1
        FILES.labels("submitted").inc()
    return counts


async def watch_drop_folder(folder: Path | None, stop: asyncio.Event, *, interval_s: float, **deps) -> None:
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        await scan_drop_folder(folder, **deps)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except asyncio.TimeoutError:
            pass
