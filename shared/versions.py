"""The one ordering of a story's versions, used by ingest's story registry, the
gateway's peek, publishing and the rebuild.

A version is a string (ninjs ``version``). Numeric versions ("2", "10", "2.1")
compare by value; a version that is not a number sorts before every numeric one,
and such versions compare as text among themselves. Redis scripts never
re-implement this: Python decides, and the script only checks that the version it
decided against is still the stored one (see :mod:`shared.identity`).
"""
from __future__ import annotations


def version_key(version: str | None) -> tuple[int, float | str]:
    """A sort key of ``version``: ``(1, value)`` for anything ``float`` reads, else
    ``(0, text)``. None stands for "no version yet" and sorts first."""
    if version is None:
        return (-1, "")
    try:
        return (1, float(version))
    except (TypeError, ValueError):
        return (0, str(version))


def is_older(version: str | None, than: str | None) -> bool:
    """Whether ``version`` comes strictly before ``than`` (equal versions are not older)."""
    return version_key(version) < version_key(than)
