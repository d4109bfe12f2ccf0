"""Reading py-spy's collapsed stacks: where a process spent its own time."""
from __future__ import annotations

import pytest

from bench.profile import top_frames

COLLAPSED = """\
<module> (run.py:1);serve (app.py:10);parse (formats.py:40) 30
<module> (run.py:1);serve (app.py:10);enrich (nlp.py:7);__call__ (spacy/language.py:1040) 50
<module> (run.py:1);serve (app.py:10);enrich (nlp.py:7) 5
<module> (run.py:1);serve (app.py:10);parse (formats.py:40) 15
not a sample line
"""


def test_self_time_is_counted_at_the_top_of_each_stack():
    frames = top_frames(COLLAPSED.splitlines())
    assert frames[0] == ("__call__ (spacy/language.py:1040)", pytest.approx(0.5))
    assert frames[1] == ("parse (formats.py:40)", pytest.approx(0.45))
    assert frames[2] == ("enrich (nlp.py:7)", pytest.approx(0.05))
    assert len(frames) == 3


def test_at_most_n_frames_and_nothing_from_no_samples():
    assert len(top_frames(COLLAPSED.splitlines(), n=1)) == 1
    assert top_frames([]) == []
    assert top_frames(["garbage"]) == []
