"""The plain-text cleaner's parts: block features, smoothing, headline search, and the
whole cleaner on a page with site furniture around the story."""
from __future__ import annotations

import pytest

from shared.formats.plaintext import parse_plaintext, read_story
from shared.formats.plaintext.blocks import (
    FEATURES, Block, block_features, densest_run, is_prose, page_stopwords, word_count,
)
from shared.formats.plaintext.classify import BlockModel, default_model, flags_from_odds, smooth
from shared.formats.plaintext.headline import find_headline, is_title_like
from shared.formats.plaintext.story import page_blocks

PROSE = [
    "The city council voted on Tuesday to build protected bike lanes along Main Street, the busiest road downtown.",
    "Supporters said the lanes would cut collisions, while shop owners worried about losing parking spaces nearby.",
    "Construction is expected to start in the spring and finish before the end of next year, officials said.",
    "The mayor, who campaigned on safer streets, called the vote a turning point for the neighbourhood and its residents.",
    "Opponents said they would ask the state to review the plan, arguing that the council ignored local businesses.",
]


def blocks(*lines: str) -> list[Block]:
    return [Block(n, line) for n, line in enumerate(lines, 1)]


def column(rows: list[list[float]], name: str) -> list[float]:
    return [row[FEATURES.index(name)] for row in rows]


# ---- block features -----------------------------------------------------------


def test_prose_is_a_long_block_that_ends_like_a_sentence() -> None:
    assert is_prose(PROSE[0])
    assert not is_prose("Sign up for our newsletter and get the best stories delivered to your inbox every")
    assert not is_prose("Short sentence.")


def test_unspaced_scripts_count_words_by_characters() -> None:
    assert word_count("북한이 러시아에 두 번째 파병을 준비하고 있다는 관측이 나오고 있다고 전문가들이 말했다") >= 12
    assert word_count("three plain words") == 3


def test_stoplist_follows_the_language_of_the_page() -> None:
    english = page_stopwords(blocks(*PROSE))
    portuguese = page_stopwords(blocks(
        "O conselho da cidade aprovou na terça-feira a construção de ciclovias protegidas ao longo da rua principal.",
        "Os comerciantes disseram que não foram ouvidos e que a obra vai tirar vagas de estacionamento da região.",
    ))
    assert {"the", "and", "which"} <= english and "não" not in english
    assert {"que", "não", "da"} <= portuguese and "which" not in portuguese


def test_densest_run_is_the_stretch_of_prose_not_the_menu() -> None:
    page = blocks("Home", "World", "Politics", *PROSE, "About us", "Contact", "Privacy policy")
    assert densest_run(page) == (3, 3 + len(PROSE) - 1)


def test_feature_rows_describe_shape_and_place() -> None:
    page = blocks("Home", "Sign up for our newsletter", *PROSE, "Home", "A teaser headline of another story",
                  "One paragraph of another story that is long enough to be read as prose, then it ends.",
                  "Privacy policy", "Terms of use", "Contact us", "Careers", "Advertise with us")
    rows = block_features(page)
    assert len(rows) == len(page) and all(len(row) == len(FEATURES) for row in rows)
    assert column(rows, "repeated")[0] == 1.0 and column(rows, "repeated")[2] == 0.0
    assert column(rows, "in_run")[2:2 + len(PROSE)] == [1.0] * len(PROSE)
    assert column(rows, "before_run")[0] == 1.0 and column(rows, "after_run")[-1] == 1.0
    streak = column(rows, "prose_streak")
    assert streak[2] > streak[-6] > 0  # five paragraphs in a row against a lone teaser paragraph
    assert column(rows, "terminal")[2] == 1.0 and column(rows, "terminal")[1] == 0.0


def test_no_blocks_no_rows() -> None:
    assert block_features([]) == []


def test_hard_wrapped_lines_join_into_one_block() -> None:
    text = "Veteran actress Kate Henshaw, who in 2008 won the\n\naward for Best Actress, has taken\nto her page.\nNext"
    assert [b.text for b in page_blocks(text)] == [
        "Veteran actress Kate Henshaw, who in 2008 won the award for Best Actress, has taken to her page.", "Next"]


# ---- smoothing ------------------------------------------------------------------


def test_a_short_block_between_paragraphs_follows_them() -> None:
    assert smooth([4.0, -1.0, 4.0], switch_cost=2.0) == [True, True, True]
    assert smooth([4.0, -1.0, 4.0], switch_cost=0.0) == [True, False, True]


def test_a_lone_sentence_among_navigation_stays_furniture() -> None:
    assert smooth([-4.0, -4.0, 1.0, -4.0, -4.0], switch_cost=2.0) == [False] * 5


def test_a_long_gap_ends_the_story() -> None:
    odds = [4.0] * 4 + [-3.0] * 6 + [2.0] * 3
    assert smooth(odds, switch_cost=1.0, gap_cost=0.0)[-1] is True
    assert smooth(odds, switch_cost=1.0, gap_cost=1.0) == [True] * 4 + [False] * 9


def test_when_smoothing_finds_no_story_the_likeliest_block_is_kept() -> None:
    model = BlockModel((), (), (), 0.0, switch_cost=10.0)
    assert flags_from_odds([-3.0, 1.0, -3.0], [True] * 3, model) == [False, True, False]
    assert flags_from_odds([-3.0, -1.0, -2.0], [True, False, True], model) == [False, False, True]


def test_committed_model_matches_the_features() -> None:
    model = default_model()
    assert len(model.weights) == len(model.means) == len(FEATURES)
    assert model.switch_cost >= 0 and model.gap_cost >= 0


