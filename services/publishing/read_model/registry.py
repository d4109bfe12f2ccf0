"""The story registry's part of ``wire rebuild-read-model``: who owns each story, and
its latest version, given back to Redis from what Kafka kept.

Without it a story whose registry entry Redis lost is new to ingest and the gateway:
the first provider to send its uri again (anyone) would own it, and could replace
or kill it, while its owner's own updates were refused as not-owner.

The owner is what publishing's records say in ``wire_owner`` (the registry's owner
when they were published). Records older than that header name only their sender
(``wire_provider``), who may be a relay sending for the owner (``WIRE_RELAYS``); the
owner is then worked out from the senders (:meth:`Provenance.owner_under`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.identity import Restored, StoryRegistry
from shared.versions import is_older

log = logging.getLogger(__name__)


@dataclass
class Provenance:
    """Who sent one story's records on Kafka, and the newest version they carried."""

    # The sender of each record (``wire_provider``), oldest first.
    senders: list[str] = field(default_factory=list)
    # The registry's owner as a record named it (``wire_owner``), the oldest such.
    owner: str | None = None
    # The newest version a record carried (None: only records that named none), and
    # whether a record killed that version.
    version: str | None = None
    killed: bool = False
    # A machine translation: its uri belongs to its original's owner (shared.identity),
    # the registry holds no entry of its own for it.
    machine_translation: bool = False

    def saw(self, *, version: str | None, sender: str | None, owner: str | None, killed: bool,
            role: str | None = None) -> None:
        """Take one record of the story into account (``version`` None: a record that
        names none, as tombstones did before they carried ``wire_version``)."""
        if sender:
            self.senders.append(sender)
        self.owner = self.owner or owner or None
        if version is not None and (self.version is None or is_older(self.version, version)):
            self.version, self.killed = version, killed
        elif version is None or not is_older(version, self.version):
            # the same version: a killed version is never published again (publishing
            # drops it as stale), so a kill wins whichever topic's record comes first
            self.killed = self.killed or killed
        self.machine_translation = self.machine_translation or role == "translation"

    def owner_under(self, acts_for: Callable[[str], list[str]]) -> str | None:
        """The story's owner: the one a record named, else the earliest sender every
        sender could act for (``acts_for``: a provider's relays and itself; the first to
        send a uri owns it, and each later sender had to act for that owner), else the
        earliest sender. When a relay alone sent the story the relay is taken: had the
        owner been another, that owner is refused until an operator steps in, while
        guessing the other way would let a provider change a story it may not own.
        None for a machine translation, and when no record named a sender."""
        if self.machine_translation:
            return None
        if self.owner:
            return self.owner
        for candidate in dict.fromkeys(self.senders):
            if all(candidate in acts_for(sender) for sender in self.senders):
                return candidate
        return self.senders[0] if self.senders else None


async def restore_owners(registry: StoryRegistry, stories: dict[str, Provenance], *,
                         acts_for: Callable[[str], list[str]]) -> dict[str, int]:
    """Give each story of ``stories`` (uri → what Kafka kept about it) its registry
    entry back (:meth:`StoryRegistry.restore`): missing ones are filled, older versions
    raised, and an entry's owner is never replaced. An entry whose owner is not the one
    Kafka names is kept and logged (someone sent the uri after Redis lost it and before
    this ran). Returns the counts ``registry_restored`` and ``registry_owner_conflicts``.
    Raises RetriableError when Redis is unreachable."""
    counts = {"registry_restored": 0, "registry_owner_conflicts": 0}
    for uri, seen in stories.items():
        owner = seen.owner_under(acts_for)
        if owner is None:
            continue
        done, stored_owner = await registry.restore(uri, owner=owner, version=seen.version or "1",
                                                    killed=seen.killed)
        if done is not Restored.KEPT:
            counts["registry_restored"] += 1
        if stored_owner != owner:
            counts["registry_owner_conflicts"] += 1
            log.warning("story registry owner differs from what Kafka names; kept",
                        extra={"article_uri": uri, "stage": "rebuild", "owner": stored_owner,
                               "kafka_owner": owner})
    return counts
