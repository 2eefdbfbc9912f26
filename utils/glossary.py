"""The course's English–Chinese glossary, kept in one place: 00 shows it, and the Chinese edition follows it.

Each term has the Chinese form this course uses and, where the Chinese edition of *Dive into Deep Learning*
(《动手学深度学习》, zh.d2l.ai) uses another, that one too, so a learner recognises both.  The third column holds
d2l-zh's form only (checked against zh.d2l.ai), never another variant.

Public: TERMS, markdown_table, chinese_for.
"""

from utils import validation as check

# (English, this course's Chinese, the form zh.d2l.ai writes where it differs or "", notebooks where the term matters)
TERMS = (
    ("activation function", "激活函数", "", "01"),
    ("nonlinearity", "非线性", "", "01"),
    ("pre-activation (the input of an activation, z = Wx + b)", "预激活（仿射输出）", "", "01, 03, 05"),
    ("saturation", "饱和", "", "01"),
    ("vanishing / exploding gradients", "梯度消失 / 梯度爆炸", "", "01, 03, 08"),
    ("back-propagation", "反向传播", "", "01"),
    ("rectified linear unit (ReLU), Leaky ReLU", "修正线性单元，带泄露修正线性单元", "", "01, 05"),
    ("cross-entropy loss", "交叉熵损失", "", "01, 03"),
    ("zero-centred data", "零中心化数据", "", "02"),
    ("data preprocessing", "数据预处理", "", "02"),
    ("standardisation (z-score)", "标准化", "", "02"),
    ("whitening, PCA", "白化，主成分分析", "", "02"),
    ("orthant (the n-dimensional quadrant: every sign fixed)", "卦限", "", "02"),
    ("condition number; ill-conditioned", "条件数；病态", "", "02, 09"),
    ("curvature; Hessian", "曲率；黑塞矩阵", "Hessian矩阵", "02, 09"),
    ("gradient descent, learning rate", "梯度下降，学习率", "", "02, 05, 09"),
    ("weight initialisation", "权重初始化", "", "03"),
    ("fan-in / fan-out", "扇入 / 扇出", "", "03"),
    ("gain (of an initialisation)", "增益", "", "03"),
    ("Xavier / Glorot initialisation", "Xavier（Glorot）初始化", "", "03"),
    ("Kaiming / He initialisation", "Kaiming（何恺明）初始化", "", "03"),
    ("symmetry breaking", "打破对称性", "", "03"),
    ("batch normalisation", "批量归一化", "批量规范化", "04"),
    ("layer / instance / group normalisation", "层归一化 / 实例归一化 / 组归一化", "层规范化", "04"),
    ("internal covariate shift", "内部协变量偏移", "", "04"),
    ("mini-batch", "小批量", "", "04, 09"),
    ("running mean / running variance", "滑动均值 / 滑动方差", "移动平均", "04"),
    ("dead ReLU (dying ReLU)", "死亡 ReLU（神经元死亡）", "", "05"),
    ("sparsity", "稀疏性", "", "01, 05"),
    ("overfitting / underfitting", "过拟合 / 欠拟合", "", "06"),
    ("generalisation", "泛化", "", "06"),
    ("regularisation", "正则化", "", "06"),
    ("weight decay (L2), L1 penalty", "权重衰减（L2），L1 正则", "", "06"),
    ("dropout", "丢弃法（随机失活）", "暂退法", "06"),
    ("data augmentation", "数据增强", "图像增广", "06"),
    ("early stopping", "早停", "", "06"),
    ("training / validation / test set", "训练集 / 验证集 / 测试集", "", "all"),
    ("convolution; kernel (filter)", "卷积；卷积核（滤波器）", "", "07"),
    ("stride, padding, dilation", "步幅，填充，空洞（膨胀）", "", "07"),
    ("channel; feature map", "通道；特征图", "特征映射", "07"),
    ("receptive field", "感受野", "", "07, 08"),
    ("pooling (max / average)", "池化（最大 / 平均）", "汇聚", "07"),
    ("parameter sharing, local connectivity", "参数共享，局部连接", "", "07"),
    ("equivariance / invariance", "等变性 / 不变性", "", "07"),
    ("1×1 convolution, bottleneck", "1×1 卷积，瓶颈", "", "07, 08"),
    ("fine-tuning, transfer learning", "微调，迁移学习", "", "07"),
    ("residual connection (shortcut)", "残差连接（捷径连接）", "", "08"),
    ("identity mapping", "恒等映射", "", "08"),
    ("degradation problem", "退化问题", "", "08"),
    ("dense connection, growth rate", "稠密连接，增长率", "", "08"),
    ("convex function; local minimum; saddle point", "凸函数；局部极小值；鞍点", "局部最小值", "09"),
    ("stochastic gradient descent (SGD)", "随机梯度下降", "", "09"),
    ("momentum", "动量", "动量法", "09"),
    ("adaptive learning rate (AdaGrad, RMSProp, Adam)", "自适应学习率", "", "09"),
    ("learning-rate schedule; warm-up", "学习率调度；预热", "学习率调度器", "09"),
)


_HEADERS = {"en": "| English | 中文 (this course) | d2l-zh, where it differs | where |",
           "zh": "| 英文 | 中文（本课程用词） | 《动手学深度学习》中文版的写法（不同时） | 所在讲次 |"}


def markdown_table(lang="en"):
    """The glossary as a Markdown table (what 00 shows; lang="zh": with the Chinese header, as the twin shows it)."""
    check.one_of("lang", lang, list(_HEADERS))
    lines = [_HEADERS[lang], "|---|---|---|---|"]
    lines += [f"| {en} | {zh} | {alt} | {where if lang == 'en' else where.replace('all', '全部')} |"
              for en, zh, alt, where in TERMS]
    return "\n".join(lines)


def chinese_for(english):
    """The course's Chinese for an English term (as written in TERMS' first column)."""
    if not isinstance(english, str):
        raise TypeError(f"english must be a term (a string), got {english!r}")
    found = [zh for en, zh, _, _ in TERMS if en == english]
    if not found:
        check.one_of("english", english, [en for en, _, _, _ in TERMS])
    return found[0]


__all__ = ["TERMS", "markdown_table", "chinese_for"]
