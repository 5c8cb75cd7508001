"""Explanations read as words a person would name, not as bigrams cut mid-word."""

from __future__ import annotations

from matchmaker.recommender.explain import readable_terms, snap_to_words
from matchmaker.recommender.text import normalise


def test_phrases_straddling_two_words_are_snapped_or_dropped():
    words = frozenset({"光纤", "耦合", "光电", "检测", "系统", "监测"})
    assert snap_to_words("光纤耦合", words) == ["光纤", "耦合"]
    assert snap_to_words("测系", words) == []
    assert snap_to_words("光电", words) == ["光电"]
    assert snap_to_words("LiFePO4", words) == ["LiFePO4"]


def test_readable_terms_of_a_real_pair_are_whole_words():
    reference = normalise("激光焊接熔池视觉监测系统，需要在线检测焊缝缺陷，采用光纤耦合与光电探测")
    shared = [
        ("测系", 0.3),
        ("检测", 0.5),
        ("与光", 0.2),
        ("光电", 0.4),
        ("光纤", 0.3),
        ("纤耦", 0.2),
        ("耦合", 0.3),
        ("缺陷", 0.4),
        ("焊缝", 0.3),
        ("系统", 0.6),
    ]
    terms = readable_terms(shared, reference)
    assert {"光纤", "耦合", "光电", "检测", "缺陷", "焊缝"} <= set(terms)
    assert not {"测系", "与光", "纤耦"} & set(terms)
    assert "系统" not in terms  # too general to explain anything
