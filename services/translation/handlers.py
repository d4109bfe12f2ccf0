"""Translation's handler. No engine is wired in yet: every requested target is
reported untranslated with a machine-readable note; the source text is never copied
into a "translation"."""
from __future__ import annotations

from shared.events import ArticleEvent, StageNote

NO_ENGINE = "no_engine_configured"


async def translate(event: ArticleEvent, *, targets: list[str]) -> ArticleEvent:
    """Forward ``event`` with one note per target language it could not translate
    (or a single note when the deployment names no targets)."""
    source = event.article.language or "und"
    wanted = [t for t in targets if t != source]
    if not wanted:
        event.envelope.notes.append(
            StageNote(stage="translation", code=NO_ENGINE,
                      detail="no translation engine is configured; the article is forwarded untranslated",
                      data={"source": source, "targets": []})
        )
    for target in wanted:
        event.envelope.notes.append(
            StageNote(stage="translation", code=NO_ENGINE,
                      detail=f"no engine for {source}→{target}",
                      data={"source": source, "target": target})
        )
    return event
