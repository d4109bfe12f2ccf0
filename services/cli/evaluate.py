"""``wire eval``: score extracted article bodies against a ground truth.

The metric is the article-extraction benchmark's own (scrapinghub's
article-extraction-benchmark, MIT): each text is split into ``\\w+`` tokens, the
4-token shingles of both texts are counted, and per page TP/FP/FN over those counts
are normalised to sum 1 so a long page weighs no more than a short one. Precision is
the mean over pages with any predicted shingle, recall the mean over pages with any
true shingle, and F1 their harmonic mean.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


def shingle_counts(text: str | None, n: int = _SHINGLE) -> Counter[tuple[str, ...]]:
    """The ``n``-token shingles of ``text`` with their counts; a text shorter than
    ``n`` tokens is one shingle of all its tokens, an empty text has none."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_tp_fp_fn(true: str | None, pred: str | None) -> tuple[float, float, float]:
    """TP, FP and FN of one page over shingle counts, normalised to sum 1 (all 0 when
    both texts are empty)."""
    truth, guess = shingle_counts(true), shingle_counts(pred)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def score(predictions: dict[str, Any], ground_truth: dict[str, Any]) -> dict[str, Any]:
    """Precision, recall and F1 of ``predictions`` against ``ground_truth``.

    In: two mappings page id -> ``{"articleBody": str}`` (other keys ignored). Every
    ground-truth page is scored; a page missing from ``predictions`` (or with a null
    body) counts as an empty extraction; predicted pages without ground truth are ignored.
    Out: ``{"precision", "recall", "f1", "pages"}`` where ``pages`` maps each page id to
    its own ``{"precision", "recall", "f1"}``. Raises ValueError when the ground truth is
    empty; a page only counts toward the precision mean when something was predicted
    for it and toward the recall mean when its ground truth has text, as in the benchmark.
    """
    if not ground_truth:
        raise ValueError("ground truth has no pages")
    pages: dict[str, dict[str, float]] = {}
    precisions, recalls = [], []
    for key, truth in ground_truth.items():
        guess = predictions.get(key) or {}
        tp, fp, fn = page_tp_fp_fn(truth.get("articleBody"), guess.get("articleBody"))
        p, r = _precision(tp, fp, fn), _recall(tp, fp, fn)
        if tp + fp > 0:
            precisions.append(p)
        if tp + fn > 0:
            recalls.append(r)
        pages[key] = {"precision": p, "recall": r, "f1": _harmonic(p, r)}
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    return {"precision": precision, "recall": recall, "f1": _harmonic(precision, recall), "pages": pages}


def _harmonic(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main_eval(argv: list[str] | None = None) -> int:
    """``wire eval --pred FILE.json --truth ground-truth.json``: print precision,
    recall and F1 and return 0 (argparse exits 2 on bad arguments; an unreadable
    file raises)."""
    parser = argparse.ArgumentParser(prog="wire eval", description="score extracted article bodies")
    parser.add_argument("--pred", type=Path, required=True, help="JSON written by `wire extract`")
    parser.add_argument("--truth", type=Path, required=True, help="ground-truth JSON: id -> {articleBody}")
    args = parser.parse_args(argv)
    predictions = json.loads(args.pred.read_text(encoding="utf-8"))
    ground_truth = json.loads(args.truth.read_text(encoding="utf-8"))
    result = score(predictions, ground_truth)
    missing = sum(1 for key in ground_truth if key not in predictions)
    print(f"pages={len(ground_truth)} missing={missing} "
          f"precision={result['precision']:.4f} recall={result['recall']:.4f} F1={result['f1']:.4f}")
    return 0
