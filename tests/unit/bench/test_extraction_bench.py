"""bench/extraction.py's rows, on the three benchmark pages kept as test fixtures."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.extraction import benchmark_dir, load_pages, rows
from services.cli.evaluate import score
from services.cli.extract import extract_dir

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "html"


@pytest.fixture
def benchmark(tmp_path) -> Path:
    (tmp_path / "html").mkdir()
    for page in FIXTURES.glob("*.html.gz"):
        shutil.copy(page, tmp_path / "html" / page.name)
    shutil.copy(FIXTURES / "ground-truth.json", tmp_path / "ground-truth.json")
    return tmp_path


def test_rows_compare_speed_with_bare_trafilatura_and_f1_with_the_benchmark_metric(benchmark):
    speed, f1 = rows(quick=True, benchmark=benchmark)
    assert speed.unit == "pages/s per core" and "same 3 pages" in speed.against
    assert speed.value > 0 and speed.against_value > 0 and speed.goal == 0.90
    truth = json.loads((benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    assert f1.value == pytest.approx(score(extract_dir(benchmark / "html"), truth)["f1"])
    assert f1.goal == 1.0 and f1.against_value == pytest.approx(0.9835)


def test_the_benchmark_folder_comes_from_the_argument_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WIRE_BENCHMARK", str(tmp_path))
    assert benchmark_dir() == tmp_path
    assert benchmark_dir("/elsewhere") == Path("/elsewhere")
    monkeypatch.delenv("WIRE_BENCHMARK")
    assert benchmark_dir().parts[-3:] == ("shared", "data", "extraction-benchmark")


def test_a_folder_without_pages_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_pages(tmp_path)
