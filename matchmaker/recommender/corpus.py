"""Synthetic but realistic listings for benchmarks: Chinese technical vocabulary, real lengths."""

from __future__ import annotations

import random

from matchmaker.recommender.document import Document

# Per industry: technical terms that listings of that field are written with.
FIELDS: dict[str, str] = {
    "化工": (
        "高分子 聚乙烯 聚丙烯 环氧树脂 催化剂 加氢 精馏 溶剂回收 表面活性剂 增塑剂 涂料 "
        "胶粘剂 橡胶 改性 阻燃剂 乙烯 丙烯酸 甲醇 合成氨 反应釜 结晶 萃取 聚氨酯 有机硅 "
        "农药中间体"
    ),
    "冶金": (
        "高炉 转炉 炼钢 连铸 轧制 热处理 不锈钢 铝合金 镁合金 钛合金 稀土 冶炼 炉渣 "
        "耐火材料 浇注料 球团 烧结 除尘 废钢 铸造 锻造 焊接 粉末冶金 金属表面 防腐涂层"
    ),
    "碳纤维/新材料": (
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
    "新能源/绿色能源": (
        "锂离子电池 磷酸铁锂 LiFePO4 三元正极 负极材料 硅碳 电解液 隔膜 储能 光伏 氢能 "
        "燃料电池 风电 逆变器 充电桩 热管理 节能 余热回收 废水处理 脱硫脱硝 固废 18650"
    ),
    "低空经济": (
        "无人机 飞控 航电 eVTOL 旋翼 复合材料机身 导航定位 避障 电池续航 起降场 空域管理 "
        "植保 巡检 物流配送 航拍 图传 适航认证 动力系统 载荷"
    ),
    "人工智能/软件": (
        "深度学习 神经网络 机器视觉 自然语言处理 知识图谱 大数据 云计算 边缘计算 推荐算法 "
        "目标检测 图像识别 语音识别 工业软件 数字孪生 物联网平台 数据治理 预测模型 BERT"
    ),
    "其他": ("检验检测 标准化 节能改造 环境监测 安全生产 信息化 智慧园区 供应链 质量管理 仓储物流"),
}
GENERIC = (
    "关键技术",
    "工艺优化",
    "性能提升",
    "成本降低",
    "产业化",
    "中试",
    "稳定性",
    "一致性",
    "生产效率",
    "良品率",
    "国产化",
    "替代进口",
    "自主知识产权",
    "核心部件",
    "技术瓶颈",
    "工程化",
    "规模化生产",
    "质量控制",
    "检测方法",
    "设备改造",
    "智能化",
    "绿色制造",
)
NEED_OPENINGS = ("需求内容：", "需要开发", "企业急需", "我公司现有", "拟解决")
NEED_TARGETS = ("预期目标：", "技术指标：", "要求")
RESULT_OPENINGS = (
    "本发明公开了一种",
    "本成果涉及",
    "本项目研制了",
    "本技术提供了一种",
    "团队开发了",
)
CONNECTIVES = (
    "，通过",
    "，采用",
    "，实现",
    "，提高",
    "，降低",
    "，解决了",
    "，适用于",
    "，结合",
    "。",
    "，其中",
)
# Common characters for the long tail: names of compounds, places and products seen once.
TAIL_CHARS = (
    "安白北本部材层产长厂成程传创磁单导道德等地电定动度端段多发法方防分风"
    "封复高格工功构管光广规国过海合和黑红华化环换活机基级集计技加价检件建"
    "江交结金进晶精净局具聚均开抗科可空控快矿拉蓝类冷离理力利连量料林流龙"
    "路率绿铝脉门密面明模膜能泥凝盘配喷批品平屏气器强桥青轻氢清球区全燃热"
    "韧容溶柔入三色砂山扇上烧射深生声湿石时实式试适释收输数双水丝速塑酸碳"
    "特提体天调铁通同透图涂土微温纹稳无物析吸系纤显线相箱效芯新信型性修选"
    "压研焰氧液一仪乙异阴应硬油有元原源远云运载"
)


def _tail_word(rng: random.Random) -> str:
    """A rare two-to-four character word (compound, product or place name)."""
    return "".join(rng.choice(TAIL_CHARS) for _ in range(rng.randint(2, 4)))


def _sentence(rng: random.Random, terms: list[str]) -> str:
    """One clause mixing field terms, generic terms, rare words and numbers."""
    parts = []
    for _ in range(rng.randint(3, 6)):
        roll = rng.random()
        if roll < 0.55:  # noqa: SIM114 - one branch per share of the mix
            parts.append(rng.choice(terms))
        elif roll < 0.8:
            parts.append(rng.choice(GENERIC))
        elif roll < 0.95:
            parts.append(_tail_word(rng))
        else:
            parts.append(f"{rng.randint(2, 999)}{rng.choice(('MPa', '℃', '%', 'mm', 'kg', 'h'))}")
        parts.append(rng.choice(CONNECTIVES))
    return "".join(parts[:-1]) + "。"


def listing(rng: random.Random, number: int, kind: str) -> Document:
    """One need or result: a field, a 15-30 character title and a 200-600 character body."""
    field = rng.choice(list(FIELDS))
    terms = FIELDS[field].split()
    # A second field now and then: real listings straddle industries.
    if rng.random() < 0.2:
        terms = terms + rng.sample(FIELDS[rng.choice(list(FIELDS))].split(), 5)
    suffix = rng.choice(("技术", "工艺研究", "关键技术开发", "产业化"))
    title = "".join(rng.sample(terms, 2)) + suffix
    target = rng.randint(200, 600) if kind == "need" else rng.randint(180, 450)
    body = rng.choice(NEED_OPENINGS if kind == "need" else RESULT_OPENINGS)
    while len(body) < target:
        if kind == "need" and rng.random() < 0.1:
            body += rng.choice(NEED_TARGETS)
        body += _sentence(rng, terms)
    return Document(
        id=f"{kind[0].upper()}{number:07d}",
        kind=kind,
        title=title,
        body=body,
        keywords=tuple(rng.sample(terms, 3)),
        field=field,
        region=rng.choice(("吉林省长春市", "吉林省吉林市", "吉林省通化市", "吉林省", None)),
        trl=rng.choice((None, 3, 4, 5, 6, 7, 8)) if kind == "result" else None,
        amount=rng.choice((None, 0.0, 100_000.0, 500_000.0, 2_000_000.0)),
        updated_at=1_700_000_000.0 + rng.randint(0, 400) * 86_400.0,
    )


def synthetic_corpus(n: int, *, seed: int = 0, need_share: float = 0.25) -> list[Document]:
    """``n`` listings, about a quarter needs (the province's ratio), deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    return [listing(rng, i, "need" if rng.random() < need_share else "result") for i in range(n)]
