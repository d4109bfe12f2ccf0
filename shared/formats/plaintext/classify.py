"""Story or furniture for each block: a linear model over the block features, then
context smoothing, as jusText and trafilatura smooth HTML blocks by their neighbours.

The model's weights are data (``model.json``, written by ``python -m
shared.formats.plaintext.fit``, cross-validated by site). Smoothing is a Viterbi
pass that reads the page as furniture, one story (with gaps), then furniture.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.formats.plaintext.blocks import FEATURES

MODEL_PATH = Path(__file__).with_name("model.json")


@dataclass(frozen=True)
class BlockModel:
    """Standardised logistic regression plus the smoothing's switch cost, a bias added
    to every block's log-odds, and the cost of each block of a gap inside the story."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    switch_cost: float
    bias: float = 0.0
    gap_cost: float = 0.0

    def log_odds(self, row: list[float]) -> float:
        """Log-odds that a block with this feature row is story (before ``bias``)."""
        return self.intercept + sum(w * (x - m) / s for w, x, m, s in zip(self.weights, row, self.means, self.scales))

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), "means": list(self.means), "scales": list(self.scales),
                "weights": list(self.weights), "intercept": self.intercept,
                "switch_cost": self.switch_cost, "bias": self.bias, "gap_cost": self.gap_cost}


@lru_cache(maxsize=1)
def default_model() -> BlockModel:
    """The committed model. Raises ValueError when its features do not match the code's."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if data["features"] != list(FEATURES):
        raise ValueError("plaintext model.json was fitted for other features; run the fit script again")
    return BlockModel(tuple(data["means"]), tuple(data["scales"]), tuple(data["weights"]),
                      data["intercept"], data["switch_cost"], data["bias"], data["gap_cost"])


def story_flags(rows: list[list[float]], eligible: list[bool], model: BlockModel | None = None) -> list[bool]:
    """True for each block read as story; only ``eligible`` blocks (not metadata lines)
    can be story. See :func:`flags_from_odds`."""
    model = model or default_model()
    return flags_from_odds([model.log_odds(row) for row in rows], eligible, model)


def flags_from_odds(odds: list[float], eligible: list[bool], model: BlockModel) -> list[bool]:
    """Smooth the blocks' log-odds into one story with gaps (see :func:`smooth`).

    When smoothing leaves no story (a story of one or two paragraphs, or a short text
    without a page around it), every block with positive log-odds is story, and failing
    that the single likeliest one."""
    odds = [lo + model.bias for lo in odds]
    flags = [f and ok for f, ok in zip(smooth(odds, model.switch_cost, model.gap_cost), eligible)]
    if not any(flags):
        flags = [lo > 0 and ok for lo, ok in zip(odds, eligible)]
    if not any(flags) and any(eligible):
        best = max((lo, -i) for i, (lo, ok) in enumerate(zip(odds, eligible)) if ok)
        flags = [i == -best[1] for i in range(len(odds))]
    return flags


# States of the page: before the story, in it, in a gap inside it, after it.
_BEFORE, _STORY, _GAP, _AFTER = range(4)
_MOVES = {  # state -> states it can be reached from
    _BEFORE: (_BEFORE,), _STORY: (_BEFORE, _STORY, _GAP), _GAP: (_STORY, _GAP), _AFTER: (_STORY, _GAP, _AFTER),
}


def smooth(log_odds: list[float], switch_cost: float, gap_cost: float = 0.0) -> list[bool]:
    """The most likely reading of the page as furniture, one story, then furniture
    (Viterbi over four states), given each block's log-odds of story.

    Every change between story and furniture costs ``switch_cost`` (log-odds units), so
    a short block between paragraphs follows them; each block of a gap inside the story
    costs ``gap_cost`` more, so a long run of furniture ends the story and whatever
    story-like text comes after it (comments, teasers of other stories) stays out.
    """
    if not log_odds:
        return []
    score = [_log_p(-log_odds[0]), _log_p(log_odds[0]), -math.inf, -math.inf]
    back: list[list[int]] = []
    for lo in log_odds[1:]:
        story, furniture = _log_p(lo), _log_p(-lo)
        step, new = [], []
        for state in range(4):
            best_prev, best = state, -math.inf
            for prev in _MOVES[state]:
                value = score[prev] - (switch_cost if (prev == _STORY) != (state == _STORY) else 0.0)
                if value > best:
                    best_prev, best = prev, value
            emitted = story if state == _STORY else furniture - (gap_cost if state == _GAP else 0.0)
            step.append(best_prev)
            new.append(best + emitted)
        back.append(step)
        score = new
    state = max((_AFTER, _STORY, _BEFORE, _GAP), key=lambda s: score[s])
    path = [state]
    for step in reversed(back):
        state = step[state]
        path.append(state)
    return [s == _STORY for s in reversed(path)]


def _log_p(log_odds: float) -> float:
    """log sigmoid(log_odds), stable for large magnitudes."""
    return -math.log1p(math.exp(-log_odds)) if log_odds > -30 else log_odds
