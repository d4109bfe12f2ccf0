"""Translation's handler: an enriched article in; the original (linked to its
language versions) and one item per translation out.

Targets are the deployment's languages minus the article's own (enrichment's
``article.language``). A pair without an engine produces no item: the original
carries a note ``no_engine`` ("no engine for en→ko") and the metric
``wire_translation_untranslated_total`` counts it. A pair whose engine fails
(after the desk's retries) carries a note ``engine_failed`` and is returned in
``failures`` so the runner dead-letters a copy of the input for that pair alone,
while the other languages are published. A kill withdraws every translation.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from services.translation.desk import PairFailed, TranslationDesk
from services.translation.engines.base import Pair, primary
from services.translation.items import (STAGE, Rendering, link_original, translation_event,
                                        withdrawn_translation)
from services.translation.metrics import ITEMS, UNTRANSLATED
from services.translation.names import protected_names
from services.translation.routing import Router
from services.translation.segments import source_segments, text_chars, translated_fields
from shared.events import ArticleEvent, Signal, StageNote
from shared.telemetry import language_label

NO_ENGINE = "no_engine"
ENGINE_FAILED = "engine_failed"
NO_SOURCE_LANGUAGE = "no_source_language"
NO_TEXT = "nothing_to_translate"
TOO_LARGE = "too_large"
_LANGUAGE = re.compile(r"[a-z]{2,3}")  # a language's primary subtag, as Pair.of lowers it
# Characters of text one article may have translated (WIRE_TRANSLATION_MAX_CHARS): ~10,000
# words, a long feature. Engines do ~50 segments a second, so a 5 MiB body held a pair for
# an hour; a longer article is published untranslated, with a note saying why.
MAX_CHARS = 60_000
DEFAULT_PROTECT = ("people", "organisations", "places")


@dataclass
class TranslationOutcome:
    original: ArticleEvent
    translations: list[ArticleEvent] = field(default_factory=list)
    failures: list[PairFailed] = field(default_factory=list)

    @property
    def events(self) -> list[ArticleEvent]:
        """What the stage emits: the original first, then its translations."""
        return [self.original, *self.translations]


def urgency_priority(event: ArticleEvent) -> int:
    """Queue priority of an article's segments: urgency 1–2 first, unknown as 5."""
    return event.article.urgency or 5


async def translate_article(event: ArticleEvent, *, targets: list[str], router: Router, desk: TranslationDesk,
                            protect: tuple[str, ...] | list[str] = DEFAULT_PROTECT,
                            max_chars: int = MAX_CHARS) -> TranslationOutcome:
    """Translate ``event`` into each of ``targets``.

    Never raises for an engine's failure (see ``failures``); raises only what a
    bug would (the runner dead-letters the record).
    """
    outcome = TranslationOutcome(event)
    source = event.article.language
    wanted = list(dict.fromkeys(t for t in targets if not source or primary(t) != primary(source)))
    if not wanted:
        return outcome
    notes: list[StageNote] = []
    if not source or primary(source) == "und" or not _LANGUAGE.fullmatch(primary(source)):
        # (a primary subtag is 2-3 letters: anything else is no language an engine has, and
        # each spelling would make a pair of its own, with its batcher and metric series)
        notes = [_note(NO_SOURCE_LANGUAGE, source or "und", t, "the article's language is unknown; not translated")
                 for t in wanted]
        link_original(event, [], notes)
        return outcome
    routed = {}
    for target in wanted:
        pair = Pair.of(source, target)
        engine = router.engine_for(pair)
        if engine is None:
            notes.append(_note(NO_ENGINE, source, target, f"no engine for {pair.arrow}"))
        else:
            routed[target] = (pair, engine)
    if event.envelope.signal == Signal.KILL or event.article.pubStatus == "canceled":
        outcome.translations = [withdrawn_translation(event, target) for target in routed]
        link_original(event, outcome.translations, notes)
        return outcome
    if (size := text_chars(event.article)) > max_chars:
        notes += [_note(TOO_LARGE, source, t, f"the article has {size} characters of text, more than the "
                                              f"{max_chars} translated (WIRE_TRANSLATION_MAX_CHARS); not translated")
                  for t in routed]
        link_original(event, [], notes)
        return outcome
    segments = source_segments(event.article)
    if not segments:
        notes += [_note(NO_TEXT, source, t, "the article has no plain text to translate") for t in routed]
        link_original(event, [], notes)
        return outcome
    names = protected_names(event.article, protect)
    results = await asyncio.gather(*(
        desk.translate(segments, names=names, pair=pair, engine=engine, priority=urgency_priority(event))
        for pair, engine in routed.values()), return_exceptions=True)
    for (target, (pair, engine)), result in zip(routed.items(), results):
        if isinstance(result, PairFailed):
            outcome.failures.append(result)
            notes.append(_note(ENGINE_FAILED, source, target, str(result), engine=engine.name,
                               retriable=result.retriable, attempts=result.attempts))
            continue
        if isinstance(result, BaseException):
            raise result
        rendering = Rendering(target=target, provenance=engine.provenance(pair),
                              fields=translated_fields(event.article, result.texts.__getitem__),
                              segments=len(segments), memory_hits=result.hits,
                              names_protected=[n for n in names if any(n in s for s in segments)],
                              names_lost=result.names_lost)
        outcome.translations.append(translation_event(event, rendering))
        ITEMS.labels(pair.label, engine.name, rendering.provenance.quality).inc()
    link_original(event, outcome.translations, notes)
    return outcome


def _note(code: str, source: str, target: str, detail: str, **data) -> StageNote:
    UNTRANSLATED.labels(f"{language_label(source)}-{language_label(target)}", code).inc()
    return StageNote(stage=STAGE, code=code, detail=detail, data={"source": source, "target": target, **data})
