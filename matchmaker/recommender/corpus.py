"""Synthetic but realistic listings for benchmarks: Zipfian technical vocabulary, real lengths.

How a listing is written (all choices from one ``random.Random`` seeded by (seed, number), so
document ``i`` is the same whether the corpus is generated in full or one document at a time):

- Vocabulary: ~4,800 Chinese technical terms. The ~640 base terms are the per-industry lists
  below, the glossary's Chinese terms and the taxonomy; the rest are compounds of a base term
  with a modifier (高性能, 纳米, 耐高温 ...) or a head (装置, 工艺, 体系 ...). Each industry
  draws from its own Zipfian ranking (exponent 1.0) of its terms plus the whole vocabulary.
- Prose: boilerplate openings (需求内容：, 本发明公开了一种 ...), Zipfian general words (研究,
  提高, 产品 ...), function words, connectives, numbers with units, rare character strings
  (proper names) and model numbers (T800, Q235, 6061, GB/T 1234 ...).
- English: one result in five is an English abstract from the glossary's phrases and ~300
  technical and general English words (the dev set has ~25% English descriptions).
- Lengths: need titles 10-28 characters and bodies 100-500; result titles 12-30 and bodies
  180-600, four in five short (needs up to 330, results up to 350); the dev set's deciles
  are 9-28 / 82-487 for needs and 16-108 / 186-568 for results.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Iterator, Sequence

from matchmaker.recommender.document import Document
from matchmaker.recommender.glossary import GLOSSARY, TAXONOMY_TERMS

# Per industry: technical terms that listings of that field are written with.
FIELDS: dict[str, str] = {
    "化工/新材料": (
        "高分子 聚乙烯 聚丙烯 环氧树脂 催化剂 加氢 精馏 溶剂回收 表面活性剂 增塑剂 涂料 "
        "胶粘剂 橡胶 改性 阻燃剂 乙烯 丙烯酸 甲醇 合成氨 反应釜 结晶 萃取 聚氨酯 有机硅 "
        "农药中间体 立方氮化硼 触媒 单晶 粒度 纯度 配方"
    ),
    "冶金/建材": (
        "高炉 转炉 炼钢 连铸 轧制 热处理 不锈钢 铝合金 镁合金 钛合金 稀土 冶炼 炉渣 "
        "耐火材料 浇注料 球团 烧结 除尘 废钢 铸造 锻造 焊接 粉末冶金 金属表面 防腐涂层 "
        "水泥 混凝土 余热锅炉 烟气"
    ),
    "碳纤维/复合材料": (
        "碳纤维 原丝 预浸料 复合材料 T800 T700 树脂基体 石墨烯 碳化硅 氮化硼 陶瓷基 "
        "纳米材料 轻量化 拉伸强度 模量 缠绕成型 热压罐 界面改性 回收再利用 气凝胶"
    ),
    "电子信息/光电": (
        "半导体 芯片 集成电路 激光器 光纤 传感器 红外探测 图像传感器 显示面板 LED 5G 天线 "
        "射频 光刻 封装 MOSFET 功率器件 光电转换 光学镜头 电路板"
    ),
    "汽车/装备制造": (
        "新能源汽车 底盘 转向系统 制动 悬架 变速箱 发动机 电机 电控 轻量化车身 模具 冲压 "
        "数控机床 工业机器人 自动化产线 轴承 减速器 液压 故障诊断 智能网联"
    ),
    "人参/农业食品": (
        "人参 人参皂苷 提取工艺 发酵 益生菌 玉米深加工 大豆蛋白 食用菌 保鲜 冷链 干燥 "
        "杀菌 饮料 功能食品 多糖 黄酮 秸秆 有机肥 饲料 种植 育种 鹿茸 蓝莓"
    ),
    "生物医药": (
        "抗体 疫苗 靶向药物 中药 化学药 制剂 缓释 检测试剂 基因测序 细胞培养 蛋白纯化 "
        "医疗器械 诊断 肿瘤 胰岛素 药物递送 临床试验 生物标志物 原料药 抗菌"
    ),
    "新能源/节能环保": (
        "锂离子电池 磷酸铁锂 LiFePO4 三元正极 负极材料 硅碳 电解液 隔膜 储能 光伏 氢能 "
        "燃料电池 风电 逆变器 充电桩 热管理 节能 余热回收 废水处理 脱硫脱硝 固废 18650"
    ),
    "低空经济": (
        "无人机 飞控 航电 eVTOL 旋翼 复合材料机身 导航定位 避障 电池续航 起降场 空域管理 "
        "植保 巡检 物流配送 航拍 图传 适航认证 动力系统 载荷"
    ),
    "人工智能/软件": (
        "深度学习 神经网络 机器视觉 自然语言处理 知识图谱 大数据 云计算 边缘计算 推荐算法 "
        "目标检测 图像识别 语音识别 工业软件 数字孪生 物联网平台 数据治理 预测模型 BERT DCS"
    ),
}
MODIFIERS = tuple(
    str.split(
        """
        高性能 高强度 高纯 超细 纳米 新型 低成本 耐高温 耐腐蚀 智能 柔性
        可降解 环保型 多功能 高效 低能耗 连续化 大尺寸 精密 复合 功能化 高导热
        轻质 绿色 在线 快速 国产
