"""Story clusters: near-duplicate articles share a cluster id (MinHash LSH).

An article's text (headline and body, lower-cased words) is cut into 5-word
shingles and summarised by a 128-permutation MinHash. In scripts written without
spaces between words (Chinese, Japanese, Thai, Lao, Myanmar, Khmer) each character
counts as a word, so a shingle there is five characters: a whole clause taken as one
"word" would make any edit change every shingle of its sentence. The signature is
split into ``BANDS`` bands of ``ROWS`` rows (datasketch's optimum for a Jaccard threshold of
``THRESHOLD``); each band hashes to a bucket key. Two articles land in a common
bucket with probability 1-(1-s^ROWS)^BANDS for Jaccard similarity s: ≈1 for a
lightly edited copy (s≥0.85), ≈0 for different stories (s≤0.3).

The index is two mappings, held by the caller: ``members`` (story uri → its cluster,
and the bucket keys it wrote) and ``buckets`` (bucket key → ``(cluster, at)``: the
cluster that filled it and when). A story holds ``BANDS`` buckets for as long as the
horizon, so their entries are tuples: a dict each made the index 5.7 KB a story, the
tuples 3.9 KB (tracemalloc, 20,000 stories). A new story joins the cluster most of its
buckets point to, else founds one named after itself (:func:`cluster_id_for`), so the
same input and state always give the same answer. Entries older than ``horizon_s`` (by
the articles' own receive times) are ignored and evicted.

Only ``members`` needs to be durable (the worker's faust table): ``buckets`` is
rebuilt from it (:meth:`StoryIndex.recovered`). A bucket is only ever overwritten by
a write with a later receive time (an expired entry, or a newer copy of its own
cluster), so its entry is the write with the latest time among the members that
wrote it. One changelog record per story then carries what took ``BANDS`` + 1.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter, deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from services.enrichment.nlp.text import UNSPACED
from shared.credentials import derived_key

SHINGLE_WORDS = 5
NUM_PERM = 128
THRESHOLD = 0.7
BANDS, ROWS = _optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5)
# Chinese and Japanese (as word counts treat them), and Thai, Lao, Myanmar and Khmer,
# whose spaces fall between phrases, not words.
_BY_CHARACTER = UNSPACED + "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_HAS_BY_CHARACTER = re.compile(rf"[{_BY_CHARACTER}]")
# Space-separated text keeps exactly these words: its bucket keys are stored in the
# story tables, and copies arriving after a deploy must still find their story.
_WORD = re.compile(r"\w+")
_WORD_OR_CHARACTER = re.compile(rf"[{_BY_CHARACTER}]|(?:(?![{_BY_CHARACTER}])\w)+")


def shingle_words(text: str) -> list[str]:
    """The words shingles are made of: ``\\w+`` runs, and each character of the
    scripts written without spaces (marks included) on its own."""
    return (_WORD_OR_CHARACTER if _HAS_BY_CHARACTER.search(text) else _WORD).findall(text)


# Shingles hashed per datasketch call (~20 MB of temporaries each).
SIGNATURE_CHUNK = 20_000


def shingles(text: str) -> set[bytes]:
    """The ``SHINGLE_WORDS``-word shingles of ``text`` (lower-cased), or the whole
    text as one when it is shorter."""
    words = shingle_words(text.casefold())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> np.ndarray:
    """The MinHash signature of ``text`` (fixed seed: the same text, the same signature)."""
    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    # In chunks: datasketch builds a shingles × NUM_PERM matrix of 64-bit numbers per
    # call (a 5 MB body at once: 875 MiB peak, in chunks 303); the minimum over chunks is the same.
    pieces = list(shingles(text))
    for at in range(0, len(pieces), SIGNATURE_CHUNK):
        minhash.update_batch(pieces[at:at + SIGNATURE_CHUNK])
    return minhash.hashvalues


def bucket_keys(sig: np.ndarray) -> list[str]:
    """One key per band: ``"<band>:<hash of its rows>"``."""
    keys = []
    for band in range(BANDS):
        rows = np.ascontiguousarray(sig[band * ROWS:(band + 1) * ROWS]).tobytes()
        keys.append(f"{band}:{hashlib.blake2b(rows, digest_size=8).hexdigest()}")
    return keys


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two texts (for tests and diagnostics)."""
    return float(np.mean(signature(a) == signature(b)))


def cluster_id_for(uri: str, secret_key: str | None = None) -> str:
    """The id of the cluster story ``uri`` founds: deterministic (a re-delivery gets the
    same), but neither its article id nor a plain digest of its uri, which every
    member's readers would otherwise learn or could confirm a guess against — the
    founder may be another provider's story, outside their slice or still under
    embargo. A MAC of the uri under a key derived from ``WIRE_SECRET_KEY``."""
    key = derived_key(secret_key, b"wirestream story cluster")
    return "c" + hmac.new(key, uri.encode("utf-8"), hashlib.sha256).hexdigest()[:19]


@dataclass
class Assignment:
    cluster: str
    first_seen: bool  # the story (uri) was new to the index
    matched_buckets: int  # how many of its buckets pointed to the cluster


# A member's record of the buckets it wrote and still holds: groups of [receive time,
# "key,key,…"], newest first. A key another write took over since leaves its group;
# past this many keys (a story re-sent with new text about 70 times within the
# horizon, each version still holding its buckets) the oldest groups go, and a
# rebuilt index no longer has their buckets (the live one does until they expire).
WROTE_KEYS = 1024

CLUSTER, AT = 0, 1  # a bucket's entry: (cluster, at)


