"""The component benches (translation, extraction, hostile inputs), each in a fresh interpreter, as
when run alone (``python -m bench.translation``): nothing the harness left behind
(its heap, a library's thread) runs beside them. Their rows join ``make bench``'s table."""
from __future__ import annotations

import importlib
import importlib.util
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bench.table import Row, say

BENCHES = ("bench.translation", "bench.extraction", "bench.hostile")


def rows_of(name: str, quick: bool) -> list[Row]:
    """The rows of the bench module ``name`` (run in the fresh interpreter: importable
    by name there, which ``bench/__main__.py`` is not)."""
    return importlib.import_module(name).rows(quick)


def component_rows(quick: bool) -> list[Row]:
    """Rows of the component benches that are present; a bench that fails is named on
    stderr and its rows are missing, the others stand."""
    rows: list[Row] = []
    for name in BENCHES:
        if importlib.util.find_spec(name) is None:
            say(f"{name} not present, skipped")
            continue
        say(f"{name}…")
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
                rows += fresh.submit(rows_of, name, quick).result()
        except Exception as exc:  # noqa: BLE001 - another engineer's bench must not cost the table
            say(f"{name} failed, its rows are missing: {exc!r}")
    return rows