"""
    )
)
HEADS = tuple(
    str.split(
        """
        材料 工艺 装置 系统 方法 设备 体系 组件 技术 制品 模块 生产线
"""
    )
)
# General words of Chinese technical prose, most frequent first (they form the long lists).
GENERAL = tuple(
    str.split(
        """
        技术 研究 开发 产品 生产 应用 提高 工艺 企业 项目 质量 市场 性能
        设备 实现 降低 成本 效率 问题 解决 方法 系统 材料 国内 国外 目前
        需要 要求 达到 具备 相关 行业 领域 工作 基础 团队 产业化 推广 稳定
        控制 检测 分析 设计 制备 优化 改进 提升 增加 减少 满足 关键 核心
        先进 传统 主要 良好 显著 有效 广泛 合作 转化 专利 标准 规模 能力
        条件 结构 过程 方案 参数 指标 测试 试验 验证 数据 运行 安全 环境
        资源 能源 经济 效益 价值 前景
"""
    )
)
FUNCTION = tuple(
    str.split(
        """
        的 了 和 与 及 在 是 为 对 将 由 从 等 中 上 可 以 并
"""
    )
)
CONNECTIVES = ("，", "，", "，", "。", "；", "、", "，通过", "，采用", "，实现", "，其中")
UNITS = ("MPa", "℃", "%", "mm", "kg", "h", "万元", "吨", "kW", "μm", "GPa", "亿元")
NEED_OPENINGS = ("需求内容：", "需求内容：企业需要", "企业急需", "我公司现有", "拟解决", "")
NEED_SECTIONS = ("预期目标：", "技术指标：", "现有工作基础：", "要求")
RESULT_OPENINGS = (
    "本发明公开了一种",
    "本成果涉及",
    "本项目研制了",
    "本技术提供了一种",
    "团队开发了",
    "",
)
TITLE_SUFFIXES = ("技术", "工艺研究", "关键技术开发", "的研制及其产业化", "产业化", "研究", "")
ENGLISH = tuple(
    str.split(
        """
        method system device process material performance high low temperature strength preparation
        application structure surface layer control signal data model analysis detection sensor
        efficiency energy cost production quality design test result improved novel stable rapid
        large scale industrial green efficient thin film particle powder solution reaction treatment
        composite alloy steel fiber polymer network algorithm image vehicle engine power voltage
        current frequency optical laser chip circuit module unit water waste gas heat pressure flow
        rate ratio content concentration yield purity sample experiment experimental simulation
        numerical optimization parameter mechanism property properties characteristic behavior
        effect influence evaluation measurement accuracy precision response time cycle life capacity
        density size shape phase crystal grain interface coating resistance conductivity thermal
        mechanical electrical chemical biological medical clinical patient cell protein gene drug
        plant soil crop seed food