class StoryIndex:
    """Cluster assignment over two mappings (see the module doc)."""

    def __init__(self, members: MutableMapping, buckets: MutableMapping, *, horizon_s: float,
                 legacy: MutableMapping | None = None, secret_key: str | None = None) -> None:
        """``legacy``: bucket key → {cluster, at} as a version before the members kept
        their buckets wrote them (its own durable table). Read into ``buckets`` at
        every rebuild and never written again but to delete what expired, so it
        empties within the horizon after an upgrade. ``secret_key``: the deployment's
        ``WIRE_SECRET_KEY``, which new clusters' ids are keyed with (a cluster keeps the
        id it was founded with)."""
        self.secret_key = secret_key
        self.members = members
        self.buckets = buckets
        self.horizon_s = horizon_s
        self.legacy = legacy if legacy is not None else {}
        self.evictors = (Evictor(members, horizon_s=horizon_s),
                         Evictor(buckets, horizon_s=horizon_s, at_of=_bucket_at),
                         Evictor(self.legacy, horizon_s=horizon_s))

    def recovered(self) -> None:
        """Call once ``members`` (and ``legacy``) hold recovered state: ``buckets`` is
        rebuilt from the buckets each member wrote and the legacy entries (the latest
        write of each key wins), and eviction resumes from all three."""
        self.buckets.clear()
        entries = list(self.members.values())
        newest = max((float(entry["at"]) for entry in entries), default=0.0)
        writes = [(at, keys.split(","), entry["cluster"]) for entry in entries for at, keys in entry.get("wrote", ())]
        writes += [(float(entry["at"]), [key], entry["cluster"]) for key, entry in list(self.legacy.items())]
        for at, keys, cluster in writes:
            if newest - at > self.horizon_s:
                continue  # expired: ignored by assign, and evicted before long
            for key in keys:
                held = self.buckets.get(key)
                if held is None or held[AT] < at:
                    self.buckets[key] = (cluster, float(at))
        for evictor in self.evictors:
            evictor.rebuild()

    def _wrote(self, known, cluster: str, written: list[str], at: float) -> list:
        """``known``'s groups of written buckets with this write's: a key whose entry is
        no longer the one its group wrote (written again, by this story or a later copy,
        or evicted) leaves the group, and at most :data:`WROTE_KEYS` keys stay, newest
        groups first."""
        groups = [[at, written]] if written else []
        for then, keys in (known or {}).get("wrote", ()):
            mine = (cluster, float(then))
            groups.append([then, [k for k in keys.split(",") if self.buckets.get(k) == mine]])
        kept, room = [], WROTE_KEYS
        for then, keys in sorted(groups, key=lambda group: -group[0]):
            if keys and room > 0:
                kept.append([then, ",".join(keys[:room])])
                room -= len(keys)
        return kept

    def _live(self, entry: tuple[str, float] | None, now: float) -> bool:
        return entry is not None and now - entry[AT] <= self.horizon_s

    def assign(self, uri: str, keys: list[str], at: float) -> Assignment:
        """The cluster of story ``uri`` whose text has bucket ``keys``, received at
        ``at`` (epoch seconds); records it so later copies find it. Idempotent:
        assigning the same story again gives the same cluster."""
        known = self.members.get(uri)
        votes = Counter(entry[CLUSTER] for key in keys
                        if self._live(entry := self.buckets.get(key), at))
        if known is not None:
            cluster, first = known["cluster"], False
        elif votes:
            cluster = min(votes, key=lambda c: (-votes[c], c))
            first = True
        else:
            cluster, first = cluster_id_for(uri, self.secret_key), True
        members, buckets, _ = self.evictors
        written = []
        for key in keys:
            entry = self.buckets.get(key)
            if not self._live(entry, at) or (entry[CLUSTER] == cluster and entry[AT] < at):
                self.buckets[key] = (cluster, float(at))
                buckets.written(key, at)
                written.append(key)
        newer = known is None or float(known["at"]) < at
        if newer or written:  # the record of the buckets written is what recovery rebuilds them from
            latest = at if newer else float(known["at"])
            self.members[uri] = {"cluster": cluster, "at": latest, "wrote": self._wrote(known, cluster, written, at)}
            if newer:
                members.written(uri, at)
        for evictor in self.evictors:
            evictor.evict(at)
        return Assignment(cluster, first, votes.get(cluster, 0))


def _entry_at(entry: Any) -> float:
    return float(entry["at"])


def _bucket_at(entry: tuple[str, float]) -> float:
    return entry[AT]


class Evictor:
    """Deletes entries older than the horizon from a mapping, a few per call, in
    the order they were written (entries carry their ``at``, read by ``at_of``; an
    entry it gives no time for is left alone)."""

    def __init__(self, mapping: MutableMapping, *, horizon_s: float, per_call: int = 64,
                 at_of: Callable[[Any], float | None] = _entry_at) -> None:
        self.mapping = mapping
        self.horizon_s = horizon_s
        self.per_call = per_call
        self.at_of = at_of
        self.queue: deque[tuple[float, str]] = deque()

    def rebuild(self) -> None:
        """Refill the queue from the mapping (after the table was recovered)."""
        self.queue = deque(sorted((at, k) for k, v in self.mapping.items() if (at := self.at_of(v)) is not None))

    def written(self, key: str, at: float) -> None:
        self.queue.append((at, key))

    def evict(self, now: float) -> int:
        """Delete up to ``per_call`` expired entries; returns how many."""
        removed = 0
        while self.queue and removed < self.per_call and now - self.queue[0][0] > self.horizon_s:
            at, key = self.queue.popleft()
            entry = self.mapping.get(key)
            if entry is not None and (written := self.at_of(entry)) is not None and written <= at:
                del self.mapping[key]
                removed += 1
        return removed
