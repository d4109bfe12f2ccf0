"""A watched drop folder for file-based wires.

A file is submitted once it has not changed for a moment (so half-written files are
left alone), then moved to ``processed/``; a file no parser can read is moved to
``failed/`` beside a ``<name>.error.txt`` that says why. Nothing is silently dropped.

Only regular files are read: symlinks (which could point anywhere), FIFOs, sockets
and devices are skipped and logged once. Files are opened without following links
and moved through directory descriptors opened the same way, so ``processed/`` or
``failed/`` being a symlink stops the watcher instead of moving files elsewhere; the
error file is created exclusively, so nothing pre-placed under its name is written
through.

A file with items of another provider's stories is sent with them when it holds new
work (ingest dead-letters them, the others flow) and goes to ``failed/`` when it holds
nothing else. A store outage (Redis, Kafka) leaves the files in place and the watcher
waits for the store, backing off; an error nobody foresaw leaves that one file in
place and the scan goes on. Nothing stops ingest but a symlinked ``processed/`` or
``failed/`` at start.

Several ingest replicas may watch one folder (``wire run --replicas 2`` passes the
same ``WIRE_DROP_DIR`` to both; a shared mount does it across hosts): a file is read
by the replica that claims it first in Redis (:class:`RedisClaims`, by the folder,
the name and the file's size and mtime), not by each, which sent it twice and
had the slower replica report a file it could not move.
"""
from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import Protocol

from prometheus_client import Counter

from services.ingest.sources.feeds import Submit
from shared import replica
from shared.errors import WireError, is_outage
from shared.formats import content_type_for
from shared.heartbeat import record_error
from shared.inbound import KafkaUnavailable, refusal
from shared.rate_window import RateLimited
from shared.stopping import sleep_until

log = logging.getLogger(__name__)
FILES = Counter("wire_ingest_drop_files_total", "Drop-folder files by outcome", ["outcome"])
OUTCOMES = ("processed", "failed")
# Longest wait between scans while a store is unreachable.
MAX_OUTAGE_WAIT_S = 30.0
_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
# A file's claim lasts this long: a replica that dies holding it leaves the file to the
# others after that (reading, parsing and sending one takes seconds). The claim of a file
# sent but stuck in place (it cannot be moved out) is renewed at every scan instead.
CLAIM_S = 300
Mark = tuple[int, int, int]  # a file as it is now: inode, size, mtime in ns


class Claim(Protocol):
    async def __call__(self, name: str, mark: Mark) -> bool:
        """Whether this replica reads the file ``name`` (as ``mark`` says it is now)."""

    async def keep(self, name: str, mark: Mark) -> None:
        """Go on holding it: sent, but stuck in place."""


class RedisClaims:
    """Claims of files in ``folder`` among ingest replicas: the first to ask for a file
    (the folder as configured, its name, size and mtime in whole seconds: what every
    host mounting a shared folder sees alike, unlike its real path or inode) gets it for
    ``CLAIM_S``, and keeps getting it (a file left in place, Kafka being down, is tried
    again by the same replica). A file it sent but cannot move stays its own while it
    lives (:meth:`keep`), not sent again by another replica when the claim would end."""

    def __init__(self, redis, keys, folder: Path, *, owner: str) -> None:
        self.redis, self.keys, self.place, self.owner = redis, keys, str(folder), owner

    def _key(self, name: str, mark: Mark) -> str:
        _, size, mtime_ns = mark
        seen = f"{self.place}\0{name}\0{size}\0{mtime_ns // 1_000_000_000}"
        return self.keys.drop_claim(hashlib.sha256(seen.encode("utf-8", "surrogateescape")).hexdigest())

    async def __call__(self, name: str, mark: Mark) -> bool:
        return await replica.claim(self.redis, self._key(name, mark), self.owner, ttl_ms=CLAIM_S * 1000, again=True)

    async def keep(self, name: str, mark: Mark) -> None:
        await replica.renew(self.redis, self._key(name, mark), self.owner, ttl_ms=CLAIM_S * 1000)


