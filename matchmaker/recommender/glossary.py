"""Domain dictionary: taxonomy terms for jieba and an English -> Chinese technical glossary."""

from __future__ import annotations

# Top-level industries of the Jilin market and common sub-terms; jieba keeps them whole.
TAXONOMY_TERMS: frozenset[str] = frozenset(
    str.split(
        """化工 冶金 碳纤维 新材料 电子信息 光电 汽车 装备制造 人参 农业 食品 生物医药
    新能源 绿色能源 低空经济 人工智能 软件 复合材料 节能环保 建材 锂离子电池 磷酸铁锂
    负极材料 正极材料 电解液
    隔膜 储能 光伏 氢能 燃料电池 无人机 机器视觉 深度学习 神经网络 大数据 物联网 传感器 芯片
    半导体 集成电路 激光 光刻 预浸料 碳化硅 氮化硼 石墨烯 催化剂 废水 污水 固废 脱硫 脱硝
    皂苷 发酵 益生菌 疫苗 抗体 靶向 检测试剂 新能源汽车 动力电池 电机 电控 轻量化"""
    )
)

# Hand overrides of the general lexicon (lexicon.py, CC-CEDICT): each English phrase found in a
# text also emits the Chinese term's features. Entry: english|chinese|source, where source is
#   cedict - CC-CEDICT gives the same translation (kept so the override table is complete), or
#   hand   - written by the project's developers (domain usage, e.g. cathode -> 正极 in battery
#            listings where CC-CEDICT says 阴极), from before issue 18; not re-checked since.
# Never extend it from evaluation texts (docs/recommender.md).
_PAIRS = """
lithium-ion battery|锂离子电池|cedict; lithium ion battery|锂离子电池|cedict;
lithium-ion batteries|锂离子电池|cedict; lithium ion batteries|锂离子电池|cedict;
lithium battery|锂电池|cedict; lithium batteries|锂电池|cedict; lithium|锂|cedict;
lithium iron phosphate|磷酸铁锂|hand; lifepo4|磷酸铁锂|hand;
lithium manganese iron phosphate|磷酸锰铁锂|hand; battery|电池|cedict; batteries|电池|cedict;
anode|负极|hand; negative electrode|负极|hand; cathode|正极|hand; positive electrode|正极|hand;
electrode|电极|cedict; electrodes|电极|cedict; electrolyte|电解液|hand; electrolytes|电解液|hand;
separator|隔膜|hand; silicon-carbon|硅碳|hand; silicon carbon|硅碳|hand; silicon|硅|cedict;
graphite|石墨|cedict; graphene|石墨烯|cedict; carbon|碳|cedict; carbon fiber|碳纤维|cedict;
carbon fibre|碳纤维|cedict; carbon fibers|碳纤维|cedict; composite|复合材料|hand;
composites|复合材料|hand; composite material|复合材料|cedict; prepreg|预浸料|hand;
resin|树脂|cedict; epoxy|环氧树脂|hand; polymer|聚合物|cedict; polymerization|聚合|hand;
copolymer|共聚物|hand; polyethylene|聚乙烯|cedict; polypropylene|聚丙烯|cedict;
propylene|丙烯|hand; ethylene|乙烯|cedict; olefin|烯烃|hand; olefins|烯烃|hand;
polyolefin|聚烯烃|hand; oligomerization|齐聚|hand; rubber|橡胶|cedict; plasticizer|增塑剂|cedict;
hose|软管|hand; coating|涂层|cedict; coated|包覆|hand; film|薄膜|hand; membrane|膜|hand;
fast charging|快充|cedict; charging|充电|hand; discharge|放电|hand; capacity|容量|hand;
cycle life|循环寿命|hand; cycling|循环|hand; energy storage|储能|hand;
supercapacitor|超级电容器|hand; supercapacitors|超级电容器|hand; capacitor|电容器|cedict;
fuel cell|燃料电池|cedict; hydrogen|氢|cedict; hydrogenation|加氢|hand;
hydrogen production|制氢|hand; solar|太阳能|hand; photovoltaic|光伏|cedict; wafer|硅片|hand;
wafers|硅片|hand; multicrystalline|多晶|hand; wind power|风电|hand; wind turbine|风机|hand;
power grid|电网|cedict; inverter|逆变器|hand; motor|电机|hand; electric vehicle|电动汽车|hand;
electric vehicles|电动汽车|hand; new energy vehicle|新能源汽车|hand; vehicle|车辆|cedict;
vehicles|车辆|cedict; automobile|汽车|cedict; automotive|汽车|hand; car|汽车|cedict;
chassis|底盘|cedict; steering|转向|hand; brake|制动|hand; braking|制动|hand; suspension|悬架|hand;
damping|阻尼|cedict; shock absorber|减震器|cedict; wheel|车轮|hand; tire|轮胎|hand;
engine|发动机|cedict; gearbox|变速箱|cedict; transmission|变速器|hand; bearing|轴承|hand;
lightweight|轻量化|hand; welding|焊接|cedict; casting|铸造|hand; forging|锻造|cedict;
machining|加工|hand; mold|模具|hand; mould|模具|hand; molding|成型|hand;
injection molding|注塑|cedict; stamping|冲压|hand; cutting tool|刀具|cedict; diamond|金刚石|hand;
cubic boron nitride|立方氮化硼|hand; boron nitride|氮化硼|hand; nitride|氮化物|hand;
single crystal|单晶|hand; hexagonal|六方|cedict; cubic|立方|hand; hpht|高温高压|hand;
high temperature|高温|cedict; high pressure|高压|cedict; low temperature|低温|cedict;
steel|钢|hand; stainless steel|不锈钢|cedict; iron|铁|hand; metallurgy|冶金|cedict;
smelting|冶炼|hand; smelter|冶炼|hand; slag|炉渣|hand; blast furnace|高炉|cedict;
converter|转炉|cedict; refractory|耐火材料|hand; refractories|耐火材料|hand; castable|浇注料|hand;
castables|浇注料|hand; kiln|窑|hand; kilns|窑|hand; cement|水泥|cedict; concrete|混凝土|cedict;
asphalt|沥青|cedict; gypsum|石膏|hand; phosphogypsum|磷石膏|hand; bauxite|铝土矿|hand;
alumina|氧化铝|hand; aluminum|铝|cedict; aluminium|铝|cedict; copper|铜|cedict; nickel|镍|cedict;
cobalt|钴|cedict; manganese|锰|cedict; titanium|钛|cedict; magnesium|镁|cedict; zinc|锌|cedict;
rare earth|稀土|cedict; rare earths|稀土|cedict; scandium|钪|cedict; neodymium|钕|cedict;
cerium|铈|cedict; ceria|氧化铈|hand; lanthanum|镧|cedict; alloy|合金|cedict; alloys|合金|cedict;
powder|粉末|hand; powders|粉体|hand; particle|颗粒|hand; particles|颗粒|hand;
nanoparticle|纳米颗粒|hand; nano|纳米|hand; corrosion|腐蚀|cedict; anticorrosion|防腐|hand;
wear|磨损|hand; wear-resistant|耐磨|cedict; lubricant|润滑油|hand; lubricants|润滑油|hand;
lubricating oil|润滑油|cedict; additive|添加剂|cedict; additives|添加剂|cedict;
catalyst|催化剂|cedict; catalysts|催化剂|cedict; catalytic|催化|hand; catalysis|催化|cedict;
oxidation|氧化|hand; reduction|还原|cedict; adsorption|吸附|hand; adsorbent|吸附剂|hand;
extraction|提取|hand; leaching|浸出|hand; flotation|浮选|hand; calcination|煅烧|hand;
pyrolysis|热解|hand; carbonization|碳化|hand; coking|焦化|hand; coke|焦炭|cedict; coal|煤|hand;
coal gangue|煤矸石|hand; gangue|煤矸石|hand; fly ash|粉煤灰|hand; wastewater|废水|hand;
waste water|废水|cedict; sewage|污水|cedict; effluent|废水|cedict; waste|废弃物|hand;
solid waste|固废|hand; hazardous waste|危险废物|hand; sludge|污泥|hand; incineration|焚烧|hand;
recycling|回收|hand; recovery|回收|hand; desulfurization|脱硫|hand; denitrification|脱硝|hand;
flue gas|烟气|hand; dust|粉尘|hand; emission|排放|hand; emissions|排放|hand; ozone|臭氧|cedict;
ozonation|臭氧氧化|hand; fenton|芬顿|hand; advanced oxidation|高级氧化|hand; biofilm|生物膜|hand;
ammonia|氨|hand; nitrogen|氮|cedict; phosphorus|磷|cedict; sulfur|硫|cedict; chlorine|氯|cedict;
fluorine|氟|cedict; heavy metal|重金属|cedict; heat exchanger|换热器|cedict;
heat dissipation|散热|hand; heat transfer|传热|hand; thermal|热|hand; energy saving|节能|cedict;
energy consumption|能耗|cedict; boiler|锅炉|cedict; compressor|压缩机|cedict; pump|泵|hand;
valve|阀门|hand; pipeline|管道|hand; pressure|压力|cedict; sensor|传感器|cedict;
sensors|传感器|cedict; detection|检测|hand; detector|探测器|hand; monitoring|监测|hand;
measurement|测量|hand; testing|检测|hand; inspection|检测|hand;
nondestructive testing|无损检测|hand; ground penetrating radar|探地雷达|hand; radar|雷达|cedict;
lidar|激光雷达|hand; laser|激光|cedict; lens|透镜|cedict; optical|光学|cedict; optics|光学|cedict;
infrared|红外|cedict; ultraviolet|紫外|cedict; light-emitting diode|发光二极管|cedict;
light emitting diode|发光二极管|cedict; leds|发光二极管|cedict; photolithography|光刻|cedict;
lithography|光刻|hand; semiconductor|半导体|cedict; chip|芯片|hand; chips|芯片|hand;
integrated circuit|集成电路|cedict; circuit|电路|hand; mosfet|场效应管|hand;
transistor|晶体管|cedict; power module|功率模块|hand; display|显示|hand;
photon counting|光子计数|hand; photon|光子|cedict; photoelectric|光电|cedict;
image sensor|图像传感器|hand; wireless|无线|hand; communication|通信|hand; antenna|天线|cedict;
signal|信号|cedict; 5g|5g|hand; internet of things|物联网|cedict;
artificial intelligence|人工智能|cedict; machine learning|机器学习|hand;
deep learning|深度学习|cedict; neural network|神经网络|cedict; neural networks|神经网络|cedict;
convolutional|卷积|hand; algorithm|算法|cedict; algorithms|算法|cedict; model|模型|hand;
prediction|预测|hand; predictive|预测|hand; classification|分类|hand; recognition|识别|hand;
image recognition|图像识别|hand; computer vision|机器视觉|hand; machine vision|机器视觉|hand;
vision|视觉|hand; image|图像|hand; images|图像|hand; video|视频|cedict; text|文本|cedict;
sentiment analysis|情感分析|cedict; sentiment|情感|hand; emotion|情感|hand;
natural language|自然语言|cedict; knowledge graph|知识图谱|hand; big data|大数据|cedict;
data|数据|cedict; dataset|数据集|hand; cloud|云|hand; software|软件|hand; platform|平台|hand;
robot|机器人|cedict; robotics|机器人|hand; automation|自动化|cedict; control system|控制系统|hand;
control|控制|cedict; unmanned aerial vehicle|无人机|cedict; uav|无人机|hand; drone|无人机|cedict;
drones|无人机|cedict; aircraft|飞行器|hand; navigation|导航|cedict; positioning|定位|cedict;
autonomous driving|自动驾驶|hand; fault diagnosis|故障诊断|hand; fault|故障|hand;
diagnosis|诊断|hand; medical|医疗|hand; clinical|临床|cedict; patient|患者|cedict;
patients|患者|cedict; cancer|癌|hand; tumor|肿瘤|cedict; tumour|肿瘤|cedict; carcinoma|癌|hand;
esophageal|食管|hand; gastric|胃|hand; endoscopy|内镜|hand; endoscopic|内镜|hand;
pathology|病理|cedict; pathological|病理|hand; radiomics|影像组学|hand; ct|ct|hand;
mri|磁共振|hand; biomarker|生物标志物|hand; biomarkers|生物标志物|hand; antibody|抗体|cedict;
antigen|抗原|cedict; vaccine|疫苗|cedict; drug|药物|hand; drugs|药物|hand;
pharmaceutical|医药|cedict; traditional chinese medicine|中药|cedict; insulin|胰岛素|cedict;
diabetes|糖尿病|cedict; blood|血液|hand; plasma|血浆|hand; cfdna|游离dna|hand; dna|dna|hand;
gene|基因|cedict; genes|基因|cedict; sequencing|测序|hand; protein|蛋白|hand; peptide|多肽|hand;
cell culture|细胞培养|cedict; fermentation|发酵|hand; enzyme|酶|hand;
biotransformation|生物转化|hand; yeast|酵母|hand; lactobacillus|乳酸菌|hand;
probiotic|益生菌|hand; probiotics|益生菌|cedict; bacteria|细菌|hand; fungus|真菌|hand;
fungi|真菌|cedict; mycelia|菌丝体|hand; mushroom|菇|hand; edible fungus|食用菌|hand;
ginseng|人参|hand; ginsenoside|人参皂苷|hand; ginsenosides|人参皂苷|hand; saponin|皂苷|hand;
polysaccharide|多糖|cedict; polysaccharides|多糖|cedict; flavonoid|黄酮|hand;
antioxidant|抗氧化|hand; antioxidants|抗氧化|hand; extract|提取物|hand; food|食品|hand;
beverage|饮料|hand; beverages|饮料|hand; juice|果汁|hand; milk|乳|hand; dairy|乳制品|hand;
vinegar|醋|hand; kombucha|红茶菌|cedict; tea|茶|hand; grain|粮食|hand; rice|大米|hand;
corn|玉米|cedict; maize|玉米|cedict; soybean|大豆|cedict; wheat|小麦|cedict;
blueberry|蓝莓|cedict; garlic|大蒜|hand; fruit|水果|hand; vegetable|蔬菜|hand; meat|肉|hand;
chicken|鸡|hand; livestock|畜禽|hand; manure|粪污|hand; feed|饲料|hand; fertilizer|肥料|hand;
pesticide|农药|cedict; agricultural|农业|hand; agriculture|农业|cedict; crop|作物|cedict;
crops|作物|cedict; planting|种植|hand; seed|种子|hand; drying|干燥|hand; sterilization|杀菌|hand;
preservation|保鲜|hand; storage|储存|cedict; packaging|包装|cedict; tableware|餐具|cedict;
degradable|可降解|hand; biodegradable|可降解|hand; starch|淀粉|hand; pulp|浆|hand;
straw|秸秆|hand; biomass|生物质|hand; furfural|糠醛|cedict; levulinic acid|乙酰丙酸|hand;
alcohol|醇|hand; ethanol|乙醇|hand; methanol|甲醇|hand; solvent|溶剂|cedict; solvents|溶剂|cedict;
acid|酸|hand; salt|盐|hand; salts|盐|hand; sodium|钠|cedict; potassium|钾|cedict;
carbonate|碳酸酯|hand; dimethyl carbonate|碳酸二甲酯|hand; fluorinated|氟代|hand;
sulfonate|磺酸盐|hand; imide|亚胺|hand; amine|胺|hand; ester|酯|hand; oxide|氧化物|cedict;
hydroxide|氢氧化物|cedict; synthesis|合成|hand; synthesized|合成|hand; preparation|制备|hand;
prepared|制备|hand; purification|提纯|hand; purity|纯度|cedict; crystal|晶体|cedict;
crystallization|结晶|cedict; distillation|精馏|hand; reactor|反应器|hand; reactors|反应器|hand;
chemical|化工|hand; chemicals|化学品|hand; petrochemical|石油化工|hand;
fine chemical|精细化工|hand; high toughness|高韧性|hand; toughness|韧性|cedict;
strength|强度|hand; hardness|硬度|cedict; density|密度|cedict; viscosity|粘度|hand;
conductivity|导电性|cedict; stability|稳定性|cedict; efficiency|效率|cedict; yield|收率|hand;
cost|成本|hand; low cost|低成本|hand; environmentally friendly|环保|cedict; green|绿色|hand;
pollution|污染|hand; environmental|环境|hand; safety|安全|cedict; fire|火灾|hand;
explosion|爆炸|cedict; security|安全|hand
"""

GLOSSARY: dict[str, str] = {}
#: Where each hand entry comes from ("cedict" or "hand", see above).
GLOSSARY_SOURCES: dict[str, str] = {}
for _entry in _PAIRS.replace("\n", " ").split(";"):
    if _entry.strip():
        _english, _chinese, _source = (part.strip() for part in _entry.split("|"))
        GLOSSARY[_english] = _chinese
        GLOSSARY_SOURCES[_english] = _source
del _entry, _english, _chinese, _source
