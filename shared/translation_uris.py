"""The uri of a story's machine translation, derived from its original's, and the
way back: such a uri belongs to its original's owner, never to whoever sends it first.
"""
from __future__ import annotations

import re

# A language tag as translation writes it (``pt``, ``zh-hant``, ``sr-latn-rs``).
_TAG = r"[a-z]{2,8}(?:-[a-z0-9]{1,8})*"
_URN = re.compile(rf"^(urn:.+):translation:({_TAG})((?:\?[+=]|#).*)?$", re.I | re.S)
_QUERY = re.compile(rf"^(.*?)([?&])translation=({_TAG})$", re.I | re.S)


def translation_uri(uri: str, language: str) -> str:
    """The uri of ``uri``'s translation into ``language``, still a valid URI.

    URNs get ``:translation:<lang>`` appended to their name, because RFC 8141
    ignores ``?+``/``?=``/``#`` parts when comparing URNs (a fragment would make the
    translation "equal" to its original); other URIs get a ``translation=<lang>``
    query parameter before any fragment.
    """
    tag = language.strip().lower()
    if uri[:4].lower() == "urn:":
        cut = min((i for i in (uri.find("?+"), uri.find("?="), uri.find("#")) if i >= 0), default=len(uri))
        return f"{uri[:cut]}:translation:{tag}{uri[cut:]}"
    base, hash_mark, fragment = uri.partition("#")
    return f"{base}{'&' if '?' in base else '?'}translation={tag}{hash_mark}{fragment}"


def original_of(uri: str) -> str | None:
    """The original whose machine translation would have ``uri``, or None when
    :func:`translation_uri` cannot have made it."""
    if uri[:4].lower() == "urn:":
        found = _URN.match(uri)
        original, tag = (f"{found[1]}{found[3] or ''}", found[2]) if found else (None, None)
    else:
        base, hash_mark, fragment = uri.partition("#")
        found = _QUERY.match(base)
        original, tag = (f"{found[1]}{hash_mark}{fragment}", found[3]) if found else (None, None)
    return original if original is not None and translation_uri(original, tag) == uri else None
