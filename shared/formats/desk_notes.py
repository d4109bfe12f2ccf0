"""Lines of a wire body that are meant for the desk, not for readers.

Agencies put editors' notes ("Eds: …", "NOT FOR PUBLICATION", "Note to editors: …"),
keyword lines and slug lines among the paragraphs of a story. Published as body
text they would reach readers, so they are moved out: notes to ``edNote``, keywords
to subjects, the slug to ``slugline``. A line is only moved when it starts with
such a label (or opens by saying it is not for publication, or is a short notice
that says so), never for words inside a sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.formats.sentences import ends_like_a_sentence

# "not for publication" in the languages of the wires this pipeline reads
# (en, no/da, sv, de, fr, es, pt).
_NO_PUBLICATION = (
    r"(?:not\s+for\s+(?:publication|pub)|ikke\s+(?:for|til)\s+(?:publisering|publicering|offentliggj\w+)"
    r"|ej\s+för\s+publicering|inte\s+för\s+publicering|nicht\s+zur\s+veröffentlichung"
    r"|pas\s+pour\s+publication|ne\s+pas\s+publier|no\s+(?:para\s+)?publicar|não\s+(?:para\s+)?publicar)\b")
# A notice opens with the words, or with a label of up to three words and a colon or
# dash ("Embargoed - not for publication …"); inside a sentence they are story text.
_NOT_FOR_PUBLICATION = re.compile(
    rf"^\W{{0,3}}(?:[^\W\d_][\w'’]*(?:\s+[\w'’]+){{0,2}}\s*[:|\-–—]\s*)?{_NO_PUBLICATION}", re.I)
_SAYS_NO_PUBLICATION = re.compile(rf"\b{_NO_PUBLICATION}", re.I)
_NOTICE_WORDS = 6  # "PHOTO NOT FOR PUBLICATION": a line this short without a sentence's end is a notice
_EDITOR_LABEL = re.compile(
    r"^\W{0,3}(?:eds?|editors?|editor'?s?\s+notes?|ed\.?\s+notes?|note\s+to\s+editors|notes?\s+to\s+editors"
    r"|editorial\s+note|til\s+redaksjonen|till\s+redaktionen|an\s+die\s+redaktion|note\s+aux\s+rédactions"
    r"|nota\s+(?:a\s+los\s+editores|aos\s+editores))\s*[:.\-–—]\s*", re.I)
_KEYWORD_LABEL = re.compile(
    r"^(?:keywords?|key\s+words|stichw(?:ö|oe)rter|nøkkelord|nyckelord|mots[- ]clés)\s*:\s*(.+)$", re.I)
_SLUG_LABEL = re.compile(r"^(?:slug(?:\s*line)?|stikkord|catchline)\s*:\s*(\S.{0,80})$", re.I)
_LONGEST_NOTE = 600  # longer "paragraphs" with a label are story text that happens to start so


@dataclass
class DeskNotes:
    """A body split into what readers get and what the desk gets."""

    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    slug: str = ""

    def ed_note(self, declared: str | None = None) -> str | None:
        """The ``edNote``: what the source declared as such, then the notes found in the body."""
        parts = [p for p in (declared or "", *self.notes) if p]
        return " / ".join(dict.fromkeys(parts)) or None


def split_desk_notes(paragraphs: list[str]) -> DeskNotes:
    """Split ``paragraphs`` into body paragraphs, editors' notes, keywords and a slug.

    In: plain-text paragraphs as a parser read them. Out: the same paragraphs, in
    order, without the desk lines; the notes (labels kept, so the note still says
    what it is), keywords (split on commas or semicolons) and the slug. Never raises.
    """
    desk = DeskNotes()
    for paragraph in paragraphs:
        text = paragraph.strip()
        short = len(text) <= _LONGEST_NOTE
        if short and (_EDITOR_LABEL.match(text) or _is_publication_notice(text)):
            desk.notes.append(text)
        elif short and (found := _KEYWORD_LABEL.match(text)):
            desk.keywords += [k.strip() for k in re.split(r"[,;]", found.group(1)) if k.strip()]
        elif short and not desk.slug and (found := _SLUG_LABEL.match(text)):
            desk.slug = found.group(1).strip()
        else:
            desk.paragraphs.append(paragraph)
    return desk


def _is_publication_notice(text: str) -> bool:
    """A line that opens with "not for publication" (after at most a short label), or a
    notice of a few words that says so without ending like a sentence."""
    if _NOT_FOR_PUBLICATION.match(text):
        return True
    return (len(text.split()) <= _NOTICE_WORDS and not ends_like_a_sentence(text)
            and _SAYS_NO_PUBLICATION.search(text) is not None)
