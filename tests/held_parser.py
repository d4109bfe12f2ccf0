"""A parser a test can hold: for tests that need a parse worker busy until they say
so. Module level and light, so spawned parse workers import it by name."""
from __future__ import annotations

import time
from pathlib import Path

from shared.formats import parse
from shared.formats.base import ParsedItem

HOLD = b"hold "


def held(folder: Path, name: str, article: bytes) -> bytes:
    """A payload that :func:`parse_held` parses as ``article`` once ``folder``/release
    exists, after marking ``folder``/``name``.started."""
    return HOLD + f"{folder} {name}\n".encode() + article


def release(folder: Path) -> None:
    (folder / "release").touch()


def started(folder: Path) -> set[str]:
    """The names of the held payloads a worker has started on."""
    return {p.name.removesuffix(".started") for p in folder.glob("*.started")}


def parse_held(payload: bytes, content_type: str | None, *, provider: str) -> list[ParsedItem]:
    """:func:`shared.formats.parse`, except that a :func:`held` payload first waits
    (at most 120 s) for its release."""
    if payload.startswith(HOLD):
        head, _, payload = payload.partition(b"\n")
        folder, name = head[len(HOLD):].decode().split(" ")
        (Path(folder) / f"{name}.started").touch()
        deadline = time.monotonic() + 120
        while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    return parse(payload, content_type, provider=provider)
