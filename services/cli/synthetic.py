"""Synthetic news articles in the scraped-plain-text shape, for tests and the benchmark."""
from __future__ import annotations

import random

_SUBJECTS = ["The city council", "The finance ministry", "Local farmers", "The national team", "Researchers",
             "The central bank", "Hospital staff", "The union", "Regional officials", "The coalition"]
_VERBS = ["announced", "rejected", "debated", "approved", "questioned", "welcomed", "postponed", "reviewed"]
_OBJECTS = ["a new budget plan", "the proposed rail link", "an emergency water policy", "the trade agreement",
            "a vaccination campaign", "the stadium project", "new emissions rules", "the wage settlement"]
_AUTHORS = [("Jane", "Doe"), ("Amir", "Haddad"), ("Lena", "Berg"), ("Tomas", "Ruiz"), ("Mei", "Chen")]
_TAILS = ["on Tuesday after a long session.", "despite strong objections from the opposition.",
          "following weeks of negotiations.", "amid growing public pressure.", "in a statement to reporters.",
          "according to people familiar with the matter.", "ahead of next month's elections."]


def synthetic_article(n: int, *, words: int = 600, seed: int = 7) -> str:
    """Article number ``n``: a unique headline, a deck, ~``words`` words of body in
    paragraphs, page furniture and a byline, like a page scraped from a news site."""
    rnd = random.Random(seed * 1_000_003 + n)
    headline = f"{rnd.choice(_SUBJECTS)} {rnd.choice(_VERBS)} {rnd.choice(_OBJECTS)} (report {n})"
    paragraphs, count = [], 0
    while count < words:
        sentences = [
            f"{rnd.choice(_SUBJECTS)} {rnd.choice(_VERBS)} {rnd.choice(_OBJECTS)} {rnd.choice(_TAILS)}"
            for _ in range(rnd.randint(2, 4))
        ]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    lines = [
        "58.1 F", "Springfield", "Monday, March 3, 2025", "",
        headline, "", "- Advertisement -", "",
        f"Officials weigh the next steps after the decision on item {n}", "",
    ]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    first, last = rnd.choice(_AUTHORS)
    lines.append(f"BY {first.upper()} {last.upper()} [{first.lower()}.{last.lower()}@example.com]")
    return "\n".join(lines) + "\n"
