"""Word pools and text builders for the synthetic benchmark site.

Everything here is driven by a caller-supplied `random.Random`, so the same seed always gives
the same text. The prose is meaningless but shaped like the real pages: Chinese sentences with
English model names, numbers, bold terms, inline math and full-width punctuation.
"""

from __future__ import annotations

import random


def _pool(text: str) -> tuple[str, ...]:
    """A word pool written as one '|'-separated string."""
    return tuple(text.split("|"))


SUBJECTS = _pool(
    "该模型|本研究|作者团队|这一方法|所提出的框架|深度学习模型|基线方法|多中心队列|回顾性分析|"
    "前瞻性验证|外部测试集|消融实验"
)
VERBS = _pool(
    "显著提升了|系统评估了|重新定义了|有效降低了|首次报告了|定量比较了|进一步验证了|同时建模了|"
    "自动提取了|稳健估计了"
)
OBJECTS = _pool(
    "生存预测的一致性指数|心脏运动特征的可解释性|影像组学表型的稳定性|多模态融合的收益|"
    "小样本场景下的泛化能力|不同扫描设备之间的域偏移|临床终点事件的风险分层|"
    "病理切片的弱监督标注成本|电子病历中的缺失值问题|模型校准曲线的偏差|分割边界的拓扑一致性|"
    "长期随访数据的删失处理"
)
CLAUSES = _pool(
    "在 UK Biobank 数据上|相较于传统 Cox 回归|在三家医院的独立队列中|借助 Transformer 编码器|"
    "结合注意力机制|通过五折交叉验证|在控制年龄和性别之后|使用 U-Net 作为骨干网络|"
    "在公开数据集 MIMIC-IV 上|引入自监督预训练后|采用 Bootstrap 置信区间"
)
TAILS = _pool(
    "结果具有统计学意义|这一点对临床部署尤为重要|但仍需前瞻性研究加以确认|"
    "作者认为这与数据质量密切相关|其代价是更高的计算开销|这为后续工作提供了基准|"
    "不过样本量相对有限|并且在亚组分析中保持一致"
)
BOLD_TERMS = _pool(
    "一致性指数|风险比|受试者工作特征曲线|Dice 系数|时间依赖 AUC|校准斜率|特征重要性|隐变量|"
    "注意力权重|对比学习"
)
INLINE_MATH = (
    r"$\hat{h}(t \mid x) = h_0(t)\exp(\beta^\top x)$",
    r"$C = P(\hat{r}_i > \hat{r}_j \mid T_i < T_j)$",
    r"$p < 0.05$",
    r"$\mathrm{Dice} = \frac{2|A \cap B|}{|A| + |B|}$",
    r"$\lambda = 10^{-4}$",
    r"$x_i \in \mathbb{R}^{d}$",
    r"$\sigma(z) = 1 / (1 + e^{-z})$",
    r"$\mathcal{L}_{\text{总}} = \mathcal{L}_{\text{Cox}} + \alpha \mathcal{L}_{\text{重建}}$",
)
DISPLAY_MATH = (
    "\\ell(\\beta) = \\sum_{i:\\delta_i = 1} \\left( \\beta^\\top x_i - "
    "\\log \\sum_{j \\in R(t_i)} \\exp(\\beta^\\top x_j) \\right)",
    "\\mathrm{AUC}(t) = P\\left(\\hat{r}_i > \\hat{r}_j \\mid T_i \\le t < T_j\\right)",
    "\\mathcal{L}_{\\text{Dice}} = 1 - \\frac{2 \\sum_k p_k g_k + \\epsilon}"
    "{\\sum_k p_k + \\sum_k g_k + \\epsilon}",
    "z = \\mathrm{softmax}\\left(\\frac{Q K^\\top}{\\sqrt{d_k}}\\right) V",
)

