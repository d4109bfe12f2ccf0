"""The one table ``make bench`` prints: a figure, what it is measured against (a bound
or a peer, measured in the same run), their ratio and the goal for that ratio; and ``say``, the progress lines on stderr."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    figure: str  # what was measured, e.g. "pipeline, no MT"
    value: float
    unit: str  # e.g. "articles/s", "ms", "MiB"
    against: str  # the bound or peer, e.g. "enrichment handler alone, 2 processes"
    against_value: float | None  # None: nothing to compare with (a plain figure)
    goal: float | None = None  # the ratio to reach (>=) or to stay under (<=)
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        if not self.against_value:
            return None
        return self.value / self.against_value

    @property
    def met(self) -> bool | None:
        if self.ratio is None or self.goal is None:
            return None
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def render(rows: list[Row]) -> str:
    """Markdown, with the machine's load average on top (ratios, not absolutes, are
    what the goals are about: both sides ran under the same load)."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [f"machine: {os.cpu_count()} cores, load average {load} (1/5/15 min)", "",
             "| figure | value | against | its value | ratio | goal | met |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        goal = "–" if row.goal is None else ("≥ " if row.higher_is_better else "≤ ") + f"{row.goal:.2f}"
        met = {True: "yes", False: "NO", None: "–"}[row.met]
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}"
        lines.append(f"| {row.figure} | {_number(row.value)} {row.unit} | {row.against} "
                     f"| {_number(row.against_value)} | {ratio} | {goal} | {met} |")
    return "\n".join(lines)
