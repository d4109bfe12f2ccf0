"""Page furniture: the lines of a web page's or a feed's body that are no story text.

Share and follow prompts, newsletter pitches, "Read more:" lines, comment counters,
"click here", a CMS shortcode left in the text, and what feeds append to each entry
("The post … appeared first on …", "Continue reading"). Recognised by shape, never by
site; the HTML reader and the feed reader drop the same lines.
"""
from __future__ import annotations

import re

from shared.formats.sentences import CLOSERS, SENTENCE_MARKS, ends_like_a_sentence

# One pattern, its alternatives tried in one search per paragraph (ten searches were a
# third of the paragraph pass).
_FURNITURE = re.compile("|".join(f"(?:{p})" for p in (
    r"^(?:like this (?:story|article)\?|share (?:this|it|on|via)\b|click to share|tweet this|email this|"
    r"print this|copy link)",
    r"^[\W_]*(?:advertisement|advertising|sponsored(?: content)?|story continues below(?: advertisement)?)[\W_]*$",
    r"^(?:read more|related(?: post| article| story| stories| content| coverage)?|see more|see also|also read|"
    r"more|don'?t miss|recommended(?: for you)?|you (?:may|might) also like|also on \S+|more from \S+|watch)"
    r"\b\s*(?:[:.|\-–—]|\.\.\.|…|$)",
    r"^\s*\d*\s*comments?\s*$",
    r"^(?:tell us what you think|leave a (?:comment|reply)|join the (?:conversation|discussion))",
    r"^follow\b.{0,80}\b(?:on|at)\b.{0,40}(?:facebook|twitter|instagram|youtube|linkedin)",
    r"^(?:filed under|posted in|tags?|categories|category)\s*:",
    r"^(?:have a (?:news )?tip|got a (?:news )?tip)\b",
    r"\[(?P<shortcode>\w+)\b[^\]]*\].*\[/(?P=shortcode)\]",  # a CMS shortcode left in the text: [button …]…[/button]
    # what blog and CMS feeds append to every entry
    r"^the post\b.{1,200}\bappeared first on\b.{1,100}$",
    r"^continue reading(?:\s+(?:the\s+)?(?:(?:main|full|rest of the)\s+)?(?:story|article|post))?"
    r"(?:\s+(?:on|at)\s+\S+(?:\s+\S+){0,3})?[\s.…:→»›>|\-–—]*$",
)), re.I)
# Pitches a story may also quote or report ("…its newsletter, which residents can sign up
# for…", "publishers said all rights reserved…"): furniture only when they open a sentence
# ("… every month. Click here for more information.") or sit in a short line that does not
# end like a sentence ("City Post 2024 | All rights reserved").
_PITCHES = "|".join(f"(?:{p})" for p in (
    r"(?:newsletter|inbox)\b.*\b(?:sign up|subscribe)|(?:sign up|subscribe)\b.*\b(?:newsletter|inbox)",
    r"click here\b",
    r"all rights reserved\b",
))
_PITCH = re.compile(rf"(?:^|(?<=[{SENTENCE_MARKS}] )|(?<=[{SENTENCE_MARKS}][{CLOSERS}] ))(?:{_PITCHES})", re.I)
_ANY_PITCH = re.compile(rf"\b(?:{_PITCHES})", re.I)
_PITCH_LINE_WORDS = 12  # a line this short that ends like no sentence is a label or a notice
_FURNITURE_MAX_CHARS = 300  # a longer paragraph is prose even when it mentions a newsletter


def is_furniture(text: str) -> bool:
    """True when a paragraph of a page or feed body is furniture, not story text.

    In: one paragraph as plain text. Out: True for a share or follow prompt, a pitch
    that opens a sentence or fills a short line, a "Read more:" line, a comment
    counter, a shortcode, a feed's "appeared first on" or "Continue reading" line.
    A paragraph longer than 300 characters is always story. Never raises."""
    line = " ".join(text.split())
    if len(line) > _FURNITURE_MAX_CHARS:
        return False
    if _FURNITURE.search(line) is not None or _PITCH.search(line) is not None:
        return True
    short = len(line.split()) < _PITCH_LINE_WORDS and not ends_like_a_sentence(line)
    return short and _ANY_PITCH.search(line) is not None
