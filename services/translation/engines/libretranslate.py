"""LibreTranslate over HTTP (self-hosted): the route for Korean and the other pairs
no bundled engine covers.

``POST {url}/translate`` with ``q`` as a list answers ``translatedText`` as a list
of the same length, so a batch is one request (split in chunks of ``batch_size``).
A connection error, a timeout, 429 or 5xx is EngineUnavailable (retried, then the
pair is dead-lettered); any other 4xx (unsupported language, bad key) is
EngineFailed: asking again will not help.
"""
from __future__ import annotations

import httpx

from services.translation.engines.base import NEURAL, EngineFailed, EngineUnavailable, Pair, Provenance


class LibreTranslateEngine:
    name = "libretranslate"
    placeholder = "X{}X"

    def __init__(self, url: str, *, api_key: str | None = None, model: str = "argos",
                 timeout_s: float = 30.0, batch_size: int = 50) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.batch_size = max(1, batch_size)
        self._client = httpx.AsyncClient(base_url=self.url, timeout=timeout_s)

    def supports(self, pair: Pair) -> bool:
        # The server knows its languages; a pair it lacks is refused with a 400 (EngineFailed).
        return True

    def provenance(self, pair: Pair) -> Provenance:
        return Provenance(engine=self.name, model=f"{self.model} ({pair})", quality=NEURAL,
                          label=f"LibreTranslate at {self.url}")

    async def translate(self, segments: list[str], pair: Pair) -> list[str]:
        out: list[str] = []
        for start in range(0, len(segments), self.batch_size):
            out.extend(await self._request(segments[start:start + self.batch_size], pair))
        return out

    async def _request(self, chunk: list[str], pair: Pair) -> list[str]:
        body = {"q": chunk, "source": pair.source, "target": pair.target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            answer = await self._client.post("/translate", json=body)
        except httpx.TransportError as exc:  # refused, reset, timed out
            raise EngineUnavailable(f"LibreTranslate at {self.url} unreachable: {exc!r}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise EngineUnavailable(f"LibreTranslate answered {answer.status_code}: {_error_of(answer)}")
        if answer.status_code != 200:
            raise EngineFailed(f"LibreTranslate refused {pair.arrow} ({answer.status_code}): {_error_of(answer)}")
        try:
            translated = answer.json()["translatedText"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineFailed(f"LibreTranslate answer has no translatedText: {answer.text[:200]!r}") from exc
        if isinstance(translated, str) and len(chunk) == 1:
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(chunk) \
                or not all(isinstance(t, str) for t in translated):
            raise EngineFailed(f"LibreTranslate returned {type(translated).__name__} for {len(chunk)} segments")
        return translated

    async def aclose(self) -> None:
        await self._client.aclose()


def _error_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", answer.text))[:300]
    except ValueError:
        return answer.text[:300]
