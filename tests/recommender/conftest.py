"""Small corpora with known answers for the recommender tests (no app, no shared data)."""

from __future__ import annotations

import pytest

from matchmaker.recommender import Document, Recommender

NOW = 1_750_000_000.0
DAY = 86_400.0


def corpus() -> list[Document]:
    """Three needs and six results across fields, with one obviously right answer per need."""
    return [
        Document(
            "N-cf",
            "need",
            "碳纤维复合材料汽车轻量化部件",
            "需求内容：开发碳纤维增强复合材料车身部件，降低整车重量，要求拉伸强度高。",
            keywords=("碳纤维", "轻量化"),
            field="碳纤维/新材料",
            region="吉林省长春市",
            amount=500_000.0,
        ),
        Document(
            "N-bat",
            "need",
            "磷酸铁锂电池低温性能提升",
            "预期目标：LiFePO4 正极电池在零下20度容量保持率达到80%以上。",
            keywords=("锂电池", "低温"),
            field="新能源/绿色能源",
            region="吉林省",
        ),
        Document(
            "N-gin",
            "need",
            "人参皂苷提取工艺优化",
            "提高人参皂苷提取率，降低溶剂残留，适合规模化生产。",
            field="人参/农业食品",
            region="吉林省通化市",
        ),
        Document(
            "R-cf1",
            "result",
            "T800级碳纤维预浸料及汽车结构件成型技术",
            "本发明公开了一种碳纤维预浸料快速固化成型方法，用于汽车轻量化结构件。",
            keywords=("碳纤维", "预浸料"),
            field="碳纤维/新材料",
            region="吉林省长春市",
            trl=7,
            amount=300_000.0,
            updated_at=NOW - 10 * DAY,
        ),
        Document(
            "R-cf2",
            "result",
            "碳纤维回收再利用技术",
            "热解法回收碳纤维复合材料废料，回收纤维强度保持率高。",
            field="碳纤维/新材料",
            trl=4,
            updated_at=NOW - 400 * DAY,
        ),
        Document(
            "R-bat",
            "result",
            "低温型磷酸铁锂正极材料",
            "通过碳包覆和掺杂改性的LiFePO4正极材料，零下20度放电容量保持率85%。",
            keywords=("磷酸铁锂", "低温"),
            field="新能源/绿色能源",
            trl=6,
        ),
        Document(
            "R-bat-en",
            "result",
            "Low-temperature lithium iron phosphate cathode",
            "A carbon-coated LiFePO4 cathode material for lithium-ion batteries keeps 85% "
            "capacity at -20 C.",
            field="新能源/绿色能源",
        ),
        Document(
            "R-gin",
            "result",
            "人參皂苷超聲波輔助提取方法",
            "採用超聲波輔助提取人參皂苷，提取率提高30%，溶劑用量減少。",
            field="人参/农业食品",
            trl=5,
        ),
        Document(
            "R-closed",
            "result",
            "碳纤维复合材料汽车部件（已下架）",
            "碳纤维复合材料汽车轻量化部件成型技术。",
            field="碳纤维/新材料",
            active=False,
        ),
    ]


@pytest.fixture(scope="session")
def fitted() -> Recommender:
    """The small corpus, fitted once (read-only tests only)."""
    return Recommender().fit(corpus())