"""
    )
)
TAIL_CHARS = (
    "安白北本部材层产长厂成程传创磁单导道德等地电定动度端段多发法方防分风"
    "封复高格工功构管光广规国过海合和黑红华化环换活机基级集计技加价检件建"
    "江交结金进晶精净局具聚均开抗科可空控快矿拉蓝类冷离理力利连量料林流龙"
    "路率绿铝脉门密面明模膜能泥凝盘配喷批品平屏气器强桥青轻氢清球区全燃热"
    "韧容溶柔入三色砂山扇上烧射深生声湿石时实式试适释收输数双水丝速塑酸碳"
    "特提体天调铁通同透图涂土微温纹稳无物析吸系纤显线相箱效芯新信型性修选"
    "压研焰氧液一仪乙异阴应硬油有元原源远云运载"
)
REGIONS = ("吉林省长春市", "吉林省吉林市", "吉林省通化市", "吉林省延边州", "吉林省", None)


class _Zipf:
    """Draws from a fixed list with probability proportional to 1 / rank."""

    def __init__(self, items: Sequence[str], exponent: float = 1.0) -> None:
        self.items = tuple(items)
        self.cum = list(itertools.accumulate(1.0 / (r**exponent) for r in range(1, len(items) + 1)))

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


@functools.cache
def _vocabulary() -> tuple[dict[str, _Zipf], _Zipf, _Zipf, _Zipf]:
    """Per-field term samplers, the whole-vocabulary sampler, general words and model numbers."""
    rng = random.Random(20240601)  # noqa: S311 - a fixed vocabulary, not security
    chinese_glossary = sorted({t for t in GLOSSARY.values() if not t.isascii()})
    base = sorted({t for terms in FIELDS.values() for t in terms.split()} | TAXONOMY_TERMS)
    base = sorted(set(base) | set(chinese_glossary))
    compounds = set()
    for term in base:
        if term.isascii():
            continue
        for modifier in rng.sample(MODIFIERS, 4):
            compounds.add(modifier + term)
        for head in rng.sample(HEADS, 3):
            if not term.endswith(head):
                compounds.add(term + head)
    vocabulary = sorted(set(base) | compounds)
    rng.shuffle(vocabulary)
    whole = _Zipf(vocabulary)
    per_field = {}
    for n, (field, own) in enumerate(FIELDS.items()):
        # The field's own terms first, then a field-specific slice of the vocabulary.
        start = n * len(vocabulary) // len(FIELDS)
        ranked = own.split() + vocabulary[start : start + 600]
        per_field[field] = _Zipf(ranked)
    models = [
        f"{rng.choice('TQMGHSKXZ')}{rng.randint(1, 9999)}"
        if k % 3
        else f"{rng.randint(100, 99999)}"
        for k in range(2000)
    ]
    return per_field, whole, _Zipf(GENERAL, 0.8), _Zipf(models)


def _tail_word(rng: random.Random) -> str:
    """A rare two-to-four character string (a compound, product, place or company name)."""
    return "".join(rng.choices(TAIL_CHARS, k=rng.randint(2, 4)))


def _chinese_clause(
    rng: random.Random, field: _Zipf, whole: _Zipf, general: _Zipf, models: _Zipf
) -> str:
    """One clause: technical terms among general words, function words and numbers."""
    parts = []
    for _ in range(rng.randint(3, 7)):
        roll = rng.random()
        if roll < 0.30:
            parts.append(field(rng))
        elif roll < 0.40:
            parts.append(whole(rng))
        elif roll < 0.75:
            parts.append(general(rng))
        elif roll < 0.85:
            parts.append(rng.choice(FUNCTION))
        elif roll < 0.91:
            parts.append(f"{rng.randint(1, 999)}{rng.choice(UNITS)}")
        elif roll < 0.96:
            parts.append(_tail_word(rng))
        else:
            parts.append(models(rng))
    return "".join(parts) + rng.choice(CONNECTIVES)


def _english_text(rng: random.Random, target: int) -> str:
    """An English abstract: glossary phrases among general technical words."""
    phrases = _english_phrases()
    words: list[str] = []
    length = 0
    while length < target:
        word = rng.choice(phrases) if rng.random() < 0.3 else rng.choice(ENGLISH)
        words.append(word)
        length += len(word) + 1
    return " ".join(words).capitalize() + "."


@functools.cache
def _english_phrases() -> tuple[str, ...]:
    return tuple(sorted(GLOSSARY))


def listing(rng: random.Random, number: int, kind: str) -> Document:
    """One need or result with a field, a realistic title and body, and re-ranking attributes."""
    per_field, whole, general, models = _vocabulary()
    field = rng.choice(list(FIELDS))
    terms = per_field[field]
    if rng.random() < 0.2:
        # Real listings straddle industries now and then.
        terms = per_field[rng.choice(list(FIELDS))]
    english = kind == "result" and rng.random() < 0.2
    if english:
        title = _english_text(rng, rng.randint(30, 80)).rstrip(".")
        body = _english_text(rng, rng.randint(200, 650))[:700]
        keywords: tuple[str, ...] = ()
    else:
        low, high = (10, 28) if kind == "need" else (12, 30)
        title = terms(rng) + terms(rng)
        while len(title) < rng.randint(low, high - 4):
            title += rng.choice((terms(rng), general(rng)))
        title = (title + rng.choice(TITLE_SUFFIXES))[:high]
        # Most listings are short, a fifth run long (the dev set's length distribution).
        short = rng.random() < 0.8
        if kind == "need":
            target = rng.randint(100, 330) if short else rng.randint(330, 500)
        else:
            target = rng.randint(180, 350) if short else rng.randint(350, 600)
        body = rng.choice(NEED_OPENINGS if kind == "need" else RESULT_OPENINGS)
        while len(body) < target:
            if kind == "need" and rng.random() < 0.08:
                body += rng.choice(NEED_SECTIONS)
            body += _chinese_clause(rng, terms, whole, general, models)
        body = body[:target]
        keywords = tuple({terms(rng) for _ in range(3)}) if rng.random() < 0.5 else ()
    return Document(
        id=f"{kind[0].upper()}{number:07d}",
        kind=kind,
        title=title,
        body=body,
        keywords=tuple(sorted(keywords)),
        field=field,
        region=rng.choice(REGIONS),
        trl=rng.choice((None, 3, 4, 5, 6, 7, 8)) if kind == "result" else None,
        amount=rng.choice((None, 0.0, 100_000.0, 500_000.0, 2_000_000.0)),
        updated_at=1_700_000_000.0 + rng.randint(0, 400) * 86_400.0,
    )


class SyntheticCorpus(Sequence[Document]):
    """``n`` synthetic listings generated on access: holds no documents, so it costs no memory.

    Document ``i`` depends only on (seed, i); iterating twice yields equal documents.
    """

    def __init__(self, n: int, *, seed: int = 0, need_share: float = 0.25) -> None:
        self.n, self.seed, self.need_share = n, seed, need_share

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - Sequence's int-or-slice protocol
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        i %= self.n
        rng = random.Random(self.seed * 1_000_003 + i)  # noqa: S311 - synthetic data
        return listing(rng, i, "need" if rng.random() < self.need_share else "result")

    def __iter__(self) -> Iterator[Document]:
        return (self[i] for i in range(self.n))


def synthetic_corpus(n: int, *, seed: int = 0, need_share: float = 0.25) -> list[Document]:
    """``n`` listings, about a quarter needs (the province's ratio), deterministic for a seed."""
    return list(SyntheticCorpus(n, seed=seed, need_share=need_share))
