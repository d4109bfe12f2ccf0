"""The credit lines that close a wire story: who reported, wrote and edited it.

Agencies end a story with its credits, which are not story text:

- role clauses, in brackets at the end of the last paragraph or as a paragraph of
  their own: "(Reporting by Jane Doe in Tokyo and John Roe; Additional reporting by
  …; Writing by …; Editing by …)", "--With assistance from …", and Reuters' Spanish
  and Portuguese desks' "(Reporte de …; Editado en español por …)", "(Reportagem
  de …; Edição de …)";
- a closing sentence: "Associated Press writer Jane Doe in Washington contributed to
  this report." / "… contributed reporting from Kyiv."

Copyright lines after the credits ("© Reuters") go with them.

:func:`split_credits` cuts them off the body, so their names never become people
the story mentions (nor trends), and returns those people with their role. A block
counts as credits only when every clause names someone and holds nothing but names
and places; story text that merely starts like one is kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CONTRIBUTOR, EDITOR = "contributor", "editor"
# Role phrases, each followed by the names it credits.
_ROLES = (
    (EDITOR, r"(?:additional\s+)?editing\s+by|edited\s+by|editado(?:\s+en\s+español)?\s+por|edição\s+de"),
    (CONTRIBUTOR, r"(?:additional\s+)?reporting\s+by|(?:writing|written|compiled|compiling|research|graphics)\s+by"
                  r"|with\s+(?:additional\s+)?assistance\s+from"
                  r"|reporte(?:\s+adicional)?\s+de|reportagem(?:\s+adicional)?\s+de|(?:escrito|redactado)\s+por"),
)
_ROLE = re.compile(r"\b(" + "|".join(pattern for _, pattern in _ROLES) + r")\b", re.I)
_ROLE_OF = [(re.compile(pattern, re.I), rel) for rel, pattern in _ROLES]
_LEAD = " \t-—–("  # what may open a credit paragraph: "--With assistance from …"
_TRAILING_BRACKETS = re.compile(r"\(([^()]*)\)\s*\Z")
# Copyright lines a page may carry after the credits ("© Reuters"): cut with them.
_NOTICE = re.compile(r"©|\(c\)|copyright\b", re.I)
# The subject and the place end on something other than a space (a place of spaces alone,
# "from  .", is matched by its first two), and every run of spaces is taken whole: a run is
# read once, not again from each of its spaces (else quadratic, or worse: 100 kB of spaces
# after a sentence held the worker for 18 s).
_CONTRIBUTED = re.compile(
    r"(?:^|(?<=[.!?”\"]\s))(?P<who>[^.!?\n]*?[^.!?\s])\s++contributed\s++"
    r"(?:to\s++(?:this|the)\s++(?:report|story|article)|(?:additional\s++)?reporting|research)"
    r"(?:\s++(?:from|in)(?:\s++[^.!?\n]*?[^.!?\s]|\s\n*+[^\S\n]))?\s*+\.?\s*+\Z", re.M)
# A closing "… contributed to this report." is a sentence of a few names: it is looked for
# in the story's last characters only, whatever the story before it.
CONTRIBUTED_CHARS = 2000
_AND = re.compile(r"\s*,\s*|\s+(?:and|y|e|&)\s+")
_SPACES = re.compile(r"\s+")
_AT = frozenset("in from en em desde".split())  # "Jane Doe in Tokyo", "Marcela Ayres, em Brasília"
_PARTICLES = frozenset("van von de da del der den dos das di du la le bin al el ibn".split())
# A story closes with one or two credit blocks ("… contributed." then "(Editing by …)");
# the bound keeps a body of nothing but such lines linear.
MAX_BLOCKS = 4


@dataclass(frozen=True)
class Contributor:
    name: str
    rel: str  # "contributor" or "editor"


def split_credits(body: str) -> tuple[str, list[Contributor]]:
    """``body`` without its closing credits, and the people they credit in order.
    A body that ends with story text comes back as it is (trailing space stripped)
    with no one."""
    story, found = body.rstrip(), []
    for _ in range(MAX_BLOCKS):
        credits = _closing_credits(story)
        if credits is None:
            break
        start, people = credits
        story, found = story[:start].rstrip(), people + found
    return story, found


def _closing_credits(story: str) -> tuple[int, list[Contributor]] | None:
    """Where the last credit block of ``story`` starts and whom it credits, or None."""
    story = _without_notices(story)
    brackets = _TRAILING_BRACKETS.search(story)
    if brackets and (people := _role_clauses(brackets.group(1))):
        return brackets.start(), people
    line = story.rfind("\n") + 1
    if people := _role_clauses(story[line:]):
        return line, people
    sentence = _CONTRIBUTED.search(story, max(line, len(story) - CONTRIBUTED_CHARS))
    if sentence and (people := _contributed(sentence.group("who"))):
        return sentence.start(), people
    return None


def _without_notices(story: str) -> str:
    """``story`` without the copyright lines that close it (its first line is kept)."""
    end = len(story)
    while (start := story.rfind("\n", 0, end) + 1) > 0:
        line = story[start:end].strip()
        if line and not _NOTICE.match(line):
            break
        end = start - 1
    return story[:end].rstrip()


def _role_clauses(text: str) -> list[Contributor] | None:
    """The people of ``text`` when it is nothing but role clauses, else None."""
    parts = _ROLE.split(text.strip().lstrip(_LEAD))
    if len(parts) < 3 or parts[0].strip():
        return None
    people = []
    for role, names in zip(parts[1::2], parts[2::2]):
        rel = next(rel for pattern, rel in _ROLE_OF if pattern.fullmatch(role))
        credited = _names(names.strip(" \t;,.)"))
        if not credited:
            return None
        people += [Contributor(name, rel) for name in credited]
    return people


def _contributed(who: str) -> list[Contributor] | None:
    """The people of the subject of "… contributed to this report" (a descriptor
    before each name dropped: "Associated Press writer Jane Doe" → "Jane Doe")."""
    names = [_trailing_name(_without_place(part.split())) for part in _parts(who.strip())]
    return [Contributor(name, CONTRIBUTOR) for name in names if name] or None


def _names(text: str) -> list[str] | None:
    """The names of a role clause ("Jane Doe in Tokyo and John Roe"); None when a part
    is neither a name nor a place."""
    names = []
    for part in _parts(text):
        words = _without_place(part.split())
        if not words or (len(words) == 1 and _capitalised(words[0])):
            continue  # a place listed after another ("in Tokyo, Seoul and Beijing")
        if not _is_name(words):
            return None
        names.append(" ".join(words))
    return names or None


def _parts(text: str) -> list[str]:
    """``text`` split at its commas and "and"s, each run of spaces folded to one first:
    the split then never tries each space of a long run in turn."""
    return _AND.split(_SPACES.sub(" ", text))


def _without_place(words: list[str]) -> list[str]:
    """``words`` without a closing "in <Place>" (capitalised words only, so "in Tokyo
    showed that…" is no place): the first "in" that only such words follow."""
    if not words or not _capitalised(words[-1]):
        return words
    place = len(words) - 1  # where the capitalised words (and particles) that end ``words`` start
    while place > 0 and (_capitalised(words[place - 1]) or words[place - 1] in _PARTICLES):
        place -= 1
    for k in range(max(place - 1, 0), len(words) - 1):
        if words[k].casefold() in _AT:
            return words[:k]
    return words


def _trailing_name(words: list[str]) -> str | None:
    """The name that ends ``words``, after any descriptor ("AP's", "writer")."""
    start = len(words)
    while start > 0 and (_capitalised(words[start - 1]) or words[start - 1] in _PARTICLES) \
            and not words[start - 1].endswith(("'s", "’s")):
        start -= 1
    while start < len(words) and not _capitalised(words[start]):
        start += 1
    return " ".join(words[start:]) if _is_name(words[start:]) else None


def _is_name(words: list[str]) -> bool:
    """Two to five capitalised words (inner particles allowed): a single capitalised
    word is as likely a place or a desk."""
    return 2 <= len(words) <= 5 and _capitalised(words[0]) and _capitalised(words[-1]) \
        and all(_capitalised(w) or w in _PARTICLES for w in words)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()
