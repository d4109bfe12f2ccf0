"""Thai text with PyThaiNLP's dictionary-based ``newmm`` segmenter: words, sentences,
content words.

Thai puts no space between words; a space ends a clause or a sentence, and sets off
numbers and foreign words. Words come from newmm: maximal matching over the word
list shipped inside the pythainlp wheel, cut only at Thai character-cluster
boundaries. Nothing is downloaded, and nothing is loaded until text has Thai in it.
No Thai NER model is installed, and Thai has no capitals: names are not told from
other words.
"""
from __future__ import annotations

import gc
import os
import re
import threading
from functools import lru_cache

THAI = "\u0e01-\u0e5b"
# Full stops inside and after Thai letters belong to abbreviations ("ม.ค.", "พล.อ.",
# "กทม."), which newmm's dictionary holds as single words.
THAI_RUN = re.compile(f"[{THAI}]+(?:\\.[{THAI}]*)*")
_HAS_THAI = re.compile(f"[{THAI}]")
# A word has a letter or digit; ๆ (repeat the previous word) and ฯ (abbreviation)
# alone, tone marks and Thai punctuation are not words.
_WORD_CHARACTER = re.compile(r"[^\W_ๆฯ]")
# newmm's safe mode bounds its search to ~140-character windows but slices the rest of
# its input after each one: fed a run at most this long, its work stays linear in the text.
PIECE_CHARS = 2000
# An article's phrases are segmented again by each step (word count, sentences,
# keywords, summary): the words of recent short ones are kept (a 600-word article:
# ~10 ms in all instead of ~70).
PHRASE_CHARS = 300
_LEADING_VOWELS = "เแโใไ"
_CLUSTER_START = re.compile(f"[ก-ฮ{_LEADING_VOWELS}]")

# Reporting verbs, as "said" and "says" are English stop words here: in news they
# are everywhere and say nothing of the story.
REPORTING = frozenset({"กล่าวว่า", "ระบุ", "ระบุว่า", "เปิดเผยว่า", "เผย", "เผยว่า"})

_LOCK = threading.Lock()
_TOOLS: tuple | None = None


def _tools() -> tuple:
    """(newmm's segment, its word trie, Thai stop words), loaded once (~0.7 s)."""
    global _TOOLS
    with _LOCK:
        if _TOOLS is None:
            # Importing pythainlp creates ~/pythainlp-data unless read-only mode is on,
            # and fails where the home directory is not writable; offline mode rules out
            # any automatic corpus download. newmm reads only files inside the wheel.
            if "PYTHAINLP_READ_MODE" not in os.environ:  # its deprecated spelling; both set is an error
                os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
            os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
            from pythainlp.corpus import thai_stopwords
            from pythainlp.tokenize import word_dict_trie
            from pythainlp.tokenize.newmm import segment

            _TOOLS = (segment, word_dict_trie(), thai_stopwords() | REPORTING)
            # The trie is ~425k objects kept for the life of the process: a full
            # collection walked them for ~0.1 s. Out of the collector with them, as the
            # worker does with the models it loads at start-up.
            gc.freeze()
        return _TOOLS


def has_thai(text: str) -> bool:
    """Whether ``text`` has a Thai character (cheap: loads nothing)."""
    return _HAS_THAI.search(text) is not None


def _cut(run: str, start: int) -> int:
    """Where the piece of ``run`` starting at ``start`` ends: at most ``PIECE_CHARS`` on,
    moved back (a little) to the start of a character cluster."""
    end = start + PIECE_CHARS
    if end >= len(run):
        return len(run)
    for i in range(end, end - 32, -1):
        if _CLUSTER_START.match(run, i) and run[i - 1] not in _LEADING_VOWELS:
            return i
    return end


def segment(run: str) -> list[str]:
    """newmm's tokens of ``run`` (Thai script, no spaces), which they join back into.
    Linear in its length: overlong runs (only hostile or broken text has them) are
    segmented in pieces."""
    return list(_segment_phrase(run)) if len(run) <= PHRASE_CHARS else _segment(run)


@lru_cache(maxsize=4096)
def _segment_phrase(run: str) -> tuple[str, ...]:
    return tuple(_segment(run))


def _segment(run: str) -> list[str]:
    newmm, trie, _ = _tools()
    tokens: list[str] = []
    start = 0
    while start < len(run):
        end = _cut(run, start)
        tokens.extend(newmm(run[start:end], custom_dict=trie, safe_mode=True))
        start = end
    return tokens


def words(text: str) -> list[str]:
    """The Thai words of ``text``, in order (whatever is not Thai script is left out)."""
    return [t for run in THAI_RUN.findall(text) for t in segment(run) if _WORD_CHARACTER.search(t)]


