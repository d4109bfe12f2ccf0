"""The uri of a story's machine translation, derived from its original's, and the
way back: such a uri belongs to its original's owner, never to whoever sends it first.
"""
from __future__ import annotations

import re
from itertools import islice

# A language tag as translation writes it (``pt``, ``zh-hant``, ``sr-latn-rs``).
_TAG = r"[a-z]{2,8}(?:-[a-z0-9]{1,8})*"
_URN_MARK = ":translation:"
_MARKS_TRIED = 8
_URN_TAIL = re.compile(rf"({_TAG})((?:\?[+=]|#).*)?$", re.I | re.S)
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
        # The mark translation_uri added may be followed by the original's own
        # "#…:translation:…": each mark is tried (the first few: a longer chain is no
        # uri translation made), the first whose round trip holds wins.
        for mark in islice(re.finditer(re.escape(_URN_MARK), uri), _MARKS_TRIED):
            tail = _URN_TAIL.match(uri, mark.end())
            if tail and translation_uri(original := f"{uri[:mark.start()]}{tail[2] or ''}", tail[1]) == uri:
                return original
        return None
    base, hash_mark, fragment = uri.partition("#")
    found = _QUERY.match(base)
    if found and translation_uri(original := f"{found[1]}{hash_mark}{fragment}", found[3]) == uri:
        return original
    return None
