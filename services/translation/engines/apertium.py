"""Apertium (Debian packages): rule-based translation run as subprocesses.

A batch's segments are joined by a blank line, which Apertium keeps as a hard
boundary (a single line break is not one: words may move across it), and split
again afterwards. Each mode's programs are started once and kept running in
null-flush mode, those whose output would change run per call (see
apertium_pipeline.py): starting them all loads a dozen programs' data, 0.1–0.7 s
a call. Where that is not available (no ``apertium-wblank-mode``,
Apertium older than 3.8, or ``keep_running=False``) it is one ``apertium -u <mode>``
process per batch. ``-u`` drops the "*" marks on unknown words, which is also
what keeps placeholders intact. Output is a gist: labelled rule-based, never
passed off as a neural translation.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from services.translation.engines.apertium_pipeline import ModePipeline
from services.translation.engines.base import (RULE_BASED_GIST, EngineFailed, EngineUnavailable, Pair,
                                               Provenance)

log = logging.getLogger(__name__)

# BCP 47 primary tag → Apertium's ISO 639-3 code (the languages Debian packages pair).
ISO3 = {"en": "eng", "es": "spa", "ca": "cat", "pt": "por", "fr": "fra", "it": "ita", "gl": "glg",
        "oc": "oci", "eu": "eus", "ro": "ron", "de": "deu", "nl": "nld", "af": "afr", "da": "dan",
        "sv": "swe", "nb": "nob", "nn": "nno", "is": "isl", "eo": "epo", "cy": "cym", "br": "bre"}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class ApertiumEngine:
    name = "apertium"
    placeholder = "X{}X"

    def __init__(self, *, binary: str = "apertium", timeout_s: float = 60.0, keep_running: bool = True) -> None:
        self.binary = shutil.which(binary) or binary
        self.timeout_s = timeout_s
        self.modes = installed_modes(self.binary)
        self.keep_running = keep_running and shutil.which("apertium-wblank-mode") is not None
        self._pipelines: dict[str, ModePipeline] = {}

    def mode(self, pair: Pair) -> str | None:
        source, target = ISO3.get(pair.source), ISO3.get(pair.target)
        name = f"{source}-{target}"
        return name if source and target and name in self.modes else None

    def supports(self, pair: Pair) -> bool:
        return self.mode(pair) is not None

    def provenance(self, pair: Pair) -> Provenance:
        mode = self.mode(pair) or f"{pair}"
        package = _package_of(mode)
        return Provenance(engine=self.name, model=f"{package} {_package_version(package)} ({mode})",
                          quality=RULE_BASED_GIST, label=f"Apertium {_package_version('apertium')}")

    async def translate(self, segments: list[str], pair: Pair) -> list[str]:
        mode = self.mode(pair)
        if mode is None:
            raise EngineFailed(f"no Apertium mode for {pair.arrow} (installed: {', '.join(sorted(self.modes))})")
        if not segments:
            return []
        out = _BLANK_LINE.split((await self._run(mode, "\n\n".join(segments))).strip("\n"))
        if len(out) == len(segments):
            return [text.strip() for text in out]
        # Should not happen (a blank line is a hard boundary); one call per segment is slow but exact.
        log.warning("apertium changed the segment count, translating one by one",
                    extra={"sent": len(segments), "got": len(out), "mode": mode})
        return [(await self._run(mode, text)).strip() for text in segments]

    async def _run(self, mode: str, text: str) -> str:
        pipeline = self._pipeline(mode)
        if pipeline is not None:
            return await pipeline.translate(text)
        return await self._run_once(mode, text)

    def _pipeline(self, mode: str) -> ModePipeline | None:
        if mode not in self._pipelines and self.keep_running and (path := mode_file(mode)) is not None:
            self._pipelines[mode] = ModePipeline(path, unknown_marks=False, timeout_s=self.timeout_s)
        return self._pipelines.get(mode)

    async def _run_once(self, mode: str, text: str) -> str:
        try:
            proc = await asyncio.create_subprocess_exec(
                self.binary, "-u", mode, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise EngineUnavailable(f"cannot start {self.binary}: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(text.encode("utf-8")), self.timeout_s)
        except asyncio.TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise EngineUnavailable(f"apertium {mode} took longer than {self.timeout_s:.0f}s") from exc
        if proc.returncode != 0:
            raise EngineUnavailable(f"apertium {mode} exited with {proc.returncode}: "
                                    f"{err.decode('utf-8', 'replace')[:300]}")
        return out.decode("utf-8", "replace")

    async def aclose(self) -> None:
        for pipeline in self._pipelines.values():
            await pipeline.aclose()


def installed_modes(binary: str = "apertium") -> set[str]:
    """The translation modes ``apertium -l`` lists (empty when Apertium is absent)."""
    try:
        listing = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.strip() for line in listing.stdout.splitlines() if line.strip()}


def mode_file(mode: str) -> Path | None:
    """``mode``'s .mode file (the pipeline it runs), where ``apertium`` looks for it."""
    folders = [os.environ.get("APERTIUM_DATADIR", "/usr/share/apertium"), "/usr/local/share/apertium"]
    return next((path for folder in folders if (path := Path(folder) / "modes" / f"{mode}.mode").exists()), None)


@cache
def _package_of(mode: str) -> str:
    """The Debian package holding ``mode``'s data, read from its .mode file."""
    path = mode_file(mode)
    if path is not None:
        found = re.search(r"/apertium/(apertium-[a-z]+-[a-z]+)/", path.read_text(errors="replace"))
        if found:
            return found.group(1)
    return f"apertium-{mode}"


@cache
def _package_version(package: str) -> str:
    """The installed Debian version of ``package`` ("unknown" off Debian)."""
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"
