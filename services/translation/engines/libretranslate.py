"""LibreTranslate over HTTP (self-hosted): the route for Korean and the other pairs
no bundled engine covers.

``POST {url}/translate`` with ``q`` as a list answers ``translatedText`` as a list
of the same length, so a batch is one request (split in chunks of ``batch_size``).
A connection error, a timeout, 429 or 5xx is EngineUnavailable (retried, then the
pair is dead-lettered); any other 4xx (unsupported language, bad key) is
EngineFailed: asking again will not help.

The server is trusted no further than any remote peer (it may be compromised, or a
proxy in front of it): one deadline covers each exchange however slowly the answer
drips, the answer is read within a cap as received and as decoded (a gzip bomb stops
at the cap), and a translation far longer than its source is refused, not stored in
the translation memory for months (:func:`check_lengths`).

The configured URL may carry credentials (``https://user:pass@host``, ``?api_key=…``,
a token in a reverse proxy's path) and the API key is one: translated items name the
server by its scheme, host and port only, and no error (logged, retried, put on the
DLQ) carries the URL's user info, path or query, or the key.
"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit, urlunsplit

import httpx

from services.translation.engines.base import NEURAL, EngineFailed, EngineUnavailable, Pair, Provenance
from shared.outbound.body import ACCEPT_ENCODING, ResponseTooLarge, ResponseUnreadable, read_capped
from shared.outbound.redact import name_library_urls, url_origin, without_url_secrets

# An answer's bytes, at least (as received and as decoded); more for a large batch:
# ANSWER_BYTES_PER_CHAR times the characters asked for.
MIN_ANSWER_BYTES = 1024 * 1024
ANSWER_BYTES_PER_CHAR = 16
# A translation longer than this many times its source, plus SLACK_CHARS, is no
# translation (languages differ in length by a factor of two or three at most).
MAX_GROWTH, SLACK_CHARS = 8, 200


def check_lengths(sources: list[str], translated: list[str]) -> None:
    """EngineFailed when a translation is far longer than its source."""
    for index, (source, target) in enumerate(zip(sources, translated)):
        if len(target) > MAX_GROWTH * len(source) + SLACK_CHARS:
            raise EngineFailed(f"segment {index}'s translation is {len(target)} characters for {len(source)}: "
                               "refused (no translation grows that much)")


class LibreTranslateEngine:
    name = "libretranslate"
    placeholder = "X{}X"

    def __init__(self, url: str, *, api_key: str | None = None, model: str = "argos",
                 timeout_s: float = 30.0, batch_size: int = 50,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        """``url``: the server's base URL (its path and query are kept: ``/translate``
        goes after the path); ``transport``: httpx's default unless given. Raises
        ValueError, naming the URL by its origin only, when it is no absolute http(s) URL."""
        self._url = url
        self._api_key = api_key
        self.origin = url_origin(url)
        self._endpoint = _translate_endpoint(url)
        self.model = model
        self.batch_size = max(1, batch_size)
        self.timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport,
                                         headers={"Accept-Encoding": ACCEPT_ENCODING})
        # httpx logs each request's URL at INFO (configure_logging holds it at WARNING,
        # a test or a library user may not): from here on it names it by its reference
        name_library_urls()

    def supports(self, pair: Pair) -> bool:
        # The server knows its languages; a pair it lacks is refused with a 400 (EngineFailed).
        return True

    def provenance(self, pair: Pair) -> Provenance:
        # The label travels in every translated item (Kafka, the read model, subscribers):
        # the origin names the server, the rest of the URL may be its credentials.
        return Provenance(engine=self.name, model=f"{self.model} ({pair})", quality=NEURAL,
                          label=f"LibreTranslate at {self.origin}")

    async def translate(self, segments: list[str], pair: Pair) -> list[str]:
        out: list[str] = []
        for start in range(0, len(segments), self.batch_size):
            out.extend(await self._request(segments[start:start + self.batch_size], pair))
        return out

    async def _request(self, chunk: list[str], pair: Pair) -> list[str]:
        body = {"q": chunk, "source": pair.source, "target": pair.target, "format": "text"}
        if self._api_key:
            body["api_key"] = self._api_key
        # httpx's errors may quote the request URL (and their chain would print it in a
        # traceback): each becomes our error with its text scrubbed, and nothing chained.
        cap = max(MIN_ANSWER_BYTES, ANSWER_BYTES_PER_CHAR * sum(len(q) for q in chunk))
        try:
            async with asyncio.timeout(self.timeout_s):  # the whole exchange, however the answer drips
                async with self._client.stream("POST", self._endpoint, json=body) as answer:
                    # a refusal is read for its reason only: an excerpt, however large or odd it is
                    raw, _ = await read_capped(answer, max_bytes=cap, max_raw_bytes=cap,
                                               truncate=answer.status_code != 200)
        except TimeoutError:
            raise EngineUnavailable(f"LibreTranslate at {self.origin} did not answer within "
                                    f"{self.timeout_s:g} s") from None
        except httpx.TransportError as exc:  # refused, reset, timed out
            raise EngineUnavailable(f"LibreTranslate at {self.origin} unreachable: {self._described(exc)}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # too many redirects
            raise EngineFailed(f"LibreTranslate at {self.origin} failed: {self._described(exc)}") from None
        except (ResponseTooLarge, ResponseUnreadable) as exc:
            raise EngineFailed(f"LibreTranslate at {self.origin}: {exc}") from None
        text = raw.decode("utf-8", errors="replace")
        if answer.status_code == 429 or answer.status_code >= 500:
            raise EngineUnavailable(f"LibreTranslate answered {answer.status_code}: {self._error_of(text)}")
        if answer.status_code != 200:
            raise EngineFailed(f"LibreTranslate refused {pair.arrow} ({answer.status_code}): "
                               f"{self._error_of(text)}")
        try:
            translated = json.loads(text)["translatedText"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise EngineFailed(f"LibreTranslate answer has no translatedText: "
                               f"{self._scrubbed(text[:4000])[:200]!r}") from None
        if isinstance(translated, str) and len(chunk) == 1:
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(chunk) \
                or not all(isinstance(t, str) for t in translated):
            raise EngineFailed(f"LibreTranslate returned {type(translated).__name__} for {len(chunk)} segments")
        check_lengths(chunk, translated)
        return translated

    async def aclose(self) -> None:
        await self._client.aclose()

    def _scrubbed(self, text: str) -> str:
        """``text`` without the URL's secret pieces or the API key (a server or a proxy
        in front of it may echo the request it refuses)."""
        return without_url_secrets(text, self._url, shown=self.origin,
                                   secrets=[self._api_key] if self._api_key else [])

    def _described(self, exc: Exception) -> str:
        return self._scrubbed(f"{type(exc).__name__}: {exc}")

    def _error_of(self, text: str) -> str:
        """The error an answer's ``text`` gives (its JSON's ``error``, else the text), scrubbed."""
        try:
            error = str(json.loads(text).get("error", text))
        except (ValueError, AttributeError, RecursionError):  # not JSON, or JSON that is no object
            error = text
        return self._scrubbed(error[:4000])[:300]


def _translate_endpoint(url: str) -> str:
    """``url`` with ``/translate`` after its path, its query kept (an ``api_key`` may
    travel there), its fragment dropped. httpx's ``base_url`` would put the path
    after the query (``?api_key=K/translate``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the LibreTranslate URL ({url_origin(url)}) is not an absolute http(s) URL")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/translate", parts.query, ""))
