"""Keywords, the extractive summary, word count and reading time."""
from __future__ import annotations

from services.enrichment.nlp.keywords import read_keywords
from services.enrichment.nlp.summary import summarise
from services.enrichment.nlp.text import reading_time_seconds, sentences, stem, word_count, words


def test_keywords_are_repeated_common_noun_phrases_not_names():
    text = ("Flood defences failed in Riverton. The flood defences were old, officials said. "
            "Residents asked why flood defences in Riverton were never repaired. The river rose again.")
    keywords = [k.text for k in read_keywords(text)]
    assert keywords[0] == "flood defences"
    assert "riverton" not in keywords and "Riverton" not in keywords
    assert all(k.count >= 2 for k in read_keywords(text))


def test_summary_takes_lead_sentences_in_order_and_skips_quotes_and_questions():
    sentences = [
        "The city council approved a new budget for schools and hospitals on Monday.",
        "\u201cThis is a great day for every family in the city,\u201d the mayor said.",
        "Is the budget enough?",
        "The budget adds money for schools, teachers and hospital staff across the city.",
        "Opposition members voted against it.",
    ]
    chosen = summarise(sentences)
    assert chosen[0] == sentences[0] and len(chosen) == 2
    assert sentences[1] not in chosen and sentences[2] not in chosen


def test_counts_and_stems():
    assert word_count("North Korea’s troops — 11th Corps — moved on Dec. 18.") == 9
    assert reading_time_seconds(238) == 60 and reading_time_seconds(1) == 5
    assert stem("troops") == stem("troop") and stem("casualties") == "casualty"


def test_chinese_and_japanese_count_a_word_per_character():
    assert word_count("東京都は新しい計画を発表した。") == 14
    assert word_count("国务院18日召开会议") == 9
    assert word_count("북한이 러시아에 파병했다") == 3  # Korean is written with spaces


def test_summary_of_sentences_written_without_spaces():
    sentences = [
        "政府は18日の臨時閣議で、一般会計の総額が過去最大となる115兆円余りの来年度予算案を決定し、防衛費や少子化対策の費用が大きく膨らみました。",
        "本当に必要な予算なのでしょうか？",
        "財務大臣は記者会見で、財政の健全化も同時に進めていくと述べました。",
    ]
    assert summarise(sentences) == [sentences[0], sentences[2]]


def test_a_number_with_separators_is_one_word():
    assert word_count("Emerging market stocks rose 0.48% to 1,052 points.") == 8


def test_vowel_signs_and_diacritics_stay_inside_their_word():
    # Indic vowel signs and viramas, Arabic harakat, Thai vowel marks and a decomposed
    # accent are combining marks, not word breaks.
    assert words("भारत के प्रधानमंत्री ने नई दिल्ली में बैठक की।") == [
        "भारत", "के", "प्रधानमंत्री", "ने", "नई", "दिल्ली", "में", "बैठक", "की"]
    assert words("தமிழ்நாடு அரசு புதிய திட்டத்தை அறிவித்தது") == [
        "தமிழ்நாடு", "அரசு", "புதிய", "திட்டத்தை", "அறிவித்தது"]
    assert word_count("وَقَالَ الْوَزِيرُ إِنَّ الْخُطَّةَ سَتَنْجَحُ") == 5
    assert words("รัฐบาลไทย ประกาศ มาตรการ") == ["รัฐบาล", "ไทย", "ประกาศ", "มาตรการ"]  # Thai: dictionary words
    assert words("Cafe\u0301 owners don’t agree") == ["Cafe\u0301", "owners", "don’t", "agree"]
    assert words("東京のカフェ\u3099") == ["東", "京", "の", "カ", "フ", "ェ", "\u3099"]  # kana as before


def test_sentences_end_at_the_marks_of_each_script():
    hindi = ("भारत के प्रधानमंत्री ने बैठक की। बैठक में कई मुख्यमंत्री शामिल हुए। "
             "क्या योजना सफल होगी? विपक्ष ने आलोचना की॥ अंत")
    assert [s.strip() for s in sentences(hindi)] == [
        "भारत के प्रधानमंत्री ने बैठक की।", "बैठक में कई मुख्यमंत्री शामिल हुए।", "क्या योजना सफल होगी?",
        "विपक्ष ने आलोचना की॥", "अंत"]
    arabic = "أعلنت الحكومة عن خطة جديدة. هل ستنجح الخطة؟ يرى خبراء أن التنفيذ صعب."
    assert [s.strip() for s in sentences(arabic)] == [
        "أعلنت الحكومة عن خطة جديدة.", "هل ستنجح الخطة؟", "يرى خبراء أن التنفيذ صعب."]
    assert len(sentences("حکومت نے نئی پالیسی کا اعلان کیا۔ وزیر نے کہا کہ یہ اچھی ہے۔")) == 2  # Urdu
    assert len(sentences("መንግሥት አዲስ ዕቅድ አወጣ። ሚኒስትሩ ተናገሩ።")) == 2  # Amharic


def test_latin_and_full_width_sentence_ends_are_unchanged():
    assert sentences("Prices rose. Did they? Yes! “We will … fight on,” he said. Next") == [
        "Prices rose.", "Did they?", "Yes!", "“We will … fight on,” he said.", "Next"]
    assert sentences("It fell 2.5 percent.Then") == ["It fell 2.5 percent.Then"]  # no space, no end
    assert sentences("「必要です。」と述べた。次の文です！最後？") == ["「必要です。」と述べた。", "次の文です！", "最後？"]


def test_a_story_in_hindi_gets_a_summary_and_a_long_arabic_question_is_left_out():
    hindi = ("भारत के प्रधानमंत्री ने मंगलवार को नई दिल्ली में एक बैठक की। "
             "बैठक में कई राज्यों के मुख्यमंत्री शामिल हुए। "
             "उन्होंने बाढ़ राहत के लिए नई योजना की घोषणा की। "
             "सरकार ने प्रभावित परिवारों को मुआवजा देने का वादा किया।")
    chosen = summarise(sentences(hindi))
    assert len(chosen) == 2 and chosen[0].startswith("भारत के प्रधानमंत्री") and all(s.endswith("।") for s in chosen)
    arabic = ["أعلنت الحكومة المصرية يوم الثلاثاء عن خطة جديدة لدعم الاقتصاد.",
              "هل ستنجح الخطة الجديدة في خفض الأسعار خلال العام المقبل؟",
              "وقال وزير المالية إن الخطة ستوفر آلاف الوظائف الجديدة في المصانع."]
    assert summarise(arabic) == [arabic[0], arabic[2]]
