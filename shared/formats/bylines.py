"""Bylines read into the people who wrote a story and the agency they wrote it for.

Wires and feeds write bylines as prose: "By Jane Doe and John Roe, Reuters", "Von Anna
Schmidt und Max Müller (dpa)", "JANE DOE, AP Business Writer", "Jane Doe | AP",
"NTB-AFP-DPA". Every parser that has a byline as text hands it to :func:`split_byline`
(or several to :func:`read_bylines`), so each format names its authors the same way.

Splitting is conservative: a byline is split only where each part still reads as a
name (capitalised words), and on commas only when each part is a full name of two or
more words, so "Smith, John" and "José Ortega y Gasset" stay one person. Agencies are
recognised from a list of those wires credit, and newspapers and broadcasters by the
shape of their names ("CBS News", "The Washington Post"), never a person's name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# "By" in the languages of the wires this pipeline reads (en, de, fr, es/pt, nl, no/sv, it).
_BY = re.compile(r"^(?:(?:additional\s+)?(?:written|reported|reporting|writing)\s+)?by\b\s*:?\s*", re.I)
_EDITED_BY = re.compile(r"^(?:editing|edited|compiled)\s+by\b", re.I)
# The others are also words that open names ("Von der Leyen", "Di Stefano"): taken as
# "by" only before a capitalised name of two or more words.
_BY_ABROAD = re.compile(r"^(?:von|par|por|door|av|di)\s*:?\s+(?=\S+\s+\S)", re.I)
_LOOSE_ENDS = " ,;|/-–—"  # what is left around a byline whose names or title were marked up apart
_LONGEST = 300  # longer is no byline; it is kept whole
# Where a byline's last part starts: a comma, bar or slash, a spaced dash, "for".
_TAIL = re.compile(r"\s*[,|/]\s*|\s+[-–—]\s+|\s+for\s+", re.I)
_PARENTHESES = re.compile(r"^(?P<rest>.*?)\s*\((?P<tail>[^()]+)\)$")
_STRONG_AND = re.compile(r"\s+(?:and|&|und|et|og|och)\s+", re.I)
# "y" and "e" also join double surnames (Ortega y Gasset): split only into full names.
_WEAK_AND = re.compile(r"\s+(?:y|e|en)\s+", re.I)
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_PARTICLES = frozenset({"al", "bin", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "ibn",
                        "la", "le", "ten", "ter", "van", "von", "y", "zu"})
_TITLE = re.compile(
    r"^(?:[\w.'’&-]+\s+){0,3}(?:writer|reporter|correspondent|editor|contributor|columnist|journalist|"
    r"photographer|critic|producer|staff|chief|journaliste|correspondante?|korrespondent(?:in)?|redakteurin|"
    r"redakteur|redaktør|reporterin|corresponsal|enviad[oa]\s+especial|envoyée?\s+spéciale?)s?$", re.I)
# The agencies wires credit, by the names and initials they sign with (names compared
# without case and without a leading "The"), by lower case.
_AGENCIES = {a.lower(): a for a in (
    "Reuters", "Thomson Reuters", "Associated Press", "AP", "Agence France-Presse", "Agence France Presse", "AFP",
    "dpa", "Deutsche Presse-Agentur", "dpa-AFX", "AFX", "KNA", "epd", "APA", "SDA", "Keystone-SDA", "ANP", "Belga",
    "Bloomberg", "Bloomberg News", "Dow Jones", "Dow Jones Newswires", "EFE", "Agencia EFE", "Europa Press", "Lusa",
    "ANSA", "AGI", "Adnkronos", "NTB", "TT", "Ritzau", "STT", "FNB", "PAP", "CTK", "MTI", "BTA", "HINA", "Tanjug",
    "ATS", "Anadolu", "Anadolu Agency", "AA", "DHA", "Interfax", "TASS", "RIA Novosti", "Ukrinform", "Xinhua",
    "Kyodo", "Kyodo News", "Jiji", "Jiji Press", "Yonhap", "Bernama", "Antara", "PTI", "Press Trust of India",
    "IANS", "ANI", "APP", "CNA", "AAP", "Australian Associated Press", "NZPA", "PA", "PA Media", "Press Association",
    "CP", "Canadian Press", "UPI", "United Press International", "AP-NORC", "MENA", "WAFA", "KUNA", "SPA", "QNA",
    "IRNA", "APS", "MAP", "NAN", "AIM", "Prensa Latina", "Notimex", "Télam", "Agência Brasil", "ABr",
    "Getty Images", "EPA", "EPA-EFE", "Scanpix", "NTB Scanpix", "TT Nyhetsbyrån", "Ritzau Scanpix",
    # broadcasters and papers that sign bylines the way agencies do
    "CNN", "BBC", "NPR", "PBS", "CBS", "NBC", "ABC", "Al Jazeera", "Deutsche Welle", "DW", "RFI", "France 24",
    "Euronews", "Financial Times", "FT", "Wall Street Journal", "WSJ", "Politico", "Axios", "Le Monde")}
_INITIALS = re.compile(r"[A-Z]{2,5}|[a-z]{2,4}")  # "AP", "dpa": as written, or else a name ("Nan")
# The last word of a newsroom's name ("CBS News", "Kyodo News", "Ritzau Media"), and of a
# paper's when its name opens with "The" (not alone: "Emily Post" is a person).
_NEWSROOMS = frozenset({"news", "newswire", "newswires", "agency", "television", "tv", "radio", "media"})
_PAPERS = frozenset({"times", "post", "journal", "herald", "tribune", "gazette", "telegraph", "chronicle", "observer",
                     "guardian", "independent", "globe", "economist", "star", "sun", "mail", "express", "mirror",
                     "standard", "examiner", "inquirer", "courier", "press", "register", "bulletin", "monitor"})


@dataclass(frozen=True)
class Byline:
    """What a byline says: its text (as ninjs ``by``), the people it names, the
    agencies or newspapers they wrote for, and a job title ("Staff Writer")."""

    text: str = ""
    names: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    title: str = ""

    def people(self, rel: str = "author") -> list[dict[str, Any]]:
        """The names as ninjs ``people`` with ``rel``."""
        return [{"name": name, "rel": rel} for name in self.names]

    def info_sources(self) -> list[dict[str, Any]]:
        """The agencies as ninjs ``infoSources`` (:func:`agency_sources`)."""
        return agency_sources(self.affiliations)

    def title_cased(self) -> Byline:
        """The byline with each name set in capitals, as text wires and some sites set
        them ("JANE DOE and JOHN ROE, AP"), in title case ("Jane Doe and John Roe, AP"),
        in ``names`` and ``text``; name particles in lower case ("Ludwig van Beethoven"),
        an "AND" between names too. Agencies and title stay as written ("AP" is no "Ap")."""
        if not any(name.isupper() for name in self.names):
            return self
        pieces, at = [], 0
        for name in self.names:  # each name is a piece of the text, in order
            found = self.text.find(name, at)
            if found < 0:
                continue
            gap = self.text[at:found]
            pieces += [gap.lower() if at and gap.isupper() else gap, _title_case(name)]
            at = found + len(name)
        pieces.append(self.text[at:])
        return Byline("".join(pieces), tuple(map(_title_case, self.names)), self.affiliations, self.title)


def split_byline(text: str) -> Byline:
    """Read one byline.

    In: the byline as written ("By Jane Doe and John Roe, Reuters"). Out: its text
    without a leading "By" (Von, Par, Por, Door, Av, Di; "By:"), the names it gives
    (split on "and", "&", ";", "und", "et", "og", "och", "y", and on commas between
    full names), the agencies it ends with (", Reuters", "| AP", "(AFP)", "for The
    Associated Press", an agency opening a job title: "AP Business Writer") and the
    job title it ends with. A byline naming only agencies ("NTB-AFP-DPA") names no
    person. Never raises; a byline longer than 300 characters is one name.
    """
    text = " ".join(text.split()).strip(_LOOSE_ENDS)
    text = _BY.sub("", text) if _BY.match(text) else _without_foreign_by(text)
    if not text or len(text) > _LONGEST:
        return Byline(text, (text,) if text else ())
    rest, affiliations, title = text, [], ""
    while True:
        tail = _last_part(rest)
        if not (tail and (is_agency(tail[1]) or not title and _TITLE.match(tail[1]))):
            tail = None if title else _agency_title_at_end(rest)
        if tail is None:
            break
        rest, part = tail
        if is_agency(part):
            affiliations.insert(0, part)
        else:
            title = part
            affiliations[:0] = [a for a in [_agency_opening(part)] if a]
    if agencies := _only_agencies(rest):
        return Byline(text, (), tuple(dict.fromkeys(agencies + affiliations)), title)
    if _TITLE.match(rest):
        return Byline(text, (), tuple(affiliations + [a for a in [_agency_opening(rest)] if a]), rest)
    return Byline(text, tuple(dict.fromkeys(_names(rest))), tuple(dict.fromkeys(affiliations)), title)


def read_bylines(texts: Iterable[str]) -> Byline:
    """Several bylines of one story as one: texts joined by " and ", each name and
    agency once, the first title."""
    bylines = [split_byline(t) for t in texts if t and t.strip()]
    return Byline(" and ".join(b.text for b in bylines if b.text),
                  tuple(dict.fromkeys(n for b in bylines for n in b.names)),
                  tuple(dict.fromkeys(a for b in bylines for a in b.affiliations)),
                  next((b.title for b in bylines if b.title), ""))


def agency_sources(names: Iterable[str], known: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Agencies as ninjs ``infoSources`` with role "source" (as NewsML 1.2's source
    parties are), each once and none that ``known`` (infoSources a parser already has)
    names, compared without case."""
    seen = {str(s.get("name", "")).casefold() for s in known}
    found = []
    for name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            found.append({"name": name, "role": "source"})
    return found


def _without_foreign_by(text: str) -> str:
    found = _BY_ABROAD.match(text)
    if found is None:
        return text
    rest = text[found.end():]
    return rest if rest[:1].isupper() else text


def _last_part(text: str) -> tuple[str, str] | None:
    """(everything before, the last part) of a byline, split at its last separator
    or a closing parenthesis; None when it has one part."""
    if text.endswith(")") and (found := _PARENTHESES.match(text)) and found["rest"]:
        return found["rest"], found["tail"].strip()
    matches = list(_TAIL.finditer(text))
    if not matches or not text[:matches[-1].start()].strip():
        return None
    last = matches[-1]
    return text[:last.start()], text[last.end():].strip()


def _agency_title_at_end(text: str) -> tuple[str, str] | None:
    """(names, title) of a byline that ends with an agency's job title and no comma
    ("JOHN DOE and JANE ROE Associated Press Writers")."""
    words = text.split()
    for count in range(min(5, len(words) - 1), 1, -1):
        title = " ".join(words[-count:])
        if _TITLE.match(title) and _agency_opening(title):
            return " ".join(words[:-count]), title
    return None


def is_agency(name: str) -> bool:
    """True for the name or initials of a news agency wires credit ("Reuters", "The
    Associated Press", "dpa"; initials only as the agency writes them, so "Nan" is no
    NAN), a broadcaster or paper that signs like one ("CNN"), or a name shaped like a
    newsroom's ("CBS News", "The Washington Post")."""
    words = name.strip(" .").split()
    key = " ".join(words).lower().removeprefix("the ")
    if key in _AGENCIES:
        written = _AGENCIES[key]
        return not _INITIALS.fullmatch(written) or " ".join(words) in (written, written.upper())
    # a newspaper or broadcaster by the shape of its name: "The Washington Post", "CBS News"
    if len(words) < 2 or len(words) > 6 or not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
        return False
    last = words[-1].lower()
    return last in _NEWSROOMS or (words[0] == "The" and last in _PAPERS)


def _agency_opening(title: str) -> str:
    """The agency a job title opens with ("AP Business Writer" → "AP")."""
    words = title.split()
    return next((" ".join(words[:n]) for n in (3, 2, 1) if n < len(words) and is_agency(" ".join(words[:n]))), "")


def _only_agencies(text: str) -> list[str]:
    """The agencies of a byline that names nothing else ("NTB-AFP-DPA", "AP and Reuters")."""
    if is_agency(text):
        return [text]
    parts = [p.strip() for p in re.split(r"\s*[-/,&;]\s*|\s+and\s+", text) if p.strip()]
    return parts if len(parts) > 1 and all(is_agency(p) for p in parts) else []


def _names(text: str) -> list[str]:
    names = []
    for chunk in (c.strip(" ,") for c in text.split(";")):
        if _EDITED_BY.match(chunk):  # "Reporting by Jane Doe; Editing by John Roe": the editor wrote nothing
            continue
        chunk = _BY.sub("", chunk)
        for part in _split_names(chunk):
            pieces = [p.strip() for p in part.split(",")]
            if len(pieces) > 1 and all(_is_name(p, words=2) for p in pieces):
                names += pieces
            elif part:
                names.append(part)
    return names


def _split_names(text: str) -> list[str]:
    """``text`` split on conjunctions, when every part reads as a name."""
    parts = [p.strip(" ,") for p in _STRONG_AND.split(text)]
    if len(parts) > 1 and not all(_is_name(p) for p in parts):
        parts = [text]
    found = []
    for part in parts:
        pieces = [p.strip(" ,") for p in _WEAK_AND.split(part)]
        found += pieces if len(pieces) > 1 and all(_is_name(p, words=2) for p in pieces) else [part]
    return found


def _title_case(name: str) -> str:
    """A name set in capitals in title case, particles after the first word in lower case."""
    if not name.isupper():
        return name
    words = name.title().split(" ")
    return " ".join(w.lower() if n and w.lower() in _PARTICLES else w for n, w in enumerate(words))


def _is_name(text: str, words: int = 1) -> bool:
    """Capitalised words (or name particles), ``words`` to eight of them; a comma may
    stand between surname and given name."""
    tokens = text.replace(",", " ").split()
    return words <= len(tokens) <= 8 and all(
        _NAME_WORD.fullmatch(t) and (not t[0].islower() or t.lower() in _PARTICLES) for t in tokens)