def _is_content(word: str, stopwords: frozenset[str]) -> bool:
    return len(word) > 1 and word not in stopwords and not word.isdigit()


def content_runs(text: str) -> list[list[str]]:
    """Runs of adjacent Thai content words (not stop words or numbers, two characters
    or more); a stop word, a space or anything not Thai ends a run."""
    stopwords = _tools()[2]
    runs: list[list[str]] = []
    for run in THAI_RUN.findall(text):
        current: list[str] = []
        for token in segment(run):
            if _WORD_CHARACTER.search(token) and _is_content(token, stopwords):
                current.append(token)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
    return runs


def content_words(text: str) -> list[str]:
    """The Thai content words of ``text`` in order (a summary's terms)."""
    return [w for run in content_runs(text) for w in run]


# A space may end a sentence where Thai letters (or a closing quotation mark, ? or !)
# stand before it and a Thai letter (or an opening quotation mark) after it. A space
# beside a number, a Latin word or a bracket, or after ๆ or ฯ, is spacing inside one:
# "กว่า 3,000 หลังคาเรือน", "(ปภ.) ได้อพยพ", "ต่างๆ นานา".
_SPACE_BREAK = re.compile(r"(?<=[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e”?!])[ \t\u00a0]+"
                          r"(?=[\u0e01-\u0e2e\u0e40-\u0e44“])")
# Words that carry a sentence on past a space: conjunctions and relatives ("และ",
# "ซึ่ง") open a clause of the sentence before them, and a reporting verb follows its
# speaker ("นายสมชาย ใจดี โฆษกรัฐบาล เปิดเผยว่า …"); "ว่า" (that) ends a reporting
# clause whose words follow ("กล่าวว่า ระดับน้ำ…").
CONTINUING = REPORTING | {"กล่าว", "เปิดเผย", "และ", "หรือ", "แต่", "ซึ่ง", "โดย", "เพื่อ", "ที่", "ว่า", "จึง",
                          "เพราะ", "เนื่องจาก", "ขณะที่", "รวมทั้ง", "รวมถึง", "ตลอดจน", "กับ", "ของ", "ใน",
                          "จาก", "ก็"}
# Fewer words than this is a phrase (a time, a place, a name) of the sentence beside
# it; the summary skips shorter sentences anyway.
MIN_SENTENCE_WORDS = 6
_OTHER_WORD = re.compile(r"[^\W_]+(?:[.,:\-][^\W_]+)*")


def _span_words(span: str) -> tuple[str | None, int]:
    """The first Thai word of ``span`` (None when it does not start with Thai) and how
    many words it has, numbers and words in other scripts included."""
    thai_words = words(span)
    others = len(_OTHER_WORD.findall(THAI_RUN.sub(" ", span)))
    first = thai_words[0] if thai_words and THAI_RUN.match(span) else None
    return first, len(thai_words) + others


def _continues(line: str, sentence: tuple[int, int], size: int, span: tuple[int, int],
               first: str | None, length: int) -> bool:
    """Whether the sentence so far, ``line[sentence]`` (``size`` words), goes on into the
    next ``span`` (after a space), whose first word is ``first`` and which has ``length``."""
    if line[sentence[1] - 1] in "?!":
        return False
    if line.endswith("ว่า", *sentence) or first in CONTINUING or size < MIN_SENTENCE_WORDS:
        return True
    # a short span is a phrase of the sentence before it, unless it is a reporting
    # clause: that belongs to the words it introduces
    return length < MIN_SENTENCE_WORDS and not line.endswith("ว่า", *span)


def sentences(text: str) -> list[str]:
    """The sentences of Thai ``text``, in order, as written (inner spaces kept).

    Thai marks no sentence end but a space, and spaces also fall between clauses, so:
    a line break always ends a sentence; a space between Thai letters does unless the
    text after it continues the sentence (see :data:`CONTINUING`), the text before it
    is a reporting clause ending in "ว่า", or either side is a phrase of fewer than
    :data:`MIN_SENTENCE_WORDS` words; a space after ? or ! always does. A full stop
    never ends a Thai sentence: it marks abbreviations ("พล.อ. ประยุทธ์", "ต.ค. 2567")."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start, spans = 0, []
        for space in _SPACE_BREAK.finditer(line):
            spans.append((start, space.start()))
            start = space.end()
        spans.append((start, len(line)))
        sentence, size = spans[0], _span_words(line[slice(*spans[0])])[1]
        for span in spans[1:]:
            first, length = _span_words(line[slice(*span)])
            if _continues(line, sentence, size, span, first, length):
                sentence, size = (sentence[0], span[1]), size + length
            else:
                found.append(line[slice(*sentence)])
                sentence, size = span, length
        found.append(line[slice(*sentence)])
    return found
