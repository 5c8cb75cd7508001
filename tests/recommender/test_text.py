"""Tokenisation: normalisation, model numbers, Chinese n-grams and words."""

from __future__ import annotations

from matchmaker.recommender import Document, Recommender, normalise, tokenize


def test_full_width_and_case_are_folded() -> None:
    assert normalise("ＬｉＦｅＰＯ４　Ｔ８００") == "lifepo4 t800"


def test_traditional_chinese_becomes_simplified() -> None:
    assert normalise("碳纖維複合材料與人參") == "碳纤维复合材料与人参"
    assert set(tokenize("碳纖維")) == set(tokenize("碳纤维"))


def test_model_numbers_stay_whole() -> None:
    terms = tokenize("LiFePO4正极, 5G基站, T800碳纤维, 18650电池")
    assert {"lifepo4", "5g", "t800", "18650"} <= set(terms)
    assert "lifepo" not in terms


def test_chinese_yields_unigrams_bigrams_and_words() -> None:
    terms = tokenize("碳纤维复合材料")
    assert {"碳", "碳纤", "纤维", "复合", "碳纤维", "复合材料"} <= set(terms)


def test_boilerplate_and_years_are_dropped() -> None:
    terms = tokenize("需求内容：本发明公开了一种2018年的方法")
    assert "需求" not in terms
    assert "发明" not in terms
    assert "2018" not in terms


def test_english_plurals_and_stop_words() -> None:
    terms = tokenize("The batteries and the electrodes")
    assert "battery" in terms
    assert "electrode" in terms
    assert "the" not in terms


def test_english_glossary_terms_meet_chinese() -> None:
    assert "磷酸铁锂" in tokenize("lithium iron phosphate cathode")


def test_two_character_query_finds_longer_word() -> None:
    docs = [
        Document("a", "result", "碳纤维预浸料"),
        Document("b", "result", "玻璃纤维织物"),
        Document("c", "result", "不锈钢管道"),
    ]
    model = Recommender().fit(docs)
    found = [m.id for m in model.search("碳纤")]
    assert found[0] == "a"
    assert "c" not in found
