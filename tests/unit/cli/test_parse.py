"""``wire parse`` prints JSON lines: one object per item, pipeable into jq."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from services.cli.parse import main_parse

WIRES = Path(__file__).resolve().parents[2] / "fixtures" / "wires"


def test_one_json_object_per_item_and_line(capsys):
    code = main_parse([str(WIRES / "tt-newsml-g2-sample.xml"), str(WIRES / "ntb-nitf-sample.xml")])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert code == 0 and err == ""
    reports = [orjson.loads(line) for line in lines]  # every line is a whole JSON document
    assert [r["ninjs"]["type"] for r in reports] == ["text", "picture", "composite", "text"]
    assert all(r["valid"] for r in reports) and reports[-1]["format"] == "nitf"


def test_an_unreadable_file_is_reported_on_stderr_and_the_rest_still_printed(capsys, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<nitf><oops></nitf>")
    code = main_parse([str(broken), str(WIRES / "ntb-nitf-sample.xml")])
    out, err = capsys.readouterr()
    assert code == 1 and "broken.xml" in err
    assert len(out.splitlines()) == 1 and orjson.loads(out)["format"] == "nitf"


@pytest.mark.parametrize("command", ["run", "parse", "extract", "eval", "status", "dlq", "trace",
                                     "rebuild-read-model"])
def test_every_subcommand_has_help_and_starts_nothing(command, capsys):
    from services.cli.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"wire {command}" in capsys.readouterr().out
