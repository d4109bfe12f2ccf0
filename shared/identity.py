"""Version-aware story identity: is this submission new, the same again, a newer
version, an older one, or a kill?

State per story uri lives in Redis (content hash, version, the event that set it).
Ingest classifies atomically and records; the gateway only peeks, to answer a plain
re-post with ``"duplicate": true`` at once.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.cache import Keys
from shared.errors import RetriableError, WireError
from shared.events import Article, Signal
from shared.translation_uris import original_of
from shared.versions import is_older

# Rounds of read-then-decide a classification gets while other submissions of the
# same story keep changing it. Each lost round means another submission was recorded,
# so this bounds only a pathological flood of one story.
_ATTEMPTS = 64


class Decision(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UPDATE = "update"
    CORRECTION = "correction"
    OLDER = "older"
    KILL = "kill"
    NOT_OWNER = "not-owner"

    @property
    def flows(self) -> bool:
        """Whether an article with this decision goes on down the pipeline."""
        return self not in (Decision.DUPLICATE, Decision.OLDER, Decision.NOT_OWNER)

    @property
    def signal(self) -> Signal:
        return {Decision.UPDATE: Signal.UPDATE, Decision.CORRECTION: Signal.CORRECTION,
                Decision.KILL: Signal.KILL}.get(self, Signal.NEW)


@dataclass(frozen=True)
class Classification:
    decision: Decision
    version: str
    owner: str | None = None


class NotOwner(WireError):
    """A provider tried to change a story another provider owns (and it relays none of)."""

    code = "not-owner"


# Beside its text, what decides when an item is released and to whom: a change of any of
# these alone (an embargo moved or lifted, a FLASH upgrade, a subject that routes it to
# other subscriptions) is a new version, not a duplicate. What only presents the item
# (byline, slugline, notes, copyright) stays out, as time stamps do: a relay and the agency
# it relays send the same story with their own, and a source may stamp "now" on each send.
_RELEASE = ("embargoedUntil", "urgency", "language")
_ENTITIES = ("subjects", "people", "organisations", "places")


def _folded_text(article: Article) -> str:
    """The text a reader sees and the status, whitespace-folded (``str.split`` folds what
    ``\\s+`` does, in a fifth of the time)."""
    parts = [article.pubStatus, article.headline, *(d.value for d in article.descriptions),
             *(b.value for b in article.bodies), *(str(r.get("href", "")) for r in article.renditions)]
    if article.type == "composite":  # a text's photo links stay out: its hash predates them
        parts += [str(a.get("uri", "")) for a in article.associations]
    return " ".join("\n".join(parts).split())


def _release(article: Article) -> str:
    fields = [f"{name}={value}" for name in _RELEASE if (value := getattr(article, name)) is not None]
    fields += sorted(f"{name}={entity.get('uri') or ''}|{entity.get('literal') or ''}|{entity.get('name') or ''}"
                     for name in _ENTITIES for entity in getattr(article, name) if isinstance(entity, dict))
    return " ".join("\n".join(fields).split())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def story_hashes(article: Article) -> tuple[str, str]:
    """(:func:`content_hash`, :func:`text_hash`) of ``article``, its text folded once."""
    text = _folded_text(article)
    return _sha256(f"{text}\nrelease: {_release(article)}"), _sha256(text)


def content_hash(article: Article) -> str:
    """Hash of what a reader sees (headline, descriptions, body; a picture's or clip's
    renditions, a package's members), the item's publication status and what decides
    its release and routing (:data:`_RELEASE`; the uri, literal and name of each
    subject, person, organisation and place the source gave, in any order),
    whitespace-folded: the same item re-sent hashes the same; an edit, a new rendition,
    a changed member list, a moved embargo, a new urgency or subject, or the same text
    now withdrawn (a kill), does not."""
    return story_hashes(article)[0]


def text_hash(article: Article) -> str:
    """Hash of the text and status alone: what the registry's ``hash`` field holds, as it
    always has (an ingest from before :func:`content_hash` reads and writes it alone)."""
    return _sha256(_folded_text(article))


def content_tag(content: str, text: str) -> str:
    """The registry's ``chash`` field: the content hash with the text hash it was written
    beside. It counts only while the entry's ``hash`` is still that text hash: an ingest
    that knows no content hash (a rolling deploy's old replica, a rollback) rewrites
    ``hash`` alone, and the entry is then compared by its text, as that ingest does."""
    return f"{content}/{text}"


def same_content(stored_hash: bytes | None, stored_tag: bytes | None, content: str, text: str) -> bool | None:
    """Whether the item hashing ``content`` / ``text`` is the one the registry holds:
    by the content tag while it counts; None when only the text can tell (an entry from
    before the tag, or rewritten by an ingest without it) and it matches."""
    if stored_hash is None:
        return False
    if stored_tag is not None and stored_tag.endswith(b"/" + stored_hash):
        return stored_tag.decode() == content_tag(content, text)
    return None if stored_hash.decode() == text else False


# KEYS[1]: story hash. ARGV: 1 event id, 2 the content tag (content_tag), 3 source version
# ('' = none), 4 hint ('' / signal), 5 provider, 6 the stored version Python compared against
# ('' = none), 7 '1' when Python found the source version older than it (shared.versions: the
# script never orders versions itself; it answers 'retry' and the stored version when that is
# not the one compared), 8 the uri's configured owner ('' = none; Python has checked the
# provider may act for it), 9 the item's text hash, then the owners the provider may act for
# (itself and those it relays).
# The same content: by the tag while it counts (see content_tag), else by the text hash; an
# entry matched by its text alone is a duplicate (an embargo moved by that very send cannot be
# told) and takes the tag, so later sends are compared by it.
# The first provider to submit a uri owns the story; anyone else gets 'not-owner'. A configured
# owner owns its uris whoever sent them first (one who took a uri before the configuration did
# loses it at the owner's next submission).
_CLASSIFY = """
local s = redis.call('HMGET', KEYS[1], 'event', 'hash', 'version', 'decision', 'owner', 'chash')
local event, hash, version, decision, owner, tag = s[1], s[2], s[3], s[4], s[5], s[6]
if event == ARGV[1] then return {decision, version, owner or ''} end
if (version or '') ~= ARGV[6] then return {'retry', version or '', owner or ''} end
if event and owner and ARGV[8] == '' then
  local allowed = false
  for i = 10, #ARGV do if ARGV[i] == owner then allowed = true end end
  if not allowed then return {'not-owner', version, owner} end
end
local same
if hash and tag and string.sub(tag, -(#hash + 1)) == '/' .. hash then same = (tag == ARGV[2])
else same = (hash == ARGV[9]) end
local function duplicate()
  if tag ~= ARGV[2] then redis.call('HSET', KEYS[1], 'chash', ARGV[2]) end
  return {'duplicate', version, owner or ''}
end
local src, hint = ARGV[3], ARGV[4]
local d, v
if ARGV[8] ~= '' then owner = ARGV[8] elseif not event then owner = ARGV[5] end
if not event then
  v = (src ~= '' and src) or '1'
  d = (hint == 'kill' and 'kill') or 'new'
elseif hint == 'kill' then
  d = 'kill'; v = (src ~= '' and src) or version
elseif src ~= '' then
  if ARGV[7] == '1' then return {'older', version, owner or ''} end
  if src == version and same then return duplicate() end
  v = src
  d = (hint ~= '' and hint) or 'update'
else
  if same then return duplicate() end
  v = tostring((tonumber(version) or 0) + 1)
  d = (hint ~= '' and hint) or 'update'
end
redis.call('HSET', KEYS[1], 'event', ARGV[1], 'hash', ARGV[9], 'chash', ARGV[2], 'version', v, 'decision', d,
           'owner', owner or ARGV[5])
return {d, v, owner or ARGV[5]}
"""


# A story's entry restored from Kafka (:meth:`StoryRegistry.restore`) records this event
# (never an ingest event id, which is "<uuid>#<index>") and this content hash: what was
# last submitted is not on Kafka (published items carry enrichment's additions, kill
# notices no text), and it is no sha256 hex digest, so no submission ever matches it. The
# next re-send of the story then counts as an update and flows (publishing tells an
# identical item from a changed one) rather than being dropped as a duplicate of a hash
# that may not be the one of the content last sent.
RESTORED_EVENT = "restored"
UNKNOWN_CONTENT = "unknown"


class Restored(StrEnum):
    FILLED = "filled"  # there was no entry: written whole
    RAISED = "raised"  # an older version's entry: now at the version given, its owner kept
    KEPT = "kept"      # the entry had that version or a newer one: left as it was


# KEYS[1]: story hash. ARGV: 1 the stored version Python compared against ('' = none), 2 event,
# 3 content hash, 4 version, 5 decision, 6 owner, 7 '1' when Python found the stored version
# older than ARGV[4] (or none). Writes only while the stored version is the one compared (else
# 'retry' and the stored version); an owner is only ever filled in, never replaced.
_RESTORE = """
local s = redis.call('HMGET', KEYS[1], 'version', 'owner')
if (s[1] or '') ~= ARGV[1] then return {'retry', s[1] or '', s[2] or ''} end
if ARGV[7] == '1' then
  redis.call('HSET', KEYS[1], 'event', ARGV[2], 'hash', ARGV[3], 'version', ARGV[4], 'decision', ARGV[5])
end
if not s[2] then redis.call('HSET', KEYS[1], 'owner', ARGV[6]) end
return {'done', s[1] or '', s[2] or ARGV[6]}
"""


class UriOwners:
    """Who owns a uri by configuration (``WIRE_URI_OWNERS``): the provider whose prefix
    it starts with, compared without case (the longest prefix wins), else None."""

    def __init__(self, prefixes: Mapping[str, Sequence[str]] | None = None) -> None:
        self._prefixes = sorted(((p.strip().casefold(), provider) for provider, ps in (prefixes or {}).items()
                                 for p in ps), key=lambda pair: -len(pair[0]))

    def owner(self, uri: str) -> str | None:
        folded = uri.casefold()
        return next((provider for prefix, provider in self._prefixes if folded.startswith(prefix)), None)


class StoryRegistry:
    def __init__(self, redis: Redis, keys: Keys, uri_owners: Mapping[str, Sequence[str]] | None = None) -> None:
        self.redis = redis
        self.keys = keys
        self.configured = UriOwners(uri_owners)
        self._classify = redis.register_script(_CLASSIFY)
        self._restore = redis.register_script(_RESTORE)

    async def classify(self, article: Article, *, event_id: str, source_version: str | None,
                       hint: Signal | None, provider: str = "", acts_for: list[str] | None = None) -> Classification:
        """Decide what ``article`` is and record it (atomic).

        ``source_version`` is the version the source declared (None when it declares
        none: then a changed body makes the next version). ``event_id`` makes a
        re-delivered submission get the same answer. ``provider`` owns the story when it
        is the first to submit it; a later change by a provider not in ``acts_for`` (the
        owner or a provider relaying for it) is decided NOT_OWNER and recorded nowhere.
        Raises RetriableError when Redis is unreachable.
        """
        reserved = await self._reserved_owner(article.uri)
        if reserved is not None and reserved not in (acts_for or [provider]):
            return Classification(Decision.NOT_OWNER, "", reserved or None)
        configured = self.configured.owner(article.uri)
        key, (content, text) = self.keys.story(article.uri), story_hashes(article)
        hint_arg = hint.value if hint and hint != Signal.NEW else ""
        # First as a story never seen (one round trip for a new story, the common case); a
        # 'retry' answer carries the stored version, compared here before the next try.
        known = ""
        try:
            for _ in range(_ATTEMPTS):
                older = bool(source_version and known) and is_older(source_version, known)
                decision, version, owner = await self._classify(
                    keys=[key], args=[event_id, content_tag(content, text), source_version or "", hint_arg,
                                      provider, known, "1" if older else "0", configured or "", text,
                                      *(acts_for or [provider])])
                if decision != b"retry":
                    return Classification(Decision(decision.decode()), version.decode(), owner.decode() or None)
                known = version.decode()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise RetriableError(f"story registry unreachable: {exc}") from exc
        raise RetriableError(f"story {article.uri} kept changing while it was classified")

    async def peek(self, article: Article, *, source_version: str | None,
                   acts_for: list[str] | None = None) -> Decision | None:
        """NOT_OWNER when the story belongs to a provider outside ``acts_for``, DUPLICATE
        or OLDER when the registry already knows better, else None. Read-only."""
        reserved = await self._reserved_owner(article.uri)
        if acts_for is not None and reserved is not None and reserved not in acts_for:
            return Decision.NOT_OWNER
        known_hash, known_version, owner, tag = await self.redis.hmget(self.keys.story(article.uri), "hash",
                                                                       "version", "owner", "chash")
        if known_hash is None:
            return None
        if acts_for is not None and owner is not None and owner.decode() not in acts_for:
            return Decision.NOT_OWNER
        known_version = known_version.decode()
        if source_version and is_older(source_version, known_version):
            return Decision.OLDER
        same_version = source_version in (None, known_version)
        # matched by its text alone (no content tag that counts): ingest decides, and the
        # entry takes the tag from then on
        if same_version and same_content(known_hash, tag, *story_hashes(article)):
            return Decision.DUPLICATE
        return None

    async def restore(self, uri: str, *, owner: str, version: str, killed: bool) -> tuple[Restored, str]:
        """Give ``uri`` back the entry Redis lost (``wire rebuild-read-model``): ``owner``,
        ``version`` (a kill's when ``killed``) and :data:`UNKNOWN_CONTENT` as its hash, so
        that its owner's next change classifies as before and anyone else's as NOT_OWNER.

        An entry already at ``version`` or a newer one is kept as it is; an older one takes
        ``version``. The owner of an entry is never replaced (one missing is filled in).
        Returns what was done and the entry's owner now (not ``owner`` when the entry had
        another). Raises RetriableError when Redis is unreachable or the entry kept changing.
        """
        key, known = self.keys.story(uri), ""
        decision = Decision.KILL if killed else Decision.UPDATE
        try:
            for _ in range(_ATTEMPTS):
                newer = not known or is_older(known, version)
                answer, stored_version, stored_owner = await self._restore(
                    keys=[key], args=[known, RESTORED_EVENT, UNKNOWN_CONTENT, version, decision.value, owner,
                                      "1" if newer else "0"])
                if answer == b"retry":
                    known = stored_version.decode()
                    continue
                done = Restored.KEPT if not newer else Restored.RAISED if known else Restored.FILLED
                return done, stored_owner.decode()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise RetriableError(f"story registry unreachable: {exc}") from exc
        raise RetriableError(f"story {uri} kept changing while it was restored")

    async def _reserved_owner(self, uri: str) -> str | None:
        """Who alone may send to ``uri`` whoever sent it first: the provider configured
        for its prefix (``WIRE_URI_OWNERS``), else, for a machine translation's uri, its
        original's owner (:meth:`_translation_owner`); None for any other uri."""
        configured = self.configured.owner(uri)
        return configured if configured is not None else await self._translation_owner(uri)

    async def _translation_owner(self, uri: str) -> str | None:
        """For a uri that machine translation derives from an original's: the original's
        owner, the only one (with its relays) who may send to it; None for any other uri.
        A URN's ``…:translation:pt`` is reserved even before its original exists ("": no
        one may send to it); a URL ending in ``?translation=pt`` may be a site's own page,
        so it is claimed only once its original has an owner, and only while it has none
        of its own: a page its site sent first stays the site's (whoever sends the URL
        without the query later must not take the page from its owner)."""
        original = original_of(uri)
        if original is None:
            return None
        urn = uri[:4].lower() == "urn:"
        if (configured := self.configured.owner(original)) is not None and urn:
            return configured
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(self.keys.story(original), "owner")
                pipe.hget(self.keys.story(uri), "owner")
                owner, own = await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise RetriableError(f"story registry unreachable: {exc}") from exc
        if not urn and own:
            return None
        if configured is not None:
            return configured
        if owner:
            return owner.decode()
        return "" if urn else None