class UnsafeDropFolder(RuntimeError):
    """``processed/`` or ``failed/`` is a symlink or not a folder: files would go elsewhere."""


class NotRegularFile(Exception):
    """The entry is a symlink, FIFO, socket or device (or became one after listing)."""


class StillChanging(Exception):
    """The file is not the one listed and claimed any more, or changed while it was read."""


class FileTooLarge(WireError):
    code = "too_large"


def _subfolder(folder_fd: int, name: str) -> int:
    """A descriptor of ``<folder>/<name>``, made if missing, never through a symlink."""
    try:
        os.mkdir(name, 0o755, dir_fd=folder_fd)
    except FileExistsError:
        pass
    try:
        return os.open(name, _NOFOLLOW_DIR, dir_fd=folder_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeDropFolder(f"{name}/ of the drop folder is a symlink or not a folder") from exc
        raise


def _read_regular(folder_fd: int, name: str, max_bytes: int, mark: Mark | None = None) -> bytes:
    """The file's bytes. ``mark``: the file as it was listed and claimed (inode, size,
    mtime): one that is another file now, or changes while it is read, raises
    StillChanging (a writer rewriting it in place; read it once it is done)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile("a symlink") from exc
        raise
    with os.fdopen(fd, "rb") as file:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegularFile(_kind(before.st_mode))
        if mark is not None and _mark(before) != mark:
            raise StillChanging("changed since it was listed")
        data = file.read(max_bytes + 1)
        if mark is not None and _mark(os.fstat(fd)) != mark:
            raise StillChanging("changed while it was read")
    if len(data) > max_bytes:
        raise FileTooLarge(f"file over {max_bytes} bytes")
    return data


def _mark(status: os.stat_result) -> Mark:
    return status.st_ino, status.st_size, status.st_mtime_ns


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a regular file"


# The longest file name most file systems take, in bytes: a name made from a dropped
# file's (numbered to be free, or with ".error.txt") is cut to fit, or its rename
# fails with ENAMETOOLONG on every scan.
NAME_MAX = 255


def _fitted(stem: str, tail: str) -> str:
    """``stem + tail``, the stem cut so that the name fits NAME_MAX bytes: at a character
    when the name is UTF-8, else at a byte (a name that is no UTF-8 comes as
    surrogate escapes, and is kept as its bytes)."""
    room = max(1, NAME_MAX - len(os.fsencode(tail)))
    raw = os.fsencode(stem)
    if len(raw) <= room:
        return stem + tail
    for end in range(room, max(room - 4, 0), -1):
        try:
            return raw[:end].decode("utf-8") + tail
        except UnicodeDecodeError:
            continue
    return os.fsdecode(raw[:room]) + tail


def _free_name(dir_fd: int, name: str) -> str:
    candidate, n = name, 0
    while True:
        try:
            os.stat(candidate, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return candidate
        n += 1
        stem, dot, suffix = name.rpartition(".")
        numbered = f"-{int(time.time() * 1000)}-{n}"
        if dot and stem and len(os.fsencode(suffix)) < 32:
            candidate = _fitted(stem, f"{numbered}.{suffix}")
        else:
            candidate = _fitted(name, numbered)


def _move(folder_fd: int, name: str, target_fd: int) -> str:
    target = _free_name(target_fd, name)
    os.rename(name, target, src_dir_fd=folder_fd, dst_dir_fd=target_fd)
    return target


def _write_reason(dir_fd: int, name: str, reason: str) -> str:
    """Write ``reason`` to a new ``<name>.error.txt`` (or a numbered one when that
    name is taken — by anything, a symlink included: it is never opened)."""
    for n in range(100):
        path = _fitted(name, ".error.txt" if n == 0 else f".{n}.error.txt")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as file:
            file.write(reason)
        return path
    raise OSError(f"no free error-file name for {name}")


def _left_in_place(counts: dict[str, int], name: str, exc: OSError) -> None:
    counts["deferred"] += 1
    record_error("ingest", exc)
    log.error("drop-folder file could not be moved: left in place", extra={"file": name, "error": repr(exc)})


def check_drop_folder(folder: Path) -> None:
    """Raise UnsafeDropFolder unless ``processed/`` and ``failed/`` are real folders
    (made when missing)."""
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in OUTCOMES:
            os.close(_subfolder(folder_fd, name))
    finally:
        os.close(folder_fd)


async def scan_drop_folder(folder: Path, *, provider: str, submit: Submit, settle_s: float = 1.0,
                           max_bytes: int = 5 * 1024 * 1024, reported: set[str] | None = None,
                           stuck: dict[str, Mark] | None = None, claim: Claim | None = None,
                           paused: dict[str, float] | None = None) -> dict[str, int]:
    """Submit every settled regular file in ``folder`` once. Returns counts per outcome.
    A file is left in place when Kafka is unavailable, to be tried at the next scan.
    Entries that are not regular files are counted as "skipped" and logged once per
    name in ``reported``. A file that fails in a way nobody foresaw is left in place
    (counted "deferred") and the scan goes on. A file submitted (or refused) that
    cannot be moved out is left in place and remembered in ``stuck`` by its inode,
    size and mtime: later scans leave it alone (counted "deferred", logged once)
    instead of reading, parsing and sending it again each time, until it changes or
    goes. With ``claim``, a file another replica claimed is left to it (counted
    "deferred"). Raises UnsafeDropFolder before touching any file when ``processed/`` or
    ``failed/`` is not a real folder, and a store outage (``is_outage``) as it meets
    one: the files not yet submitted stay. ``paused`` (kept by the caller across scans):
    once a file's new items did not fit in the provider's rate limit, the scan stops, and
    none reads or parses a file again until the next minute's window (every file here
    is the one provider's).
    """
    counts = {"submitted": 0, "failed": 0, "deferred": 0, "skipped": 0}
    if paused is not None and time.time() < paused.get("until", 0.0):
        return counts
    reported = set() if reported is None else reported
    stuck = {} if stuck is None else stuck
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    targets: dict[str, int] = {}
    try:
        targets = {name: _subfolder(folder_fd, name) for name in OUTCOMES}
        with os.scandir(folder_fd) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".") and e.name not in OUTCOMES),
                             key=lambda e: e.name)
        names = {e.name for e in entries}
        reported.difference_update({r for r in reported if r.split("\0")[0] not in names})  # forget what is gone
        for gone in set(stuck) - {e.name for e in entries}:
            del stuck[gone]
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                continue  # a sub-folder is not a wire file
            mark = None
            try:
                status = entry.stat(follow_symlinks=False)
                if not entry.is_file(follow_symlinks=False):
                    raise NotRegularFile(_kind(status.st_mode))
                if time.time() - status.st_mtime < settle_s:
                    continue
                mark = _mark(status)
                if stuck.get(entry.name) == mark:
                    counts["deferred"] += 1  # done with, but it cannot be moved: not read again
                    if claim is not None:
                        await claim.keep(entry.name, mark)  # nor by another replica
                    continue
                if claim is not None and not await claim(entry.name, mark):
                    counts["deferred"] += 1  # another replica's
                    continue
                payload = _read_regular(folder_fd, entry.name, max_bytes, mark)
                submission = await submit(payload, content_type_for(entry.name), provider)
                if submission.refused or submission.unfit:
                    if not submission.sent:  # nothing else in it: refused whole, with the reason
                        raise refusal(provider, submission.refused, submission.unfit)
                    log.warning("drop-folder items refused: they change another provider's story, or cannot be one",
                                extra={"file": entry.name, "refused": [uri[:200] for uri in submission.refused[:20]],
                                       "unfit": submission.unfit[:5]})
            except NotRegularFile as exc:
                counts["skipped"] += 1
                if entry.name not in reported:
                    reported.add(entry.name)
                    FILES.labels("skipped").inc()
                    log.warning("drop-folder entry skipped: not a regular file",
                                extra={"file": entry.name, "kind": str(exc)})
                continue
            except KafkaUnavailable:
                counts["deferred"] += 1
                continue
            except StillChanging as exc:  # read again at a later scan
                counts["deferred"] += 1
                if f"{entry.name}\0changing" not in reported:  # once while it keeps changing
                    reported.add(f"{entry.name}\0changing")
                    log.info("drop-folder file changed since it was listed: read at a later scan",
                             extra={"file": entry.name, "why": str(exc)})
                continue
            except RateLimited as exc:  # left for a scan in a later minute (TooManyArticles: failed/)
                counts["deferred"] += 1
                log.info("drop-folder files wait for their provider's rate limit",
                         extra={"file": entry.name, "reason": str(exc), "retry_in_s": exc.wait_s})
                if paused is not None:
                    paused["until"] = time.time() + exc.wait_s
                break  # the files after it are the same provider's: none would fit either
            except (WireError, OSError) as exc:
                if is_outage(exc):
                    raise  # a store down (wrapped in our error): no fault of the file
                if isinstance(exc, FileNotFoundError):
                    continue  # taken away between listing and reading: nothing to move
                reason = f"{getattr(exc, 'code', type(exc).__name__)}: {exc}\n"
                try:
                    moved = _move(folder_fd, entry.name, targets["failed"])
                except OSError as moving:  # the file stays, and the scan goes on with the others
                    _left_in_place(counts, entry.name, moving)
                    if mark is not None:
                        stuck[entry.name] = mark
                    continue
                try:
                    _write_reason(targets["failed"], moved, reason)
                except OSError as writing:  # moved: only its reason is lost (and logged below)
                    record_error("ingest", writing)
                stuck.pop(entry.name, None)
                log.warning("drop-folder file refused", extra={"file": entry.name, "reason": reason.strip()})
                counts["failed"] += 1
                FILES.labels("failed").inc()
                continue
            except Exception as exc:  # noqa: BLE001 - one file must not stop the others
                if is_outage(exc):
                    raise  # the store is down for every file: the watcher waits for it
                counts["deferred"] += 1
                record_error("ingest", exc)
                log.error("drop-folder file not submitted: unforeseen error, left in place",
                          extra={"file": entry.name, "error": repr(exc)}, exc_info=True)
                continue
            try:
                _move(folder_fd, entry.name, targets["processed"])
            except OSError as moving:  # submitted: not read again while it stays as it is
                _left_in_place(counts, entry.name, moving)
                stuck[entry.name] = mark
                continue
            stuck.pop(entry.name, None)
            counts["submitted"] += 1
            FILES.labels("submitted").inc()
    finally:
        for fd in targets.values():
            os.close(fd)
        os.close(folder_fd)
    return counts


async def watch_drop_folder(folder: Path | None, stop: asyncio.Event, *, interval_s: float, **deps) -> None:
    """Scan ``folder`` every ``interval_s`` until ``stop``. Refuses to start (raises
    UnsafeDropFolder) when ``processed/`` or ``failed/`` is a symlink; if one becomes
    a symlink later, scans pause with an error logged until it is fixed. While a store
    is unreachable the scans wait for it, twice as long each time up to
    MAX_OUTAGE_WAIT_S; any other failure is logged and the next scan comes as usual."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    check_drop_folder(folder)
    reported: set[str] = set()
    stuck: dict[str, Mark] = {}
    paused: dict[str, float] = {}
    wait = interval_s
    while not stop.is_set():
        try:
            await scan_drop_folder(folder, reported=reported, stuck=stuck, paused=paused, **deps)
            wait = interval_s
        except (UnsafeDropFolder, OSError) as exc:  # never let a bad folder stop ingest
            log.error("drop folder not scanned", extra={"folder": str(folder), "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - a store outage, or worse: ingest goes on
            record_error("ingest", exc)
            if is_outage(exc):
                wait = min(wait * 2, max(interval_s, MAX_OUTAGE_WAIT_S))
                log.warning("drop folder waits: a store is unreachable",
                            extra={"folder": str(folder), "error": repr(exc), "retry_in_s": wait})
            else:
                log.error("drop folder scan failed", extra={"folder": str(folder), "error": repr(exc)},
                          exc_info=True)
        await sleep_until(stop, wait)
