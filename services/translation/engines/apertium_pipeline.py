"""One Apertium mode kept running between calls, in null-flush mode.

Starting ``apertium <mode>`` loads a dozen programs and their transducers and
transfer rules for every call. Apertium's own answer (what its web service, APy,
does) is to keep the mode's programs running with ``-z``: each flushes its output
when it reads a NUL, so a text followed by ``\\0`` comes back translated followed
by ``\\0``. The programs are the ones ``apertium -z`` runs (``apertium-wblank-mode``
writes them from the mode file).

Not all of them forget a text when the next one comes: Apertium 3.8's HMM tagger
keeps context across a NUL (measured: the same article came out "alegado" instead
of "alegó" the second time), and a constraint grammar or anaphora resolver looks
at context by design. Those steps (``PER_TEXT``: small data, ~15 ms to start) run
afresh per call, without ``-z``, between the kept-running runs of the others; the
text deformatter and reformatter, which know nothing of NULs, run per call too, as
``apertium`` runs them. So the output is the one-shot command's, byte for byte.
One text is in each kept-running part at a time (two calls overlap in different
parts); a part that dies, hangs or fails is killed and started again next call.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import signal
import subprocess
from pathlib import Path

from services.translation.engines.base import EngineUnavailable

log = logging.getLogger(__name__)
PER_TEXT = ("apertium-tagger", "cg-proc", "vislcg3", "apertium-anaphora")
_LIMIT = 64 * 1024 * 1024  # the longest answer read back (a batch of many articles)


class KeptRunning:
    """Some of a mode's programs (a shell pipe run with ``-z``) as one long-lived
    process group; ``args`` are the mode's $1 and $2."""

    def __init__(self, script: str, args: tuple[str, str], *, name: str, timeout_s: float) -> None:
        self.script, self.args, self.name, self.timeout_s = script, args, name, timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, data: bytes) -> bytes:
        async with self._lock:
            proc = await self._started()
            # written while the answer is read: a text longer than the pipes' buffers
            # would otherwise block the programs on their full output, and us on input
            writing = asyncio.create_task(self._write(proc, data + b"\0"))
            try:
                answer = await asyncio.wait_for(proc.stdout.readuntil(b"\0"), self.timeout_s)
                await writing
                return answer[:-1]
            except asyncio.TimeoutError as exc:
                await self._stop()
                raise EngineUnavailable(f"apertium {self.name} took longer than {self.timeout_s:.0f}s") from exc
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                await self._stop()
                raise EngineUnavailable(f"apertium {self.name} failed: {exc!r}; "
                                        f"{' | '.join(self._stderr)[-300:]}") from exc
            except asyncio.CancelledError:  # its answer would go to the next caller: start afresh
                await self._stop()
                raise
            finally:
                if not writing.done():
                    writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)

    @staticmethod
    async def _write(proc: asyncio.subprocess.Process, data: bytes) -> None:
        try:
            proc.stdin.write(data)
        except RuntimeError as exc:  # uvloop's word for a pipe its reader has closed
            raise BrokenPipeError(f"apertium's input is closed: {exc}") from exc
        await proc.stdin.drain()

    async def _started(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        await self._stop()
        try:
            # its own session: bash and every program of the pipe are killed as one group
            self._proc = await asyncio.create_subprocess_exec(
                "bash", "-c", self.script, "apertium", *self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True, limit=_LIMIT)
        except OSError as exc:
            raise EngineUnavailable(f"cannot start apertium {self.name}: {exc}") from exc
        self._stderr_reader = asyncio.create_task(self._keep_stderr(self._proc))
        log.info("apertium programs started", extra={"mode": self.name, "pid": self._proc.pid})
        return self._proc

    async def _keep_stderr(self, proc: asyncio.subprocess.Process) -> None:
        # read so that a chatty program never blocks on a full pipe; the tail explains a failure
        while line := await proc.stderr.readline():
            self._stderr.append(line.decode("utf-8", "replace").strip())

    async def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        await proc.wait()

    async def aclose(self) -> None:
        async with self._lock:
            await self._stop()


class ModePipeline:
    """``mode_file``'s translation: deformat, the mode's programs (kept running where
    that is safe), reformat. ``unknown_marks=False`` is ``apertium -u``."""

    def __init__(self, mode_file: Path, *, unknown_marks: bool = False, timeout_s: float = 60.0) -> None:
        self.mode_file = mode_file
        self.args = ("-g" if unknown_marks else "-n", "")  # what ``apertium`` passes the mode as $1, $2
        self.timeout_s = timeout_s
        self.steps: list = []
        self._planning = asyncio.Lock()

    async def translate(self, text: str) -> str:
        """``text`` (any number of paragraphs) translated. Raises EngineUnavailable
        when a program cannot be started, fails or takes over ``timeout_s``."""
        data = await run_filter(["apertium-destxt"], text.replace("\0", "").encode("utf-8"), self.timeout_s)
        for step in self.steps or await self._plan():
            data = await step(data)
        return (await run_filter(["apertium-retxt"], data, self.timeout_s)).decode("utf-8", "replace")

    async def _plan(self) -> list:
        """The mode's programs as steps: runs of kept-running ones, and PER_TEXT ones."""
        async with self._planning:  # once, however many calls come first
            return self.steps or await self._split()

    async def _split(self) -> list:
        flushing = await self._programs("-z")
        plain = await self._programs()
        steps, kept = [], []
        for with_z, without in zip(flushing, plain, strict=True):
            if without.split()[0] in PER_TEXT:
                if kept:
                    steps.append(self._kept(kept))
                    kept = []
                steps.append(self._per_text(without))
            else:
                kept.append(with_z)
        if kept:
            steps.append(self._kept(kept))
        self.steps = steps
        return steps

    async def _programs(self, *flags: str) -> list[str]:
        script = await run_filter(["apertium-wblank-mode", *flags, str(self.mode_file)], b"", self.timeout_s)
        return [part.strip() for part in script.decode().strip().split(" | ")]

    def _kept(self, programs: list[str]) -> KeptRunning:
        return KeptRunning(" | ".join(programs), self.args, name=self.mode_file.stem, timeout_s=self.timeout_s)

    def _per_text(self, program: str):
        async def step(data: bytes) -> bytes:
            return await run_filter(["bash", "-c", program, "apertium", *self.args], data, self.timeout_s)
        return step

    async def aclose(self) -> None:
        for step in self.steps:
            if isinstance(step, KeptRunning):
                await step.aclose()


async def run_filter(argv: list[str], data: bytes, timeout_s: float) -> bytes:
    """``argv``'s output for ``data`` on its standard input (EngineUnavailable if it fails)."""
    try:
        # nothing to give it: no pipe (a program that never reads would close it under our write)
        proc = await asyncio.create_subprocess_exec(*argv, stdin=subprocess.PIPE if data else subprocess.DEVNULL,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise EngineUnavailable(f"cannot start {argv[0]}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(data or None), timeout_s)
    except asyncio.TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise EngineUnavailable(f"{argv[0]} took longer than {timeout_s:.0f}s") from exc
    except RuntimeError as exc:  # uvloop: it closed its input before reading all of it
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise EngineUnavailable(f"{argv[0]} closed its input unread: {exc}") from exc
    if proc.returncode != 0:
        raise EngineUnavailable(f"{argv[0]} exited with {proc.returncode}: {err.decode('utf-8', 'replace')[:300]}")
    return out
