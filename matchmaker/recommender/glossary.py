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

# Abstracts in English meet Chinese listings through this table: each English phrase found in a
# text also emits the Chinese term's features. Lower case; plural forms are listed where common.
_PAIRS = """
lithium-ion battery|锂离子电池; lithium ion battery|锂离子电池; lithium-ion batteries|锂离子电池;
lithium ion batteries|锂离子电池; lithium battery|锂电池; lithium batteries|锂电池; lithium|锂;
lithium iron phosphate|磷酸铁锂; lifepo4|磷酸铁锂; lithium manganese iron phosphate|磷酸锰铁锂;
battery|电池; batteries|电池; anode|负极; negative electrode|负极;
cathode|正极; positive electrode|正极; electrode|电极; electrodes|电极; electrolyte|电解液;
electrolytes|电解液; separator|隔膜; silicon-carbon|硅碳; silicon carbon|硅碳; silicon|硅;
graphite|石墨; graphene|石墨烯; carbon|碳; carbon fiber|碳纤维; carbon fibre|碳纤维;
carbon fibers|碳纤维; composite|复合材料; composites|复合材料; composite material|复合材料;
prepreg|预浸料; resin|树脂; epoxy|环氧树脂; polymer|聚合物; polymerization|聚合;
copolymer|共聚物; polyethylene|聚乙烯; polypropylene|聚丙烯; propylene|丙烯; ethylene|乙烯;
olefin|烯烃; olefins|烯烃; polyolefin|聚烯烃; oligomerization|齐聚; rubber|橡胶;
plasticizer|增塑剂; hose|软管; coating|涂层; coated|包覆; film|薄膜; membrane|膜;
fast charging|快充; charging|充电; discharge|放电; capacity|容量; cycle life|循环寿命;
cycling|循环; energy storage|储能; supercapacitor|超级电容器; supercapacitors|超级电容器;
capacitor|电容器; fuel cell|燃料电池; hydrogen|氢; hydrogenation|加氢; hydrogen production|制氢;
solar|太阳能; photovoltaic|光伏; wafer|硅片; wafers|硅片; multicrystalline|多晶;
wind power|风电; wind turbine|风机; power grid|电网; inverter|逆变器; motor|电机;
electric vehicle|电动汽车; electric vehicles|电动汽车; new energy vehicle|新能源汽车;
vehicle|车辆; vehicles|车辆; automobile|汽车; automotive|汽车; car|汽车; chassis|底盘;
steering|转向; brake|制动; braking|制动; suspension|悬架; damping|阻尼; shock absorber|减震器;
wheel|车轮; tire|轮胎; engine|发动机; gearbox|变速箱; transmission|变速器; bearing|轴承;
lightweight|轻量化; welding|焊接; casting|铸造; forging|锻造; machining|加工; mold|模具;
mould|模具; molding|成型; injection molding|注塑; stamping|冲压; cutting tool|刀具;
diamond|金刚石; cubic boron nitride|立方氮化硼; boron nitride|氮化硼; nitride|氮化物;
single crystal|单晶; hexagonal|六方; cubic|立方; hpht|高温高压; high temperature|高温;
high pressure|高压; low temperature|低温; steel|钢; stainless steel|不锈钢; iron|铁;
metallurgy|冶金; smelting|冶炼; smelter|冶炼; slag|炉渣; blast furnace|高炉; converter|转炉;
refractory|耐火材料; refractories|耐火材料; castable|浇注料; castables|浇注料; kiln|窑;
kilns|窑; cement|水泥; concrete|混凝土; asphalt|沥青; gypsum|石膏; phosphogypsum|磷石膏;
bauxite|铝土矿; alumina|氧化铝; aluminum|铝; aluminium|铝; copper|铜; nickel|镍; cobalt|钴;
manganese|锰; titanium|钛; magnesium|镁; zinc|锌; rare earth|稀土; rare earths|稀土;
scandium|钪; neodymium|钕; cerium|铈; ceria|氧化铈; lanthanum|镧; alloy|合金; alloys|合金;
powder|粉末; powders|粉体; particle|颗粒; particles|颗粒; nanoparticle|纳米颗粒; nano|纳米;
corrosion|腐蚀; anticorrosion|防腐; wear|磨损; wear-resistant|耐磨; lubricant|润滑油;
lubricants|润滑油; lubricating oil|润滑油; additive|添加剂; additives|添加剂; catalyst|催化剂;
catalysts|催化剂; catalytic|催化; catalysis|催化; oxidation|氧化; reduction|还原;
adsorption|吸附; adsorbent|吸附剂; extraction|提取; leaching|浸出; flotation|浮选;
calcination|煅烧; pyrolysis|热解; carbonization|碳化; coking|焦化; coke|焦炭; coal|煤;
coal gangue|煤矸石; gangue|煤矸石; fly ash|粉煤灰; wastewater|废水; waste water|废水;
sewage|污水; effluent|废水; waste|废弃物; solid waste|固废; hazardous waste|危险废物;
sludge|污泥; incineration|焚烧; recycling|回收; recovery|回收; desulfurization|脱硫;
denitrification|脱硝; flue gas|烟气; dust|粉尘; emission|排放; emissions|排放; ozone|臭氧;
ozonation|臭氧氧化; fenton|芬顿; advanced oxidation|高级氧化; biofilm|生物膜;
ammonia|氨; nitrogen|氮; phosphorus|磷; sulfur|硫; chlorine|氯; fluorine|氟; heavy metal|重金属;
heat exchanger|换热器; heat dissipation|散热; heat transfer|传热; thermal|热;
energy saving|节能; energy consumption|能耗; boiler|锅炉; compressor|压缩机; pump|泵;
valve|阀门; pipeline|管道; pressure|压力; sensor|传感器; sensors|传感器; detection|检测;
detector|探测器; monitoring|监测; measurement|测量; testing|检测; inspection|检测;
nondestructive testing|无损检测; ground penetrating radar|探地雷达; radar|雷达; lidar|激光雷达;
laser|激光; lens|透镜; optical|光学; optics|光学; infrared|红外; ultraviolet|紫外;
light-emitting diode|发光二极管; light emitting diode|发光二极管; leds|发光二极管;
photolithography|光刻; lithography|光刻; semiconductor|半导体; chip|芯片; chips|芯片;
integrated circuit|集成电路; circuit|电路; mosfet|场效应管; transistor|晶体管;
power module|功率模块;
display|显示; photon counting|光子计数; photon|光子; photoelectric|光电; image sensor|图像传感器;
wireless|无线; communication|通信; antenna|天线; signal|信号; 5g|5g; internet of things|物联网;
artificial intelligence|人工智能; machine learning|机器学习; deep learning|深度学习;
neural network|神经网络; neural networks|神经网络; convolutional|卷积;
algorithm|算法; algorithms|算法; model|模型; prediction|预测; predictive|预测;
classification|分类; recognition|识别; image recognition|图像识别; computer vision|机器视觉;
machine vision|机器视觉; vision|视觉; image|图像; images|图像; video|视频; text|文本;
sentiment analysis|情感分析; sentiment|情感; emotion|情感; natural language|自然语言;
knowledge graph|知识图谱; big data|大数据; data|数据; dataset|数据集; cloud|云;
software|软件; platform|平台; robot|机器人; robotics|机器人; automation|自动化;
control system|控制系统; control|控制; unmanned aerial vehicle|无人机; uav|无人机; drone|无人机;
drones|无人机; aircraft|飞行器; navigation|导航; positioning|定位; autonomous driving|自动驾驶;
fault diagnosis|故障诊断; fault|故障; diagnosis|诊断; medical|医疗; clinical|临床;
patient|患者; patients|患者; cancer|癌; tumor|肿瘤; tumour|肿瘤; carcinoma|癌;
esophageal|食管; gastric|胃; endoscopy|内镜; endoscopic|内镜; pathology|病理;
pathological|病理; radiomics|影像组学; ct|ct; mri|磁共振; biomarker|生物标志物;
biomarkers|生物标志物; antibody|抗体; antigen|抗原; vaccine|疫苗; drug|药物; drugs|药物;
pharmaceutical|医药; traditional chinese medicine|中药; insulin|胰岛素; diabetes|糖尿病;
blood|血液; plasma|血浆; cfdna|游离dna; dna|dna; gene|基因; genes|基因; sequencing|测序;
protein|蛋白; peptide|多肽; cell culture|细胞培养; fermentation|发酵; enzyme|酶;
biotransformation|生物转化; yeast|酵母; lactobacillus|乳酸菌; probiotic|益生菌;
probiotics|益生菌; bacteria|细菌; fungus|真菌; fungi|真菌; mycelia|菌丝体; mushroom|菇;
edible fungus|食用菌; ginseng|人参; ginsenoside|人参皂苷; ginsenosides|人参皂苷;
saponin|皂苷; polysaccharide|多糖; polysaccharides|多糖; flavonoid|黄酮; antioxidant|抗氧化;
antioxidants|抗氧化; extract|提取物; food|食品; beverage|饮料; beverages|饮料; juice|果汁;
milk|乳; dairy|乳制品; vinegar|醋; kombucha|红茶菌; tea|茶; grain|粮食; rice|大米; corn|玉米;
maize|玉米; soybean|大豆; wheat|小麦; blueberry|蓝莓; garlic|大蒜; fruit|水果; vegetable|蔬菜;
meat|肉; chicken|鸡; livestock|畜禽; manure|粪污; feed|饲料; fertilizer|肥料; pesticide|农药;
agricultural|农业; agriculture|农业; crop|作物; crops|作物; planting|种植; seed|种子;
drying|干燥; sterilization|杀菌; preservation|保鲜; storage|储存; packaging|包装;
tableware|餐具; degradable|可降解; biodegradable|可降解; starch|淀粉; pulp|浆; straw|秸秆;
biomass|生物质; furfural|糠醛; levulinic acid|乙酰丙酸; alcohol|醇; ethanol|乙醇;
methanol|甲醇; solvent|溶剂; solvents|溶剂; acid|酸; salt|盐; salts|盐; sodium|钠;
potassium|钾; carbonate|碳酸酯; dimethyl carbonate|碳酸二甲酯; fluorinated|氟代;
sulfonate|磺酸盐; imide|亚胺; amine|胺; ester|酯; oxide|氧化物; hydroxide|氢氧化物;
synthesis|合成; synthesized|合成; preparation|制备; prepared|制备; purification|提纯;
purity|纯度; crystal|晶体; crystallization|结晶; distillation|精馏; reactor|反应器;
reactors|反应器; chemical|化工; chemicals|化学品; petrochemical|石油化工; fine chemical|精细化工;
high toughness|高韧性; toughness|韧性; strength|强度; hardness|硬度; density|密度;
viscosity|粘度; conductivity|导电性; stability|稳定性; efficiency|效率; yield|收率;
cost|成本; low cost|低成本; environmentally friendly|环保; green|绿色; pollution|污染;
environmental|环境; safety|安全; fire|火灾; explosion|爆炸; security|安全
"""

GLOSSARY: dict[str, str] = {}
for _pair in _PAIRS.replace("\n", " ").split(";"):
    if _pair.strip():
        _english, _, _chinese = _pair.strip().partition("|")
        GLOSSARY[_english.strip()] = _chinese.strip()
del _pair, _english, _chinese
