"""Score the Media Topics classifier on stories whose source says what they are about.

    python -m services.enrichment.nlp.evaluate_topics [--items FILE...] [--benchmark ground-truth.json]

Two labelled sets, scored apart:

* ``--items``: news files in any format the gateway reads (NewsML-G2, NITF, ninjs, ...).
  Every item whose source carries IPTC codes is labelled with them: Media Topic uris as
  they are (a deeper code counts for its level-2 ancestor), Subject Codes through IPTC's
  own Subject Code → Media Topic mapping (shipped in the vocabulary); the top level of
  either is its first two digits. Items not in English are counted and left out (the
  lexicons are English).
* ``--benchmark``: pages whose URL names the site's own section (``/sports/``,
  ``/business/`` ...), labelled with the top-level topic of that section by
  :data:`SECTIONS`; the body is the ground truth's ``articleBody``.

Printed per set: stories, share with at least one right top-level topic, share whose
first topic is right, and level-2 accuracy over the stories labelled at level 2.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from urllib.parse import urlparse

from services.enrichment.nlp.subtopics import vocabulary
from services.enrichment.nlp.topics import classify

# A site's section name → the top-level Media Topic it files under (first match wins).
SECTIONS = {
    "sport": "15000000", "sports": "15000000", "nfl": "15000000", "tennis": "15000000", "football": "15000000",
    "entertainment": "01000000", "entertainment-arts": "01000000", "arts": "01000000", "culture": "01000000",
    "business": "04000000", "markets": "04000000", "economy": "04000000", "money": "04000000",
    "politics": "11000000", "election": "11000000", "crime": "02000000", "science": "13000000",
    "tech": "13000000", "technology": "13000000", "health": "07000000", "weather": "17000000",
    "environment": "06000000", "education": "05000000", "religion": "12000000",
}
_CODE = re.compile(r"(?:mediatopic/|medtop:)(\d{8})|(?:subjectcode/|subj:)(\d{8})")


def gold_codes(subjects: list[dict]) -> tuple[set[str], set[str]]:
    """(top-level codes, level-2 codes) named by an item's subjects."""
    topics, subjectcodes = vocabulary()["topics"], vocabulary()["subjectcodes"]
    tops, seconds = set(), set()
    for subject in subjects:
        for medtop, subj in _CODE.findall(" ".join(str(v) for v in subject.values())):
            code = medtop or subjectcodes.get(subj) or ""
            code = vocabulary()["deeper"].get(code, code)
            entry = topics.get(code)
            if entry and entry["level"] == 2:
                seconds.add(code)
                tops.add(entry["parent"])
            elif entry:
                tops.add(code)
            elif subj:
                tops.add(subj[:2] + "000000")  # Subject Code top levels share Media Topic numbers
    return tops, seconds


def labelled_items(paths: list[Path]) -> tuple[list[tuple[str, str, set[str], set[str]]], int]:
    from shared.errors import ParseError, UnsupportedFormat
    from shared.formats import content_type_for, parse

    stories, foreign = [], 0
    for path in paths:
        try:
            items = parse(path.read_bytes(), content_type_for(path.name) or None, provider="eval")
        except (ParseError, UnsupportedFormat):
            continue  # not a news item the gateway would take: nothing to label
        for item in items:
            article = item.article
            tops, seconds = gold_codes(article.subjects)
            if not tops or not article.body_text:
                continue
            if (article.language or "en").split("-")[0] != "en":
                foreign += 1
                continue
            stories.append((article.headline or "", article.body_text, tops, seconds))
    return stories, foreign


def labelled_pages(truth: dict[str, dict]) -> list[tuple[str, str, set[str], set[str]]]:
    stories = []
    for page in truth.values():
        parts = [p.lower() for p in urlparse(page.get("url", "")).path.split("/")[:-1]]
        code = next((SECTIONS[p] for p in parts if p in SECTIONS), None)
        if code and page.get("articleBody"):
            stories.append(("", page["articleBody"], {code}, set()))
    return stories


def score(stories: list[tuple[str, str, set[str], set[str]]]) -> dict[str, float]:
    any_right = first_right = second_right = second_total = 0
    for headline, body, tops, seconds in stories:
        found = classify(headline, body)
        found_tops = [t.code for t in found if t.level == 1]
        any_right += bool(tops & set(found_tops))
        first_right += bool(found_tops) and found_tops[0] in tops
        if seconds:
            second_total += 1
            second_right += bool(seconds & {t.code for t in found if t.level == 2})
    n = len(stories) or 1
    return {"stories": len(stories), "top_any": any_right / n, "top_first": first_right / n,
            "level2": second_right / second_total if second_total else float("nan"), "level2_stories": second_total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluate_topics", description="score IPTC Media Topics")
    parser.add_argument("--items", type=Path, nargs="*", default=[], help="news files whose items carry IPTC codes")
    parser.add_argument("--benchmark", type=Path, help="ground-truth JSON with url and articleBody per page")
    args = parser.parse_args(argv)
    if args.items:
        stories, foreign = labelled_items(args.items)
        print(f"items with IPTC codes: {_line(score(stories))} ({foreign} not in English left out)")
    if args.benchmark:
        stories = labelled_pages(json.loads(args.benchmark.read_text(encoding="utf-8")))
        print(f"pages labelled by URL section: {_line(score(stories))}")
    return 0


def _line(result: dict[str, float]) -> str:
    return (f"stories={result['stories']} top-level at least one right={result['top_any']:.1%} "
            f"first right={result['top_first']:.1%} level-2 right={result['level2']:.1%} "
            f"(of {result['level2_stories']})")


if __name__ == "__main__":
    raise SystemExit(main())
