"""URLs with their secrets masked, for logs, stored status and dashboards.

A configured feed URL is where its credentials travel (``https://user:pass@host/…``
or ``?apikey=…``), so it is never logged, stored as a key or shown as written: the
user info, every query value and the fragment become ``***``. Scheme, host, port,
path and the query's names stay, so an operator can still tell URLs apart. A
secret inside the path cannot be told from an ordinary path and is kept.

A webhook URL may be its own secret (``https://hooks.slack.com/services/T0/B0/XXXX``),
and so may a feed's (``https://wire.example/feeds/<token>/rss``): where one is stored,
logged or put on Kafka it is named by :func:`url_reference`, which keeps no path at
all, or by :func:`url_origin` (scheme, host, port) where readers see it; an error
quoting it goes through :func:`without_url_secrets`, which masks its path too.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Pieces of a URL shorter than this are not hunted in free text: "en" or "1" would
# shred unrelated words, and a secret that short is no secret anyway.
_MIN_SECRET_CHARS = 4


def redact_url(url: str) -> str:
    """``url`` with its user info, query values and fragment masked. Never raises:
    a string that does not parse as a URL is masked whole."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(f"{name}={MASK}" if sep else MASK
                     for name, sep, _ in (pair.partition("=") for pair in parts.query.split("&")))
    return urlunsplit((parts.scheme, netloc, parts.path, query if parts.query else "",
                       MASK if parts.fragment else ""))


def redact_text(text: str, url: str) -> str:
    """``text`` (an error message, say) with ``url`` shown redacted and its secret
    pieces — user info, password, query values, fragment, also percent-decoded —
    masked wherever they appear alone."""
    text = text.replace(url, redact_url(url))
    try:
        parts = urlsplit(url)
    except ValueError:
        return text
    userinfo = parts.netloc.rpartition("@")[0]
    pieces = [userinfo, userinfo.partition(":")[2], parts.query, parts.fragment]
    pieces += [value for pair in parts.query.split("&") for value in (pair.partition("=")[2] or pair,)]
    secrets = {variant for piece in pieces for variant in (piece, unquote(piece))
               if len(variant) >= _MIN_SECRET_CHARS}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def url_reference(url: str) -> str:
    """What names a URL whose path or query may be its secret: its scheme, host and
    port, and the first 16 hex digits of the SHA-256 of the whole URL, which tells
    it from the other URLs of that host (``https://hooks.example.com/... sha256:1f2e...``;
    an operator holding the URL computes the same with ``printf %s URL | sha256sum``).
    Never raises: a string that does not parse as a URL keeps only its digest."""
    reference = f"sha256:{hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
    origin = url_origin(url)
    return f"{MASK} {reference}" if origin == MASK else f"{origin}/... {reference}"


def is_url_reference(text: str) -> bool:
    """Whether ``text`` is what :func:`url_reference` makes of a URL."""
    return _REFERENCE.search(text) is not None


_REFERENCE = re.compile(r"^\S*/\.\.\. sha256:[0-9a-f]{16}$")


def without_url(text: str, url: str) -> str:
    """``text`` (an error message, say) with ``url`` named by its :func:`url_reference`
    and the secret pieces :func:`redact_text` knows masked wherever they appear alone
    (not its path's segments, as :func:`without_url_secrets` does: words of the text
    equal to one would be masked too)."""
    return redact_text(text.replace(url, url_reference(url)), url)


def url_origin(url: str) -> str:
    """``url``'s scheme, host and port and nothing else (``https://lt.example:5000``):
    what names a service whose URL may carry its credentials where readers, not only
    operators, see it (a translated item's credit). Never raises: a string that does
    not parse as an absolute URL is masked whole."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    return f"{parts.scheme}://{host}"


# Stands in for the URL while its pieces are masked, so a piece that also occurs in
# what names the URL (a path segment equal to the host's first label) leaves that intact.
_URL_STAND_IN = "\x00url\x00"


def without_url_secrets(text: str, url: str, *, shown: str | None = None, secrets: Iterable[str] = ()) -> str:
    """``text`` (an error message, a traceback) with ``url`` written as ``shown`` (by
    default its :func:`url_reference`) and every piece of the URL that may be a secret
    masked wherever it appears alone: user info, password, query, query values,
    fragment, and — unlike :func:`without_url` — the path and each of its segments,
    also percent-decoded. A token in the path cannot be told from an ordinary
    segment, and a library or a redirect may quote the URL in another spelling than
    the configured one. ``secrets`` are masked too (an API key sent beside the URL).
    Pieces shorter than 4 characters are left alone. The URL as :func:`redact_url`
    shows it (what was logged and stored before) is written as ``shown`` too. Never raises."""
    for spelling in (url, redact_url(url)) if url else ():
        if spelling != MASK:  # what a string that is no URL redacts to
            text = text.replace(spelling, _URL_STAND_IN)
    pieces = [secret for secret in secrets if secret]
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        pieces += [userinfo, userinfo.partition(":")[2], parts.query, parts.fragment, parts.path]
        pieces += [value for pair in parts.query.split("&") for value in (pair.partition("=")[2] or pair,)]
        pieces += parts.path.split("/")
    hidden = {variant for piece in pieces for variant in (piece, unquote(piece))
              if len(variant) >= _MIN_SECRET_CHARS}
    for secret in sorted(hidden, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text.replace(_URL_STAND_IN, url_reference(url) if shown is None else shown)


class RedactUrlArguments(logging.Filter):
    """Writes every URL passed as a logging argument as ``name`` does (by default
    :func:`redact_url`). For a library logger that logs the URLs it requests in full
    (httpx logs ``HTTP Request: GET <url>`` at INFO)."""

    def __init__(self, name: Callable[[str], str] = redact_url) -> None:
        super().__init__()
        self.name_url = name

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.name_url(str(arg)) if _is_url(arg) else arg for arg in record.args)
        return True


def _is_url(value: object) -> bool:
    return not isinstance(value, (int, float, bytes)) and str(value).startswith(("http://", "https://"))


URL_ARGUMENTS = RedactUrlArguments()


def redact_library_logs(*loggers: str) -> None:
    """Install :data:`URL_ARGUMENTS` on ``loggers`` (default: httpx's); idempotent."""
    for name in loggers or ("httpx",):
        logging.getLogger(name).addFilter(URL_ARGUMENTS)


# Names URLs by their reference (host and digest, no path): for a library logger that
# logs the URLs it requests where a URL's path may hold its secret (a feed token).
URL_REFERENCES = RedactUrlArguments(url_reference)


def name_library_urls(*loggers: str) -> None:
    """Install :data:`URL_REFERENCES` on ``loggers`` (default: httpx's); idempotent."""
    for name in loggers or ("httpx",):
        logging.getLogger(name).addFilter(URL_REFERENCES)
