"""The credit lines that close a wire story: who reported, wrote and edited it.

Agencies end a story with its credits, which are not story text:

- role clauses, in brackets at the end of the last paragraph or as a paragraph of
  their own: "(Reporting by Jane Doe in Tokyo and John Roe; Additional reporting by
  …; Writing by …; Editing by …)", "--With assistance from …", and Reuters' Spanish,
  Portuguese, French and German desks' "(Reporte de …; Editado en español por …)",
  "(Reportagem de …; Edição de …)", "(Reportage Jane Doe; version française …, édité
  par …)", "(Jane Doe, édité par …)", "(Reporter: …; redigiert von …. Bei Rückfragen
  wenden Sie sich an unsere Redaktion unter …@… (für …).)";
- a closing sentence: "Associated Press writer Jane Doe in Washington contributed to
  this report." / "… contributed reporting from Kyiv."

Copyright lines after the credits ("© Reuters") go with them.

:func:`split_credits` cuts them off the body, so their names never become people
the story mentions (nor trends), and returns those people with their role
(contributor, editor, translator). A block counts as credits only when every clause
names someone and holds nothing but names, places and desks ("Service France"); story
text that merely starts like one is kept. Each search reads the text once: the closing
bracket is matched backwards over at most a few brackets inside it, the closing
sentence is looked for in the story's last 2,000 characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CONTRIBUTOR, EDITOR, TRANSLATOR = "contributor", "editor", "translator"
# Role phrases, each followed by the names it credits. The French and German desks' forms:
# "(Reportage Jean Dupont, avec Marie Martin; version française Paul Durand, édité par
# Yves Clarisse)", "(Rédigé par …, édité par …)", "(Reporter: Anna Schmidt, Max Weber;
# geschrieben von …; redigiert von …)", "(Berichterstattung von …; Redigiert von …)".
_ROLES = (
    (EDITOR, r"(?:additional\s+)?editing\s+by|edited\s+by|editado(?:\s+en\s+español)?\s+por|edição\s+de"
             r"|[ée]dit[ée]e?\s+par|redigiert\s+von"),
    (CONTRIBUTOR, r"(?:additional\s+)?reporting\s+by|(?:writing|written|compiled|compiling|research|graphics)\s+by"
                  r"|with\s+(?:additional\s+)?assistance\s+from"
                  r"|reporte(?:\s+adicional)?\s+de|reportagem(?:\s+adicional)?\s+de|(?:escrito|redactado)\s+por"
                  r"|reportage(?:\s+(?:additionnel|complémentaire))?(?:\s+de|\s*:)?|(?:r[ée]dig[ée]e?|[ée]crite?)\s+par"
                  r"|avec\s+la\s+contribution\s+de"
                  r"|(?:zusätzliche\s+|weitere\s+)?berichterstattung(?:\s+von|\s*:)|reporter(?:in|innen)?\s*:"
                  r"|mitarbeit(?:\s+von|\s*:)|geschrieben\s+von"),
    (TRANSLATOR, r"version\s+fran[çc]aise|traduit\s+par|übersetzt\s+von|übersetzung\s*:"),
)
# "avec" credits more reporters only after another's names ("Reportage Jean Dupont, avec
# Marie Martin"); opening a paragraph, it is story text ("Avec Emmanuel Macron, …").
_WITH = r"avec"
_FOLLOW_ON = re.compile(_WITH, re.I)
# A role ends a word, or with its colon ("Reporter:").
_ROLE = re.compile(r"\b(" + "|".join(pattern for _, pattern in _ROLES) + rf"|(?<=[,;]\s){_WITH})(?:(?<=:)|\b)",
                   re.I)
_ROLE_OF = [(re.compile(pattern, re.I), rel) for rel, pattern in (*_ROLES, (CONTRIBUTOR, _WITH))]
_LEAD = " \t-—–("  # what may open a credit paragraph: "--With assistance from …"
# A credit block holds few brackets of its own ("… unter berlin.newsroom@… (für Politik)"):
# more, and the brackets that close a story are no credits.
_BRACKETS = 8
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
_AND = re.compile(r"\s*,\s*|\s+(?:and|y|e|et|und|&)\s+")
_SPACES = re.compile(r"\s+")
_AT = frozenset("in from en em desde à aus".split())  # "Jane Doe in Tokyo", "Marcela Ayres, em Brasília"
# A desk credited beside the people ("Service France", "Bureau de Paris"): no one's name.
_DESKS = frozenset("bureau desk newsroom service staff team rédaction redaktion".split())
_PARTICLES = frozenset("van von de da del der den dos das di du la le bin al el ibn".split())
# A story closes with one or two credit blocks ("… contributed." then "(Editing by …)");
# the bound keeps a body of nothing but such lines linear.
MAX_BLOCKS = 4


@dataclass(frozen=True)
class Contributor:
    name: str
    rel: str  # "contributor", "editor" or "translator"


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
    opening = _closing_bracket(story)
    if opening is not None and (people := _role_clauses(story[opening + 1:-1], names_first=True)):
        return opening, people
    line = story.rfind("\n") + 1
    if people := _role_clauses(story[line:]):
        return line, people
    sentence = _CONTRIBUTED.search(story, max(line, len(story) - CONTRIBUTED_CHARS))
    if sentence and (people := _contributed(sentence.group("who"))):
        return sentence.start(), people
    return None


def _closing_bracket(story: str) -> int | None:
    """Where the bracket that closes ``story`` opens (the brackets inside it matched),
    or None. Each run of text between two brackets is read once, by ``rfind``."""
    if not story.endswith(")"):
        return None
    depth, opening, closing = 0, story.rfind("("), len(story) - 1
    for _ in range(2 * _BRACKETS):
        if closing > opening:
            depth, closing = depth + 1, story.rfind(")", 0, closing)
        elif opening < 0:
            return None
        else:
            depth -= 1
            if depth == 0:
                return opening
            opening = story.rfind("(", 0, opening)
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


def _role_clauses(text: str, names_first: bool = False) -> list[Contributor] | None:
    """The people of ``text`` when it is nothing but role clauses, else None. With
    ``names_first`` (a bracket), names may open it without a role, as the French desk
    writes its reporter: "(François Revilla, édité par Yves Clarisse)". A closing
    sentence that gives the desk's e-mail address ("Bei Rückfragen wenden Sie sich an
    unsere Redaktion unter …@…") goes with the credits."""
    parts = _ROLE.split(_without_contact(text).strip().lstrip(_LEAD))
    if len(parts) < 3:
        return None
    people = []
    if lead := parts[0].strip(" \t;,."):
        credited = _names(lead) if names_first else None
        # and a role more than "avec" follows: "(Emmanuel Macron, avec Olaf Scholz)" is story text
        if credited is None or all(_FOLLOW_ON.fullmatch(role) for role in parts[1::2]):
            return None
        people += [Contributor(name, CONTRIBUTOR) for name in credited]
    for role, names in zip(parts[1::2], parts[2::2]):
        rel = next(rel for pattern, rel in _ROLE_OF if pattern.fullmatch(role))
        if not (credited := _names(names.strip(" \t;,.)"))):
            return None
        people += [Contributor(name, rel) for name in credited]
    return people


def _without_contact(text: str) -> str:
    """``text`` without the sentence that holds its first e-mail address and all after it."""
    at = text.find("@")
    if at < 0:
        return text
    return text[:max(text.rfind(". ", 0, at), text.rfind("; ", 0, at), 0)]


def _contributed(who: str) -> list[Contributor] | None:
    """The people of the subject of "… contributed to this report" (a descriptor
    before each name dropped: "Associated Press writer Jane Doe" → "Jane Doe")."""
    names = [_trailing_name(_without_place(part.split())) for part in _parts(who.strip())]
    return [Contributor(name, CONTRIBUTOR) for name in names if name] or None


def _names(text: str) -> list[str] | None:
    """The names of a role clause ("Jane Doe in Tokyo and John Roe"), places and desks
    left out; None when a part is neither a name, a place nor a desk."""
    names = []
    for part in _parts(text):
        words = _without_place(part.split())
        if not words or (len(words) == 1 and _capitalised(words[0])) or _DESKS & {w.casefold() for w in words}:
            continue  # a place listed after another ("in Tokyo, Seoul and Beijing"), or a desk
        if not _is_name(words):
            return None
        names.append(" ".join(words))
    return names


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