# ---- headline ---------------------------------------------------------------------


def test_headline_is_the_title_like_line_nearest_the_story_not_the_first_line() -> None:
    page = blocks("The Metro Herald", "Home", "City council approves bike lanes on Main Street", "By Jane Doe", *PROSE)
    skip = {3}  # the byline
    assert find_headline(page, 4, lambda j: j in skip) == (2, None)


def test_a_headline_followed_by_a_standfirst_gives_both() -> None:
    page = blocks("Menu", "City council approves protected bike lanes on Main Street",
                  "Plan adds twelve miles of lanes across the city by 2026", *PROSE)
    assert find_headline(page, 3, lambda j: False) == (1, 2)


@pytest.mark.parametrize(("line", "expected"), [
    ("City council approves protected bike lanes", True), ("Home", False), ("Los Angeles", False), (PROSE[0], False),
    ("Read more stories like this one.", False),
])
def test_title_like_lines(line: str, expected: bool) -> None:
    assert is_title_like(line) is expected


# ---- the whole cleaner on a page with furniture -------------------------------------

PAGE = "\n\n".join([
    "The Metro Herald", "Subscribe", "Sign In", "Home", "News", "Local", "Sports", "Business", "Opinion",
    "Search", "November 19, 2019",
    "City council approves protected bike lanes on Main Street",
    "By Jane Doe", *PROSE,
    "Related Stories", "Bus fares to rise in January", "New library branch opens downtown",
    "Most Popular", "Five things to do this weekend", "About Us", "Contact", "Privacy Policy", "Terms of Use",
    "© 2019 The Metro Herald. All rights reserved.",
])


def test_page_furniture_stays_out_and_the_story_comes_through() -> None:
    story = read_story(PAGE)
    assert story.headline == "City council approves protected bike lanes on Main Street"
    assert story.body == PROSE
    assert story.authors == ["Jane Doe"] and story.created == "2019-11-19T00:00:00Z"


def test_the_page_parses_to_a_clean_article() -> None:
    article = parse_plaintext(PAGE, provider="Metro Herald")
    assert article.headline == "City council approves protected bike lanes on Main Street"
    for junk in ("Subscribe", "Related Stories", "Privacy Policy", "Metro Herald", "Bus fares"):
        assert junk not in article.body_text


HINDI = [
    "दैनिक समाचार", "होम", "देश", "दुनिया", "खेल", "मनोरंजन",
    "दिल्ली में भारी बारिश से जनजीवन प्रभावित, कई इलाकों में जलभराव",
    "राजधानी दिल्ली में बुधवार सुबह से हो रही भारी बारिश के कारण कई इलाकों में पानी भर गया और यातायात बुरी तरह"
    " प्रभावित हुआ।",
    "मौसम विभाग ने अगले दो दिनों तक और बारिश होने का अनुमान जताया है तथा लोगों को घरों में रहने की सलाह दी है।",
    "नगर निगम के अधिकारियों ने बताया कि जलभराव वाले इलाकों से पानी निकालने के लिए पंपों को तैनात किया गया है।",
    "हमारे बारे में", "संपर्क करें", "गोपनीयता नीति", "© 2024 दैनिक समाचार। सर्वाधिकार सुरक्षित।",
]
ARABIC = [  # each paragraph ends with a right-to-left mark after its full stop
    "الأخبار اليومية", "الرئيسية", "سياسة", "اقتصاد", "رياضة",
    "أمطار غزيرة تغمر شوارع العاصمة وتعطل حركة المرور",
    "غمرت الأمطار الغزيرة التي هطلت منذ صباح الأربعاء شوارع العاصمة وأدت إلى تعطل حركة المرور في عدد كبير من"
    " الأحياء.\u200f",
    "وتوقعت هيئة الأرصاد الجوية استمرار هطول الأمطار خلال اليومين المقبلين ودعت المواطنين إلى البقاء في منازلهم.\u200f",
    "وقال مسؤولون في البلدية إن فرق الطوارئ تعمل على سحب المياه من الأحياء المتضررة منذ ساعات الصباح الأولى.\u200f",
    "من نحن", "اتصل بنا", "سياسة الخصوصية",
]


@pytest.mark.parametrize(("page", "headline", "body"), [(HINDI, 6, slice(7, 10)), (ARABIC, 5, slice(6, 9))],
                         ids=["hindi-danda", "arabic-rlm"])
def test_sentences_of_other_scripts_end_like_sentences(page: list[str], headline: int, body: slice) -> None:
    story = read_story("\n".join(page))
    assert story.headline == page[headline]
    assert story.body == [line.replace("\u200f", "") for line in page[body]]


def test_words_keep_their_combining_marks() -> None:
    assert word_count("दिल्ली में बारिश") == 3 and word_count("naïve café") == 2
    assert is_prose("हमारे बारे में " * 4 + "जानकारी है।") and not is_title_like("यह एक छोटा वाक्य है।")


@pytest.mark.parametrize("n", range(40))
def test_synthetic_pages_keep_headline_deck_byline_and_every_paragraph(n: int) -> None:
    from services.cli.synthetic import synthetic_article

    text = synthetic_article(n, words=200)
    lines = [line for line in text.splitlines() if line.strip()]
    article = parse_plaintext(text, provider="bench")
    assert article.headline == lines[3]  # after a weather widget, its city and a date line
    assert [d.value for d in article.descriptions] == [lines[5]]
    assert article.body_text.split("\n\n") == lines[6:-1]
    assert article.by and article.people[0]["contactInfo"][0]["value"].endswith("@example.com")
