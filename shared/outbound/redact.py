"""URLs with their secrets masked, for logs, stored status and dashboards.

A configured feed URL is where its credentials travel (``https://user:pass@host/…``
or ``?apikey=…``), so it is never logged, stored as a key or shown as written: the
user info, every query value and the fragment become ``***``. Scheme, host, port,
path and the query's names stay, so an operator can still tell feeds apart. A
secret inside the path cannot be told from an ordinary path and is kept.
"""
from __future__ import annotations

import logging
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


class RedactUrlArguments(logging.Filter):
    """Masks every URL passed as a logging argument. For a library logger that logs
    the URLs it requests in full (httpx logs ``HTTP Request: GET <url>`` at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(str(arg)) if _is_url(arg) else arg for arg in record.args)
        return True


def _is_url(value: object) -> bool:
    return not isinstance(value, (int, float, bytes)) and str(value).startswith(("http://", "https://"))


URL_ARGUMENTS = RedactUrlArguments()


def redact_library_logs(*loggers: str) -> None:
    """Install :data:`URL_ARGUMENTS` on ``loggers`` (default: httpx's); idempotent."""
    for name in loggers or ("httpx",):
        logging.getLogger(name).addFilter(URL_ARGUMENTS)
