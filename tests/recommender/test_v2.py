"""Issue 18 (engine side): whole-word explanations, English -> Chinese pairs, the relevance floor,
the general lexicon's morphology, near-duplicate groups and the memory-mapped artifact."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.recommender import Document, Recommender
from matchmaker.recommender.explain import readable_terms
from matchmaker.recommender.floor import RELEVANCE_FLOOR
from matchmaker.recommender.lexicon import Lexicon, american, general_lexicon
from matchmaker.recommender.text import ENGLISH_STOP_WORDS, normalise

NOW = 1_750_000_000.0


def _filler(n: int) -> list[Document]:
    """Unrelated listings so that document frequencies mean something (max_df needs 50)."""
    topics = ["人参皂苷提取", "玉米深加工", "无人机巡检", "中药配方颗粒", "污水处理膜", "汽车座椅"]
    topics += ["智能温室", "大豆蛋白", "冷链物流", "矿山安全"]
    return [
        Document(
            f"F{i}",
            "result" if i % 2 else "need",
            f"{topics[i % len(topics)]}技术{i}",
            f"{topics[(i * 3) % len(topics)]}与{topics[(i * 7) % len(topics)]}的工艺改进和示范"
            + ("，注意环境保护。" if i % 12 == 0 else "。"),
            field="农业食品" if i % 3 else "装备制造",
            region="吉林省",
        )
        for i in range(60)
    ]


@pytest.fixture(scope="module")
def model() -> Recommender:
    docs = _filler(60) + [
        Document(
            "N-lfp",
            "need",
            "磷酸铁锂正极材料低温性能提升",
            "需要提高磷酸铁锂电池在低温下的放电容量，改进干喷湿纺工艺中的清洗与干燥环节。",
            field="新能源",
            region="吉林省",
        ),
        Document(
            "R-lfp",
            "result",
            "磷酸铁锂正极材料的碳包覆改性",
            "通过碳包覆提高磷酸铁锂的导电性和低温放电容量。",
            field="新能源",
        ),
        Document(
            "N-ref",
            "need",
            "高炉用耐火材料寿命提升",
            "钢铁企业需要提高高炉耐火材料的抗侵蚀性能，延长炉衬寿命。",
            field="冶金",
        ),
        Document(
            "R-ref-en",
            "result",
            "Corrosion resistance of refractories for blast furnaces",
            "Refractory linings of blast furnaces wear by slag corrosion; alumina-carbon "
            "castables extend their service life.",
            field="冶金",
        ),
        Document(
            "N-fert",
            "need",
            "黑土地保护性耕作技术推广",
            "寒区黑土地保护性耕作与秸秆还田技术，保护耕地质量。",
            field="农业食品",
            region="吉林省",
        ),
        Document(
            "R-dup1",
            "result",
            "碳纤维预浸料快速固化成型方法",
            "一种碳纤维预浸料快速固化成型方法，用于汽车轻量化结构件，固化时间短。",
            field="新材料",
        ),
        Document(
            "R-dup2",
            "result",
            "碳纤维预浸料快速固化成型方法及装置",
            "一种碳纤维预浸料快速固化成型方法及装置，用于汽车轻量化结构件，固化时间短。",
            field="新材料",
        ),
    ]
    return Recommender().fit(docs)


def test_terms_are_whole_words_never_fragments(model: Recommender) -> None:
    need = Document(
        "Q",
        "need",
        "磷酸铁锂正极材料低温性能提升",
        "需要提高磷酸铁锂电池在低温下的放电容量，改进干喷湿纺工艺中的清洗与干燥环节。",
    )
    match = next(m for m in model.rank(need, target_kind="result", now=NOW) if m.id == "R-lfp")
    assert "磷酸铁锂" in match.terms
    assert not {"磷酸", "铁锂", "酸铁"} & set(match.terms)
    for term in match.terms:
        assert term in normalise(need.title + need.body)
        assert not term.endswith(("与", "工"))


def test_bigrams_spelling_a_word_come_back_as_that_word() -> None:
    reference = normalise("改进干喷湿纺工艺中的清洗与干燥环节，磷酸铁锂正极")
    shared = [("磷酸", 0.3), ("铁锂", 0.3), ("清洗", 0.2), ("洗与", 0.1), ("纺工", 0.1)]
    terms = readable_terms(shared, reference)
    assert "磷酸铁锂" in terms
    assert "清洗" in terms
    assert not {"磷酸", "铁锂", "清洗与", "干喷湿纺工", "纺工", "洗与"} & set(terms)


def test_english_match_carries_its_pair(model: Recommender) -> None:
    matches = model.rank("N-ref", target_kind="result", now=NOW)
    assert matches and matches[0].id == "R-ref-en"
    # By id there is no query text; ranking the need as a document explains it.
    need = Document("Q", "need", "高炉用耐火材料寿命提升", "提高高炉耐火材料的抗侵蚀性能。")
    match = next(m for m in model.rank(need, target_kind="result", now=NOW) if m.id == "R-ref-en")
    assert "耐火材料" in match.terms
    assert ("refractory", "耐火材料") in match.pairs or ("refractories", "耐火材料") in match.pairs


def test_english_query_pairs_come_from_the_query() -> None:
    docs = _filler(60) + [
        Document("R-zh", "result", "高炉耐火材料", "高炉耐火材料抗渣侵蚀，延长寿命。"),
    ]
    model = Recommender().fit(docs)
    query = Document("Q", "need", "Refractories for blast furnaces", "refractory corrosion by slag")
    match = model.rank(query, target_kind="result", now=NOW)[0]
    assert match.id == "R-zh"
    assert any(zh == "耐火材料" and "refractor" in en for en, zh in match.pairs)
    assert any(zh == "高炉" for _, zh in match.pairs)


def test_chinese_to_chinese_matches_have_no_pairs(model: Recommender) -> None:
    need = Document("Q", "need", "磷酸铁锂正极材料低温性能提升", "提高低温放电容量。")
    match = next(m for m in model.rank(need, target_kind="result", now=NOW) if m.id == "R-lfp")
    assert match.pairs == ()


def test_floor_drops_unrelated_listings_that_factors_would_lift() -> None:
    # The case: a laser-coating need and a black-soil tillage result that share only 保护,
    # in the need's field and region, so the factors would put it on the page.
    docs = _filler(80) + [
        Document(
            "R-soil",
            "result",
            "寒区黑土地耕作技术",
            "保护性耕作：秸秆还田与免耕播种，深松整地，提高耕地有机质，适合东北寒区玉米大豆轮作，减少风蚀水蚀。",
            field="装备制造",
            region="吉林省",
            trl=7,
        ),
        Document(
            "R-laser",
            "result",
            "激光熔覆耐磨涂层技术",
            "轴类零件表面激光熔覆耐磨涂层，修复磨损部位。",
            field="新材料",
        ),
    ]
    model = Recommender().fit(docs)
    need = Document(
        "Q",
        "need",
        "激光熔覆涂层修复轴类零件",
        "采用激光熔覆技术修复磨损轴类零件，在零件表面制备耐磨耐蚀涂层，涂层保护零件表面，"
        "提高零件寿命，降低停机维修成本，熔覆层无裂纹无气孔，粉末利用率高，稀释率低。"
        "需要高功率半导体激光器、同轴送粉喷嘴、镍基合金粉末、碳化钨增强相、熔池温度闭环控制、"
        "机器人路径规划和在线形貌检测，硬度达到HRC58以上，结合强度高于母材。",
        field="装备制造",
        region="吉林省",
        trl=6,
    )
    padded = {m.id: m for m in model.rank(need, target_kind="result", now=NOW, k=6)}
    soil, laser = padded["R-soil"], padded["R-laser"]
    assert soil.score > soil.text_score  # the factors lift it
    # A floor between the two text scores: the factors can never lift R-soil over it.
    floor = (soil.text_score + laser.text_score) / 2
    shown = model.rank(need, target_kind="result", now=NOW, min_text_score=floor)
    assert [m.id for m in shown] == ["R-laser"]
    assert model.search("黑土地", min_text_score=1.01) == []


def test_floor_keeps_real_matches_and_factors_only_reorder(model: Recommender) -> None:
    shown = model.rank("N-lfp", target_kind="result", now=NOW, min_text_score=RELEVANCE_FLOOR)
    assert [m.id for m in shown][:1] == ["R-lfp"]
    assert all(m.text_score >= RELEVANCE_FLOOR for m in shown)


def test_floor_is_a_small_positive_cosine() -> None:
    assert 0.0 < RELEVANCE_FLOOR < 0.2


@pytest.mark.parametrize(
    ("british", "american_form"),
    [("fibre", "fiber"), ("colour", "color"), ("aluminium", "aluminum"), ("analysed", "analyzed")],
)
def test_british_spellings_are_folded(british: str, american_form: str) -> None:
    assert american(british) == american_form
    assert american("four") == "four"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("refractories", "耐火"),
        ("batteries", "电池"),
        ("catalysts", "催化剂"),
        ("welded", "焊接"),
        ("sintering", "烧结"),
        ("carbon fibres", "碳纤维"),
        ("heat exchangers", "换热器"),
    ],
)
def test_general_lexicon_handles_plurals_ing_ed_and_phrases(english: str, chinese: str) -> None:
    lexicon = Lexicon({}, general=True)
    runs = lexicon.matches(english, ENGLISH_STOP_WORDS)
    assert runs and chinese in "".join(zh for run in runs for _, zh in run)


def test_general_lexicon_is_large_and_hand_entries_override_it() -> None:
    assert len(general_lexicon()) > 50_000
    assert general_lexicon()[("cathode",)] == "阴极"  # the dictionary's sense
    lexicon = Lexicon({"cathode": "正极"}, general=True)
    assert lexicon.matches("cathodes", ENGLISH_STOP_WORDS) == [[("cathodes", "正极")]]


def test_adjacent_words_compose_into_one_chinese_term() -> None:
    runs = Lexicon({}, general=True).matches("high temperature alloy", ENGLISH_STOP_WORDS)
    assert len(runs) == 1 and len(runs[0]) >= 2  # one run: its bigrams cross the word joins


def test_near_duplicates_are_grouped_best_first(model: Recommender) -> None:
    need = Document(
        "Q", "need", "碳纤维预浸料快速固化", "汽车轻量化结构件用碳纤维预浸料快速固化成型。"
    )
    matches = model.rank(need, target_kind="result", now=NOW)
    groups = model.group_near_duplicates(matches)
    heads = [g[0].id for g in groups]
    assert sum(1 for h in heads if h in ("R-dup1", "R-dup2")) == 1
    group = next(g for g in groups if g[0].id in ("R-dup1", "R-dup2"))
    assert {m.id for m in group} == {"R-dup1", "R-dup2"}
    assert [g[0] for g in groups] == sorted((g[0] for g in groups), key=lambda m: -m.score)


def test_second_load_maps_the_arrays_instead_of_copying(model: Recommender, tmp_path) -> None:
    path = tmp_path / "model.bin"
    model.save(path)
    loaded = Recommender.load(path)
    for array in (loaded.index_.indices, loaded.index_.data, loaded.qidx_, loaded.qval_):
        assert isinstance(array, np.memmap) or isinstance(array.base, np.memmap)
        assert not array.flags.writeable
    again = Recommender.load(path)
    need = Document("Q", "need", "磷酸铁锂正极材料", "低温放电容量。")
    assert [m.id for m in again.rank(need, target_kind="result", now=NOW)] == [
        m.id for m in model.rank(need, target_kind="result", now=NOW)
    ]


def test_every_hand_entry_names_its_source_and_cedict_labels_are_true() -> None:
    from matchmaker.recommender.glossary import GLOSSARY, GLOSSARY_SOURCES
    from matchmaker.recommender.lexicon import key_words

    assert set(GLOSSARY_SOURCES) == set(GLOSSARY)
    assert set(GLOSSARY_SOURCES.values()) <= {"cedict", "hand"}
    general = Lexicon({}, general=True)
    for english, source in GLOSSARY_SOURCES.items():
        if source == "cedict":
            found = general.lookup(key_words(english))
            assert found is not None and found[1] == GLOSSARY[english], english
