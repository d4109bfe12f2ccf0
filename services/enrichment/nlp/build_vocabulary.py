"""Rebuild ``data/mediatopic-vocabulary.json`` from IPTC's Media Topics spreadsheet.

    python -m services.enrichment.nlp.build_vocabulary IPTC-MediaTopic-NewsCodes.xlsx

The spreadsheet is IPTC's own export of the vocabulary (CC BY 4.0; see
``data/mediatopic-vocabulary.SOURCE.md``): one row per concept in tree order, the
concept's code in the column of its level. Kept: every current (not retired) concept of
levels 1 and 2 with its English (en-GB) name, definition and parent; for each, the names
of its current descendants (the lexicon the classifier matches); the level-2 ancestor
of every deeper code (to read a source's deeper codes); and IPTC's mapping from
the older Subject Codes, rolled up to the level-2 (or level-1) concept, used to label
stories whose source carries Subject Codes.
"""
from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

from lxml import etree

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
OUT = Path(__file__).with_name("data") / "mediatopic-vocabulary.json"
# Columns of the spreadsheet (header row 2): QCode, Level1..Level6, RetiredDate, en-GB name and definition.
_QCODE, _LEVELS, _RETIRED, _NAME, _DEFINITION, _SUBJECTCODE = 1, range(2, 8), 8, 15, 16, 35


def read_rows(xlsx: Path) -> list[dict[int, str]]:
    with zipfile.ZipFile(xlsx) as book:
        strings = ["".join(si.itertext()) for si in etree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", _NS)]
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{_NS['m']}}}row"):
        cells = {}
        for cell in row.findall("m:c", _NS):
            value = cell.find("m:v", _NS)
            text = "".join(cell.itertext()) if value is None else (
                strings[int(value.text)] if cell.get("t") == "s" else value.text)
            cells[_column(cell.get("r"))] = text
        rows.append(cells)
    return rows


def _column(ref: str) -> int:
    number = 0
    for letter in re.match(r"[A-Z]+", ref).group(0):
        number = number * 26 + ord(letter) - 64
    return number - 1


def build(rows: list[dict[int, str]]) -> dict[str, object]:
    path: dict[int, str] = {}
    topics: dict[str, dict[str, object]] = {}
    subjectcodes: dict[str, str] = {}
    deeper: dict[str, str] = {}
    for row in rows:
        qcode = row.get(_QCODE) or ""
        if not qcode.startswith("medtop:"):
            continue
        code, level = qcode.split(":")[1], next(i for i in _LEVELS if row.get(i)) - 1
        path = {k: v for k, v in path.items() if k < level} | {level: code}
        if row.get(_RETIRED) or any(path[k] not in topics for k in path if k < min(level, 3)):
            continue  # a retired concept, or one under a retired level-1/2 concept
        owner = path[min(level, 2)]
        if level <= 2:
            topics[code] = {"name": row[_NAME], "definition": row.get(_DEFINITION) or "", "level": level,
                            "parent": path.get(level - 1), "labels": []}
        else:
            topics[owner]["labels"].append(row[_NAME])
            deeper[code] = owner
        for uri in (row.get(_SUBJECTCODE) or "").split():
            subjectcodes.setdefault(uri.rsplit("/", 1)[-1], owner)
    return {"_about": "IPTC Media Topics levels 1-2 (en-GB names, definitions, names of current descendants), "
                      "the level-2 ancestor of every deeper concept, and IPTC's Subject Code -> Media Topic "
                      "mapping rolled up to level 2. Source and licence: mediatopic-vocabulary.SOURCE.md "
                      "(CC BY 4.0, IPTC).",
            "topics": topics, "deeper": deeper, "subjectcodes": dict(sorted(subjectcodes.items()))}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    vocabulary = build(read_rows(Path(args[0])))
    OUT.write_text(json.dumps(vocabulary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(vocabulary['topics'])} topics, {len(vocabulary['subjectcodes'])} subject codes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