EN_ADJECTIVES = _pool(
    "Deep|Interpretable|Multimodal|Self-Supervised|Federated|Robust|Scalable|Weakly Supervised|"
    "Contrastive|Longitudinal|Bayesian|Graph-Based|Explainable|End-to-End|Uncertainty-Aware|"
    "Few-Shot|Generative|Hierarchical|Sparse|Attention-Guided"
)
EN_METHODS = _pool(
    "Transformers|Survival Networks|Motion Models|Autoencoders|Foundation Models|Cox Models|"
    "U-Nets|Diffusion Models|Graph Neural Networks|Random Forests|Vision-Language Models|"
    "Mixture Models|Gradient Boosting|Neural ODEs|Capsule Networks|Recurrent Networks"
)
EN_TASKS = _pool(
    "Survival Prediction|Risk Stratification|Lesion Segmentation|Biomarker Discovery|"
    "Early Diagnosis|Image Reconstruction|Outcome Prediction|Phenotype Clustering|"
    "Anomaly Detection|Report Generation|Treatment Response Prediction|Disease Subtyping"
)
EN_CONTEXTS = _pool(
    "Cardiac MRI|Chest X-Rays|Electronic Health Records|Whole-Slide Images|Population Cohorts|"
    "Multi-Omics Data|Retinal Fundus Images|Brain MRI|Wearable Sensor Data|Clinical Notes|"
    "Echocardiography|Liver CT"
)
ZH_FOCUS = _pool(
    "心脏运动|肿瘤生物标志物|影像分割|生存预测|风险分层|早期诊断|病理图像|多组学融合|眼底图像|"
    "脑影像|电子病历|可穿戴监测|报告生成|疾病分型"
)
ZH_METHOD = _pool(
    "深度学习|自监督学习|图神经网络|Transformer|扩散模型|对比学习|联邦学习|贝叶斯建模|可解释模型|"
    "基础模型|弱监督学习|多任务学习"
)
ZH_FRAME = _pool(
    "基于{m}的{f}研究|{m}在{f}中的应用|面向{f}的{m}方法|{f}：一种{m}框架|用{m}改进{f}|"
    "{f}的{m}新进展"
)
ZH_EVIDENCE = _pool(
    "来自 UK Biobank 的证据|多中心回顾性研究|前瞻性队列验证|公开数据集上的评测|"
    "一项随机对照试验的二次分析|基于 TCGA 的分析|真实世界数据研究|小样本场景下的探索|"
    "跨设备泛化研究|外部验证研究|MIMIC-IV 上的实验|系统综述与荟萃分析"
)
SURNAMES = _pool(
    "Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Smith|Johnson|Müller|Garcia|Kim|Tanaka|Rossi|Dubois|"
    "Nguyen|Patel|Okafor|Silva"
)
GIVEN = _pool("Wei|Fang|Jing|Lei|Min|Anna|David|Maria|James|Yuki|Luca|Sofia|Arjun|Chidi|Lucas|Hana")
VENUES = _pool(
    "Nature Medicine|Nature Machine Intelligence|The Lancet Digital Health|Radiology|"
    "Medical Image Analysis|MICCAI|NeurIPS|IEEE Transactions on Medical Imaging|"
    "npj Digital Medicine|JAMA Network Open|Circulation|Bioinformatics"
)
MODELS = _pool("Cox PH|DeepSurv|DeepHit|Random Survival Forest|本文方法|Transformer")
DATASETS = _pool("UK Biobank|MIMIC-IV|TCGA|CheXpert|ADNI|内部队列")


def sentence(rng: random.Random) -> str:
    """One Chinese sentence, sometimes with a bold term or inline math."""
    parts = [rng.choice(CLAUSES) + "，", rng.choice(SUBJECTS), rng.choice(VERBS)]
    obj = rng.choice(OBJECTS)
    roll = rng.random()
    if roll < 0.12:
        obj = f"**{rng.choice(BOLD_TERMS)}**（{obj}）"
    elif roll < 0.2:
        obj = f"{obj}，其中 {rng.choice(INLINE_MATH)}"
    parts.append(obj)
    if rng.random() < 0.6:
        parts.append("，" + rng.choice(TAILS))
    return "".join(parts) + "。"


def paragraph(rng: random.Random, min_sentences: int = 3, max_sentences: int = 6) -> str:
    return "".join(sentence(rng) for _ in range(rng.randint(min_sentences, max_sentences)))


def english_title(rng: random.Random) -> str:
    return (
        f"{rng.choice(EN_ADJECTIVES)} {rng.choice(EN_METHODS)} for "
        f"{rng.choice(EN_TASKS)} from {rng.choice(EN_CONTEXTS)}"
    )


def chinese_title(rng: random.Random) -> str:
    frame = rng.choice(ZH_FRAME)
    main = frame.format(m=rng.choice(ZH_METHOD), f=rng.choice(ZH_FOCUS))
    return f"{main}——{rng.choice(ZH_EVIDENCE)}"


def authors(rng: random.Random) -> list[str]:
    """One to six distinct author names."""
    count = rng.randint(1, 6)
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        if name not in names:
            names.append(name)
    return names


def results_table(rng: random.Random) -> str:
    rows = ["| 模型 | 数据集 | C-index | AUC |", "| --- | --- | ---: | ---: |"]
    for model in rng.sample(MODELS, 3):
        c_index = rng.uniform(0.62, 0.84)
        auc = rng.uniform(0.68, 0.93)
        rows.append(f"| {model} | {rng.choice(DATASETS)} | {c_index:.2f} | {auc:.2f} |")
    return "\n".join(rows)


def display_math(rng: random.Random) -> str:
    return f"$$\n{rng.choice(DISPLAY_MATH)}\n$$"


def code_block(rng: random.Random) -> str:
    if rng.random() < 0.25:
        # Dollar signs inside code must never be taken for math.
        return (
            "```bash\n"
            'echo "数据目录：$HOME/data，费用 $5"\n'
            "python train.py --epochs 50 --lr 1e-4\n"
            "```"
        )
    seed = rng.randint(0, 9999)
    return (
        "```python\n"
        "import numpy as np\n\n\n"
        "def concordance(risk: np.ndarray, time: np.ndarray) -> float:\n"
        '    """计算一致性指数（简化版，忽略删失）。"""\n'
        "    order = np.argsort(time)\n"
        "    pairs = [(i, j) for i in order for j in order if time[i] < time[j]]\n"
        "    return float(np.mean([risk[i] > risk[j] for i, j in pairs]))\n\n\n"
        f"rng = np.random.default_rng({seed})\n"
        'print(f"C-index = {concordance(rng.random(50), rng.random(50)):.3f}")\n'
        "```"
    )
