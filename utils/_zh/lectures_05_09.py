"""The Chinese of the course's interactive text, part 2: lectures 05–09 (utils/zh.py merges the tables and translates).

Keys are the English strings exactly as the code writes them; `{0}`, `{1}`, … stand for the values the code
fills in, and the Chinese places them where Chinese grammar wants them.  Terms follow 《动手学深度学习》
(zh.d2l.ai) and utils/glossary.py.
"""

TEXT = {
    # --- 05 dead ReLU (utils/dead_relu) ------------------------------------------------------------------------
    "The net of section 1 is trained for {0} steps at learning rate {1}. What share of the units of its SECOND "
    "hidden layer end up dead?":
        "第 1 节的网络以学习率 {1} 训练 {0} 步。它的第二个隐藏层中，最终有多大比例的单元死亡？",
    "under 10 %": "不到 10 %",
    "10 % to 50 %": "10 % 到 50 %",
    "over 50 %": "超过 50 %",
    "Large steps push whole units to the silent side. In most seeds the second layer loses more than the first: its "
    "inputs are the first layer's outputs, which move during training, and many of them are zero.":
        "大步长会把整个单元推到沉默的一侧。在大多数种子下，第二层损失的单元比第一层多：它的输入是第一层的输出，"
        "这些输出在训练中不断变化，而且其中很多是零。",
    "A ReLU net with 10 hidden layers of width 2 gets He-normal weights and zero biases. How often is it born dead "
    "(some layer outputs zero for every input, so the output is constant)?":
        "一个有 10 个隐藏层、每层宽度为 2 的 ReLU 网络，用 He 正态初始化权重，偏置为零。"
        "它有多大概率生来就是死的（某一层对每个输入都输出零，于是网络输出是常数）？",
    "Each layer of two units has a fair chance that both units are silent on every input; one such layer is enough, "
    "and with ten layers the chances add up.":
        "每个两单元的层都有不小的概率出现两个单元对所有输入都沉默的情况；只要有一个这样的层就够了，十层下来，"
        "概率就累积起来了。",
    "PReLU passes gradient on both sides, like Leaky ReLU, so its units cannot die. At learning rate {0}, in how "
    "many of the {1} seeds does training with PReLU diverge?":
        "PReLU 和 Leaky ReLU 一样在两侧都传递梯度，所以它的单元不会死亡。在学习率 {0} 下，{1} 个种子中有多少个用 "
        "PReLU 训练会发散？",
    "none": "一个也没有",
    "some": "一部分",
    "all {0}": "全部 {0} 个",
    "PReLU's slopes are learned with the same large rate. They drift far from 0.25, some become negative or larger "
    "than 1, and the outputs blow up (section 5 measures it).":
        "PReLU 的斜率也用同样大的学习率来学习。它们远远偏离 0.25，有的变成负数或大于 1，输出随之爆炸（第 5 节有测量）"
        "。",
    "The net killed by the large learning rate is trained 200 more steps at a gentle rate (0.1), with plain ReLU. "
    "How many of its dead units come back?":
        "被大学习率“杀死”的网络再用温和的学习率（0.1）和普通 ReLU 训练 200 步。它的死亡单元有多少能复活？",
    "none or almost none": "没有或几乎没有",
    "about half": "大约一半",
    "almost all": "几乎全部",
    "A dead unit's gradient is exactly zero, so no optimiser step moves its incoming weights; a second-layer unit "
    "can only come back if the first layer's outputs move enough, which is rare.":
        "死亡单元的梯度恰好为零，所以优化器的任何一步都不会改变它的输入权重；"
        "第二层的单元只有在第一层的输出变化足够大时才能复活，而这很少发生。",
    "a unit that is <= 0 at SOME points is sparse, not dead: dead means w·x + b <= 0 at EVERY point":
        "在某些点上 <= 0 的单元只是稀疏，并没有死亡：死亡是指在每个点上都有 w·x + b <= 0",
    "include the bias: the pre-activation is w·x + b": "别忘了偏置：预激活是 w·x + b",
    "a negative bias alone does not kill a unit: check w·x + b at every point":
        "仅有负偏置并不会让单元死亡：请在每个点上检查 w·x + b",
    "for each unit compute w·x + b at all four points; it is dead only if none of the four values is > 0":
        "对每个单元，在全部四个点上计算 w·x + b；只有四个值都不 > 0 时它才是死的",
    "{0} is not right: {1}": "{0} 不对：{1}",
    "replace None with your count (a whole number from 0 to 4)": "请把 None 换成你数出的个数（0 到 4 之间的整数）",
    "Correct: {0} of the 4 units never fire on these points.": "正确：4 个单元中有 {0} 个在这些点上从不激活。",
    "answer with a whole number of units (0 to 4), got {0}": "请用单元个数（0 到 4 之间的整数）作答，收到的是 {0}",
    "units {0} are misclassified (dead means pre <= 0 for EVERY example)":
        "单元 {0} 判断错了（死亡是指对每个样本都有 pre <= 0）",
    "Correct: a unit is dead when pre <= 0 for every example.":
        "正确：当一个单元对每个样本都有 pre <= 0 时，它就死亡了。",
    "you marked units that are <= 0 on SOME examples; dead means <= 0 on EVERY example (.all(dim=0), not .any)":
        "你标记的是在某些样本上 <= 0 的单元；死亡是指在每个样本上都 <= 0（用 .all(dim=0)，而不是 .any）",
    "units {0} are misclassified: a pre-activation of exactly 0 does not fire either (use <= 0, not < 0)":
        "单元 {0} 判断错了：预激活恰好为 0 时同样不激活（用 <= 0，而不是 < 0）",
    "pass your function itself (my_dead_mask, without brackets), got {0}":
        "请传入函数本身（my_dead_mask，不加括号），收到的是 {0}",
    "return a tensor of shape (12,) for pre of shape (50, 12), got {0}":
        "对形状为 (50, 12) 的 pre，请返回形状为 (12,) 的张量，收到的是 {0}",
    "too small: some point still has w·x + b > 0": "太小了：仍有某个点满足 w·x + b > 0",
    "larger than needed: the unit is already dead at a smaller rate": "比需要的大：更小的学习率就已经让这个单元死亡了",
    "{0} is too small: some point still has w·x + b > 0": "{0} 太小了：仍有某个点满足 w·x + b > 0",
    "{0} is larger than needed: the unit is already dead at a smaller rate":
        "{0} 比需要的大：更小的学习率就已经让这个单元死亡了",
    "replace None with your learning rate (a number)": "请把 None 换成你的学习率（一个数）",
    "Correct: from lr = {0} on, the unit is <= 0 at every point: dead.":
        "正确：从 lr = {0} 起，这个单元在每个点上都 <= 0：死亡。",
    "that switches the unit off at the point where it fired most, but it still fires elsewhere: it is dead only when "
    "w·x + b <= 0 at EVERY point":
        "这会让单元在它激活最强的那个点上关闭，但它在别处仍会激活：只有在每个点上都有 w·x + b <= 0 时它才死亡",
    "that is where the FIRST point stops firing; the unit is dead only when the LAST one does":
        "这是第一个点停止激活的地方；只有当最后一个点也停止激活时，单元才死亡",
    "the weights move too, not only the bias: each point's w·x + b falls by lr · (grad_w·x + grad_b)":
        "不只是偏置，权重也在变：每个点的 w·x + b 下降 lr · (grad_w·x + grad_b)",
    "the bias moves too: each point's w·x + b falls by lr · (grad_w·x + grad_b)":
        "偏置也在变：每个点的 w·x + b 下降 lr · (grad_w·x + grad_b)",
    "answer with a learning rate (a number), got {0}": "请用学习率（一个数）作答，收到的是 {0}",
    "{0} is not it: {1}": "不是 {0}：{1}",

    # --- 06 regularisation (utils/regularization) --------------------------------------------------------------
    "Without a penalty, you fit polynomials of degree 0, 1, …, 19 to the same 20 noisy points. As the degree grows, "
    "what does the error on 200 new points do?":
        "不加惩罚项，用 0、1、……、19 次多项式拟合同样的 20 个带噪声的点。随着次数升高，在 200 个新点上的误差会怎样？",
    "keeps falling": "一直下降",
    "falls, then levels off": "先下降，再趋于平稳",
    "falls, then rises sharply": "先下降，再急剧上升",
    "A low degree cannot follow the curve; a high one has enough freedom to follow the noise between the training "
    "points too. Its training error keeps falling, but its error on new points grows by orders of magnitude.":
        "次数低时跟不上曲线；次数高时，它的自由度大到连训练点之间的噪声也能跟上。它的训练误差一直下降，"
        "在新点上的误差却增长了几个数量级。",
    "Adam with the L2 penalty λ = 0.03 in the loss leaves much smaller weights than no penalty. AdamW with the same "
    "λ = 0.03 (learning rate 0.003, 300 steps): by how much does it shrink the final weight norm, compared with no "
    "decay?":
        "在损失中加入 L2 惩罚 λ = 0.03 的 Adam，得到的权重比不加惩罚时小得多。AdamW 用同样的 λ = 0.03（学习率 0.003，"
        "300 步）：与不做衰减相比，它让最终的权重范数缩小了多少？",
    "to almost nothing": "缩小到几乎为零",
    "by about half": "大约一半",
    "by less than 10 %": "不到 10 %",
    "AdamW multiplies the weights by (1 − ηλ) = {0} per step, so 300 steps shrink them by at most a factor (1 − "
    "ηλ)^300 = {1}. The L2 gradient λw inside Adam is divided by √v, the running size of the gradient; once the data "
    "gradient is small, that step is about η whatever λ is, so the pull to zero is much stronger.":
        "AdamW 每一步把权重乘以 (1 − ηλ) = {0}，所以 300 步至多让它们缩小为 (1 − ηλ)^300 = {1} 倍。而在 Adam 内部，"
        "L2 梯度 λw 要除以 √v，即梯度大小的滑动平均；一旦数据的梯度变小，这一步就约为 η，与 λ 无关，"
        "所以把权重拉向零的力量要强得多。",
    "The net trained with Adam and the L1 penalty λ = 0.001: what fraction of its weights is exactly 0?":
        "用 Adam 和 L1 惩罚 λ = 0.001 训练的网络：它的权重中有多大比例恰好为 0？",
    "more than half": "超过一半",
    "a few percent": "百分之几",
    "none at all": "一个也没有",
    "The penalty's gradient is λ·sign(w), a push of fixed size towards 0. A step that crosses 0 lands on the other "
    "side, and the next step pushes back: the weight jitters around 0 but never lands on it. Exact zeros need the "
    "proximal step (soft thresholding), which sets every weight that would cross 0 to 0.":
        "惩罚项的梯度是 λ·sign(w)，一个朝向 0、大小固定的推力。越过 0 的一步会落到另一侧，下一步又把它推回来：权重在 "
        "0 附近来回抖动，却永远落不到 0 上。要得到精确的零，需要近端步（软阈值），它把每个将要越过 0 的权重直接置为 "
        "0。",
    "Which scores higher on the clean test images: the net with dropout + augmentation + early stopping trained on "
    "100 images, or the same net without any regulariser trained on 800 images (both with 20 % wrong labels)?":
        "在干净的测试图像上，哪个得分更高：用丢弃法 + 数据增强 + 早停、在 100 张图像上训练的网络，"
        "还是不加任何正则化、在 800 张图像上训练的同一个网络（两者都有 20 % 的错误标签）？",
    "the regularised net with 100 images": "用 100 张图像、加了正则化的网络",
    "the plain net with 800 images": "用 800 张图像、不加正则化的网络",
    "it depends on the seed": "取决于随机种子",
    "Without a regulariser the net memorises every wrong label of its 800 images as readily as of 100, and pays for "
    "it on new images; the combination stops before the wrong labels are learned and sees each image in several "
    "shifted versions.":
        "没有正则化时，网络记住 800 张图像中的每个错误标签，和记住 100 张中的一样容易，并在新图像上为此付出代价；"
        "而组合方案在学会错误标签之前就停了下来，并且每张图像都以几种平移后的版本出现。",
    "fill in `my_answer` with four numbers first": "请先在 `my_answer` 中填入四个数",
    "your soft-thresholded vector": "你的软阈值向量",
    "write four numbers, got {0}": "请写出四个数，收到的是 {0}",
    "that is L2's proportional shrinkage z / (1 + λ); L1 subtracts λ from |z| instead":
        "这是 L2 的按比例收缩 z / (1 + λ)；L1 则是从 |z| 中减去 λ",
    "you subtracted λ from every |z|, also where |z| < λ: those must stop at 0":
        "你从每个 |z| 中都减去了 λ，包括 |z| < λ 的地方：那些应当停在 0",
    "negative z must shrink towards 0 too: keep the sign, shrink |z|": "负的 z 也必须向 0 收缩：保留符号，缩小 |z|",
    "Correct: {0} dropped, kept values x / (1 − p), mean {1} vs {2} before.":
        "正确：丢弃了 {0}，保留的值为 x / (1 − p)，均值为 {1}，丢弃前为 {2}。",
    "pass your function itself (my_dropout, without brackets), got {0}":
        "请传入函数本身（my_dropout，不加括号），收到的是 {0}",
    "return one tensor of the same shape as x (not a tuple, not the mask)":
        "请返回一个与 x 形状相同的张量（不是元组，也不是掩码）",
    "your function returns x unchanged: in training, drop each element with probability p":
        "你的函数原样返回了 x：训练时要以概率 p 丢弃每个元素",
    "two calls with identically seeded generators gave different masks: draw the random numbers from `generator` "
    "(F.dropout and torch.rand without generator= use the global generator)":
        "用相同种子的生成器调用两次，得到了不同的掩码：请从 `generator` 抽取随机数（F.dropout 和不带 generator= 的 "
        "torch.rand 用的是全局生成器）",
    "the same elements are dropped whatever the generator's seed: the mask must be random, drawn from `generator`":
        "无论生成器的种子是什么，丢弃的都是同样的元素：掩码必须是随机的，从 `generator` 中抽取",
    "{0} of the elements were dropped, about 1 − p: p is the probability of dropping (CS231n's p is the probability "
    "of keeping)":
        "丢弃了 {0} 的元素，约为 1 − p：p 是丢弃的概率（CS231n 中的 p 是保留的概率）",
    "{0} of the elements were dropped; expected about p = {1}": "丢弃了 {0} 的元素；应约为 p = {1}",
    "the kept values do not depend on x: multiply the input by the mask, do not return the mask itself":
        "保留的值与 x 无关：请把输入乘以掩码，而不是返回掩码本身",
    "the kept elements are not scaled: divide them by 1 − p = {0}, so the mean is unchanged":
        "保留的元素没有缩放：请把它们除以 1 − p = {0}，使均值不变",
    "you multiplied the kept elements by 1 − p; inverted dropout divides by 1 − p":
        "你把保留的元素乘以了 1 − p；反向丢弃法（inverted dropout）是除以 1 − p",
    "kept elements should equal x / (1 − p) = x × {0}; yours are x × {1} (median)":
        "保留的元素应等于 x / (1 − p) = x × {0}；你的是 x × {1}（中位数）",
    "your mask is not the one drawn from `generator`: draw u = torch.rand(x.shape, generator=generator) once and "
    "keep the elements where u >= p":
        "你的掩码不是从 `generator` 抽取的：请抽取一次 u = torch.rand(x.shape, generator=generator)，保留 u >= p "
        "的元素",
    "Correct: right best step and stopping step on every test sequence.":
        "正确：在每个测试序列上，最佳步和停止步都对。",
    "pass your function itself (my_early_stopping, without brackets), got {0}":
        "请传入函数本身（my_early_stopping，不加括号），收到的是 {0}",
    "on losses {0} with patience {1} you returned {2}, expected {3}":
        "对损失序列 {0}、耐心值 {1}，你返回的是 {2}，应为 {3}",
    "return two numbers (best_index, stop_index); {0}": "请返回两个数（best_index, stop_index）；{0}",
    "you keep the weights of the step where training stopped; keep those of the best validation loss: {0}":
        "你保留的是训练停止那一步的权重；应当保留验证损失最好的那一步的：{0}",
    "you stop one evaluation too late: stop at the patience-th evaluation in a row without a new best":
        "你晚停了一次评估：在连续第 patience 次评估都没有出现新的最好值时就停止",
    "no reset": "没有重置",
    "reset the count of evaluations without improvement when a new best appears":
        "出现新的最好值时，要把“没有改进的评估次数”清零",
    "a loss equal to the best so far is not an improvement": "与目前最好值相等的损失不算改进",
    "your training never stops early: {0}": "你的训练从不提前停止：{0}",
    "on losses {0} with patience {1} your function failed ({2}: {3}); return two whole numbers (best, stop)":
        "对损失序列 {0}、耐心值 {1}，你的函数出错了（{2}：{3}）；请返回两个整数（best, stop）",
    "with λ = {0} the weight ends at {1} of its start, not 0.5": "λ = {0} 时，权重最终是初始值的 {1}，而不是 0.5",
    "replace the placeholder with your λ, then run this cell again": "请把占位符换成你的 λ，再运行这个单元格",
    "write λ as one number, got {0}": "请把 λ 写成一个数，收到的是 {0}",
    "Correct: λ ≈ {0}, so (1 − ηλ)^{1} = {2}.": "正确：λ ≈ {0}，所以 (1 − ηλ)^{1} = {2}。",
    "the decay compounds: the weight is multiplied by (1 − ηλ) at every step, so after T steps by (1 − ηλ)^T, not by "
    "1 − Tηλ":
        "衰减是复合的：每一步权重都乘以 (1 − ηλ)，所以 T 步之后乘的是 (1 − ηλ)^T，而不是 1 − Tηλ",
    "that is ηλ, the shrink per step; divide by the learning rate η": "这是 ηλ，即每一步的收缩量；请除以学习率 η",
    "that halves the weight in a single step; it must take all 300 steps": "这会在一步之内让权重减半；应当用满 300 步",
    "λ is not the fraction removed; the weight is multiplied by (1 − ηλ) at each step":
        "λ 不是被去掉的比例；每一步权重都乘以 (1 − ηλ)",
    "that is ηλ; divide by the learning rate η": "这是 ηλ；请除以学习率 η",
    "Correct: small shifts, small rotations and faint noise keep every digit readable as itself.":
        "正确：小幅平移、小角度旋转和轻微噪声，都能让每个数字仍被认作它自己。",
    "shift by one pixel": "平移一个像素",
    "mirror left–right": "左右镜像",
    "rotate by 10°": "旋转 10°",
    "rotate by 180°": "旋转 180°",
    "add faint random noise to the pixels": "给像素加上轻微的随机噪声",
    "{0}: {1}": "{0}：{1}",
    "{0}, {1}": "{0}，{1}",
    "write the letters of the transformations you chose, e.g. {{'a', 'b'}}":
        "请写出你所选变换的字母，例如 {{'a', 'b'}}",
    "{0} is not one of the letters {1}": "{0} 不是字母 {1} 之一",
    "a mirrored 2, 3, 4 or 7 is no digit at all, and the net never sees mirrored digits at test time":
        "镜像的 2、3、4 或 7 根本不是数字，而且网络在测试时也从不会见到镜像的数字",
    "turned upside down, a 6 becomes a 9 (and a 9 a 6): that changes the label":
        "上下颠倒后，6 变成 9（9 变成 6）：这改变了标签",
    "{0}: would a person still read the same digit? Then it keeps the label":
        "{0}：人还能认出同一个数字吗？能的话，它就保持了标签",
    "write a set of letters such as {{'a', 'b'}}, got {0}": "请写一个字母集合，例如 {{'a', 'b'}}，收到的是 {0}",

    # --- 07 convolutional networks (utils/convolution) ---------------------------------------------------------
    "VGG-16 has 138 M parameters in 13 conv layers and 3 dense layers. What share of them sits in its first dense "
    "layer alone (7x7x512 inputs to 4,096 units)?":
        "VGG-16 有 1.38 亿个参数，分布在 13 个卷积层和 3 个全连接层中。仅第一个全连接层（7x7x512 个输入到 4,096 "
        "个单元）就占了多大比例？",
    "about 1 %": "约 1 %",
    "about 10 %": "约 10 %",
    "about 40 %": "约 40 %",
    "about 75 %": "约 75 %",
    "{0} % ({1} numbers): a dense layer pays for every input-output pair, 25,088 x 4,096 of them, while a conv "
    "layer's weights do not grow with the image. The conv layers do almost all of the computing instead.":
        "{0} %（{1} 个数）：全连接层要为每一对输入和输出付出一个参数，共 25,088 x 4,096 对；"
        "而卷积层的权重不随图像变大而增加。反过来，几乎所有的计算量都在卷积层。",
    "Three 3x3 conv layers (C channels in and out) see a 7x7 region of the input, like one 7x7 layer. Their weights, "
    "as a fraction of the 7x7 layer's: type a number.":
        "三个 3x3 卷积层（输入输出都是 C 个通道）和一个 7x7 卷积层一样，能看到输入中 7x7 的区域。它们的权重数是 7x7 "
        "层的几分之几？请输入一个数。",
    "3 x 3·3·C² = 27C² against 7·7·C² = 49C²: {0}, and with three ReLUs instead of one.":
        "3 x 3·3·C² = 27C²，对比 7·7·C² = 49C²：{0}，而且有三个 ReLU 而不是一个。",
    "A small CNN and an MLP with the same number of parameters classify the 8x8 digits about equally well. Shift "
    "every test image by one pixel: which loses more accuracy?":
        "一个小型 CNN 和一个参数量相同的 MLP，在 8x8 数字图像上的分类效果差不多。把每张测试图像平移一个像素："
        "哪一个准确率损失更多？",
    "the CNN": "CNN",
    "the MLP": "MLP",
    "both about the same": "两者差不多",
    "Accuracy falls from {0} to {1} for the CNN and from {2} to {3} for the MLP. The conv layers shift their maps "
    "with the image and max pooling absorbs part of the shift; the MLP's weights are tied to pixel positions. "
    "Neither is invariant: on an 8x8 image one pixel is an eighth of the width.":
        "CNN 的准确率从 {0} 降到 {1}，MLP 的从 {2} 降到 {3}。卷积层的特征图随图像一起平移，"
        "最大汇聚又吸收了一部分平移；MLP 的权重则与像素位置绑定。两者都不是不变的：在 8x8 的图像上，"
        "一个像素就是宽度的八分之一。",
    "Target task: shifted digits 5-9, only 3 labelled images per class. Does fine-tuning a net pretrained on many "
    "shifted digits 0-4 beat training the same architecture from scratch?":
        "目标任务：平移过的数字 5-9，每类只有 3 张有标签的图像。在大量平移过的数字 0-4 上预训练的网络，"
        "经微调后能否胜过从头训练的同一架构？",
    "yes, in every seed": "能，每个种子都是",
    "in some seeds only": "只在部分种子上",
    "no, in no seed": "不能，没有一个种子",
    "Gains of fine-tuning over training from scratch, 3 images per class, seeds {0}: {1} points. Fifteen shifted "
    "images cannot teach a fresh net that a digit moved by a pixel is the same digit; the source net saw its {2} "
    "images of 0-4 in {3} randomly shifted copies.":
        "每类 3 张图像时，微调相对于从头训练的提升（种子 {0}）：{1} 个百分点。十五张平移过的图像，"
        "教不会一个全新的网络“移动了一个像素的数字还是同一个数字”；而源网络把它的 {2} 张 0-4 的图像，以 {3} "
        "份随机平移的副本看过。",
    "that ignores the dilation: a 5-tap kernel with dilation 2 spans {0} pixels, not 5":
        "这忽略了空洞：空洞为 2 的 5 抽头卷积核跨越 {0} 个像素，而不是 5 个",
    "that ignores the padding: it adds p pixels on both sides": "这忽略了填充：填充在两侧各加 p 个像素",
    "one short: either the padding was added on one side only, or the final + 1 (the first window position) is "
    "missing":
        "少了一个：要么填充只加在了一侧，要么漏了最后的 + 1（窗口的第一个位置）",
    "one too many: the division by the stride rounds down (a window that does not fit is not taken)":
        "多了一个：除以步幅时要向下取整（放不下的窗口不算）",
    "that is the output for stride 1: divide by the stride": "这是步幅为 1 时的输出：请除以步幅",
    "answer with a whole number of pixels, got {0}": "请用像素个数（整数）作答，收到的是 {0}",
    "Correct: ⌊(28 + 4 − {0})/2⌋ + 1 = {1}.": "正确：⌊(28 + 4 − {0})/2⌋ + 1 = {1}。",
    "{0} is not it: use ⌊(W + 2P − D(K−1) − 1)/S⌋ + 1": "不是 {0}：请用 ⌊(W + 2P − D(K−1) − 1)/S⌋ + 1",
    "Correct: {0} parameters and {1} FLOPs ({2} MACs).":
        "正确：{0} 个参数，{1} 次浮点运算（FLOPs），即 {2} 次乘加（MACs）。",
    "answer with two whole numbers (params, flops), got {0} and {1}":
        "请用两个整数（params, flops）作答，收到的是 {0} 和 {1}",
    "the parameters miss the bias (one per output channel)": "参数数漏了偏置（每个输出通道一个）",
    "the parameters ignore the groups: each filter sees only C_in/groups channels":
        "参数数忽略了分组：每个卷积核只看到 C_in/groups 个通道",
    "each group has C_out/groups filters, but there are `groups` groups: all C_out filters exist":
        "每组有 C_out/groups 个卷积核，但一共有 `groups` 组：全部 C_out 个卷积核都存在",
    "the parameters forget the input channels: a filter is K×K×(C_in/groups)":
        "参数数忘了输入通道：一个卷积核是 K×K×(C_in/groups)",
    "that FLOP count is the multiply-accumulates: PyTorch counts 2 FLOPs per MAC":
        "这个 FLOPs 数其实是乘加次数：PyTorch 把一次乘加（MAC）算作 2 次浮点运算",
    "the FLOPs ignore the groups": "FLOPs 忽略了分组",
    "that is the MAC count without groups; PyTorch counts 2 FLOPs per MAC, and groups divide":
        "这是不分组时的乘加次数；PyTorch 把一次乘加算作 2 次浮点运算，而分组会把它除掉一部分",
    "the FLOPs use a 54×54 output; padding 1 keeps 56×56": "FLOPs 用的是 54×54 的输出；填充为 1 时输出保持 56×56",
    "the FLOPs are for one output pixel: multiply by H_out·W_out": "FLOPs 只算了一个输出像素：请乘以 H_out·W_out",
    "the parameters are off ({0})": "参数数不对（{0}）",
    "the FLOPs are off ({0})": "FLOPs 不对（{0}）",
    "that forgets the cost of the 1x1 conv itself (C_in multiply-accumulates per channel per pixel)":
        "这忘了 1x1 卷积本身的开销（每个通道、每个像素 C_in 次乘加）",
    "that counts only the 1x1 conv; the 5x5 conv on r channels costs too":
        "这只算了 1x1 卷积；r 个通道上的 5x5 卷积也有开销",
    "one too many: that branch costs more than the budget (round down)":
        "多了一个：这样的分支开销超出了预算（请向下取整）",
    "that halves the budget: both sides of the comparison are in MACs here":
        "这把预算减半了：这里比较的两边都是以乘加次数计的",
    "answer with a whole number of channels, got {0}": "请用通道数（整数）作答，收到的是 {0}",
    "Correct: r = {0} costs {1} MACs, within the budget of {2}.":
        "正确：r = {0} 的开销是 {1} 次乘加，在 {2} 的预算之内。",
    "at least one channel is needed for the branch to compute anything": "分支至少需要一个通道才能计算",
    "{0} is not it: the branch costs H·W·r·(C_in + K²·C_out) MACs":
        "不是 {0}：分支的开销是 H·W·r·(C_in + K²·C_out) 次乘加",

    # --- 08 residual networks (utils/residual) -----------------------------------------------------------------
    "Plain MLP blocks with batch norm and He initialisation, trained identically ({0} SGD steps). After training, is "
    "the {1}-layer net's loss on its own training set lower, about the same, or higher than the {2}-layer net's?":
        "由普通 MLP 块组成的网络，带批量归一化和 He 初始化，训练方式完全相同（{0} 步 SGD）。训练之后，{1} "
        "层网络在自己的训练集上的损失，比 {2} 层网络的更低、差不多，还是更高？",
    "Measured: {0} at {1} layers against {2} at {3} (mean over seeds {4}). The deeper plain net has every function "
    "of the shallower one within reach (its extra blocks could be identities), yet SGD does not find one: an "
    "optimisation failure, not overfitting (overfitting lowers the training loss).":
        "实测：{1} 层时为 {0}，{3} 层时为 {2}（种子 {4} 的平均）。"
        "较深的普通网络完全能表示较浅网络的每一个函数（多出来的块只要是恒等映射即可），SGD 却找不到它："
        "这是优化的失败，而不是过拟合（过拟合会让训练损失更低）。",
    "lower": "更低",
    "higher": "更高",
    "A freshly initialised 50-layer plain stack WITH batch norm: is the gradient ‖∂L/∂h‖ at the first block's input "
    "much smaller, about the same, or much larger than at the last block's output?":
        "一个刚初始化、带批量归一化的 50 层普通堆叠网络：第一个块输入处的梯度 ‖∂L/∂h‖，"
        "比最后一个块输出处的小得多、差不多，还是大得多？",
    "much smaller": "小得多",
    "much larger": "大得多",
    "{0}: batch norm keeps every layer's forward signal at unit scale, but each BN layer divides the backward signal "
    "by its batch std and ReLU + BN layers in series multiply it up; over 50 layers the gradient grows toward the "
    "input by orders of magnitude (Yang et al., 2019).":
        "{0}：批量归一化让每一层的前向信号保持在单位尺度，但每个 BN 层都把反向信号除以它的批量标准差，一串 ReLU + BN "
        "层把它层层放大；经过 50 层，梯度朝输入方向增长了几个数量级（Yang 等，2019）。",
    "Take the trained {0}-layer residual net and delete one of its later blocks at test time (its input passes "
    "straight on). Typically, how much validation accuracy does it lose?":
        "取训练好的 {0} 层残差网络，在测试时删掉它靠后的一个块（该块的输入直接往下传）。通常它会损失多少验证准确率？",
    "less than 5 points": "不到 5 个百分点",
    "5 to 30 points": "5 到 30 个百分点",
    "more than 30 points": "超过 30 个百分点",
    "{0}: the shortcut still carries the signal around the hole, and the remaining blocks each add only a small "
    "correction, so the net behaves like an ensemble of shallower paths (Veit et al., 2016). A plain net has no path "
    "around the hole.":
        "{0}：捷径连接仍能绕过这个缺口传递信号，而剩下的每个块都只添加一个小小的修正，"
        "所以网络的行为就像许多较浅路径的集成（Veit 等，2016）。普通网络没有绕过缺口的路径。",
    "you forgot the transition layers: each halves the channels between blocks":
        "你忘了过渡层：每个过渡层都会在块与块之间把通道数减半",
    "that is only what the third block adds: it also passes on the channels it received":
        "这只是第三个块新增的通道：它还会把收到的通道一并传下去",
    "the third block receives the second transition's output, not the stem's 64 channels":
        "第三个块收到的是第二个过渡层的输出，而不是主干（stem）的 64 个通道",
    "that is after the third transition; the question asks before it": "这是第三个过渡层之后的；题目问的是它之前",
    "track the channels block by block: a block adds growth × layers, a transition halves":
        "一个块一个块地跟踪通道数：每个块增加 增长率 × 层数，每个过渡层减半",
    "answer with a number of channels, got {0}": "请用通道数作答，收到的是 {0}",
    "Correct: 64 → 256 → 128 → 512 → 256 → {0} channels.": "正确：64 → 256 → 128 → 512 → 256 → {0} 个通道。",
    "you counted the convolutions only: each BN layer has a γ and a β per channel":
        "你只算了卷积：每个 BN 层在每个通道上还有一个 γ 和一个 β",
    "running mean and variance are buffers, not trainable parameters":
        "滑动均值和滑动方差是缓冲区（buffer），不是可训练参数",
    "the convolutions have no bias (BN's β replaces it)": "这些卷积没有偏置（由 BN 的 β 代替）",
    "the middle convolution is 3×3: 9 weights per input-output channel pair":
        "中间的卷积是 3×3：每对输入输出通道有 9 个权重",
    "that is a basic block at 256 channels; the bottleneck works at 64 inside":
        "这是 256 通道的基本块；瓶颈块内部在 64 个通道上工作",
    "the shortcut is the identity here (same shape): it has no parameters":
        "这里的捷径连接是恒等映射（形状相同）：它没有参数",
    "add up 1×1 (256·64), 3×3 (64·64·9), 1×1 (64·256) and 2 parameters per BN channel":
        "把 1×1（256·64）、3×3（64·64·9）、1×1（64·256）以及每个 BN 通道的 2 个参数加起来",
    "answer with a number of parameters, got {0}": "请用参数个数作答，收到的是 {0}",
    "Correct: {0} parameters (a basic block at 256 channels would have {1}).":
        "正确：{0} 个参数（256 通道的基本块会有 {1} 个）。",
    "when neither the stride nor the channels change, x + F(x) adds directly: the identity is enough":
        "步幅和通道数都不变时，x + F(x) 可以直接相加：恒等映射就够了",
    "pass your function itself, got {0}": "请传入函数本身，收到的是 {0}",
    "Correct: a projection is needed exactly when the stride or the channel count changes the shape.":
        "正确：恰好在步幅或通道数改变形状时才需要投影。",
    "a stride of 2 halves the height and width, so x no longer matches F(x)":
        "步幅为 2 时高和宽都减半，所以 x 与 F(x) 不再匹配",
    "(c_in={0}, c_out={1}, stride={2}) should be {3}": "(c_in={0}, c_out={1}, stride={2}) 应为 {3}",
    "return True or False, got {0} for ({1}, {2}, {3})": "请返回 True 或 False，对 ({1}, {2}, {3}) 收到的是 {0}",
    "when the channel counts differ, x + F(x) cannot be added channel by channel":
        "通道数不同时，x + F(x) 无法逐通道相加",
    "both a change of channels and a stride other than 1 change the shape": "通道数的改变和不为 1 的步幅都会改变形状",

    # --- 09 optimisation (utils/optimization) ------------------------------------------------------------------
    "Plain GD (η = 0.1) starts at (1.5, 0), exactly on the ridge of f(x, y) = x²/2 + y⁴/4 − y²/2, whose minima are "
    "at (0, ±1) and whose saddle is at (0, 0). Where is it after 150 steps?":
        "普通梯度下降（η = 0.1）从 (1.5, 0) 出发，正好位于 f(x, y) = x²/2 + y⁴/4 − y²/2 的山脊上；该函数的极小值点在 "
        "(0, ±1)，鞍点在 (0, 0)。150 步之后它在哪里？",
    "at the saddle (0, 0)": "在鞍点 (0, 0)",
    "in a minimum (0, ±1)": "在极小值点 (0, ±1)",
    "it diverges": "发散",
    "On the line y = 0 the gradient's y-component, y³ − y, is exactly 0, so GD never leaves the line and slides into "
    "the saddle, where the gradient vanishes. Any noise in y grows by a factor (1 + η) per step near the saddle, so "
    "a noisy gradient escapes to a minimum.":
        "在直线 y = 0 上，梯度的 y 分量 y³ − y 恰好为 0，所以梯度下降永远离不开这条直线，一路滑进梯度为零的鞍点。"
        "在鞍点附近，y 方向上的任何噪声每步都会放大 (1 + η) 倍，所以带噪声的梯度会逃离鞍点，落入极小值。",
    "GD at its best fixed rate 2/(λ_min + λ_max) needs S steps on a quadratic with condition number κ = 10. By what "
    "factor does S grow at κ = 1000 (same tolerance)?":
        "在条件数 κ = 10 的二次函数上，用最佳固定学习率 2/(λ_min + λ_max) 的梯度下降需要 S 步。κ = 1000 "
        "时（容差相同），S 会增大多少倍？",
    "The slowest direction contracts by (κ − 1)/(κ + 1) ≈ 1 − 2/κ per step, so the steps grow in proportion to κ: "
    "100× more condition number, {0}× more steps.":
        "最慢的方向每步收缩 (κ − 1)/(κ + 1) ≈ 1 − 2/κ，所以步数与 κ 成正比：条件数大 100 倍，步数多 {0} 倍。",
    "The mini-batch gradient g_B of the digits net has variance E‖g_B − g‖² = V at batch size B = 8. By what factor "
    "is the variance smaller at B = 128? (N = 1348 examples, each batch drawn without replacement.)":
        "数字分类网络的小批量梯度 g_B 在批量大小 B = 8 时的方差为 E‖g_B − g‖² = V。B = 128 时方差小多少倍？（N = "
        "1348 个样本，每个批量都是无放回抽取的。）",
    "Measured: {0}×. The variance of a mean of B independent draws falls as 1/B (16× here); drawing without "
    "replacement multiplies it by (N − B)/(N − 1), which shrinks it a little more at B = 128 than at B = 8. Not 4×: "
    "that would be the standard deviation.":
        "实测：{0} 倍。B 个独立样本均值的方差按 1/B 下降（这里是 16 倍）；无放回抽取再乘以 (N − B)/(N − 1)，它在 B = "
        "128 时比 B = 8 时多缩小一点。不是 4 倍：那是标准差。",
    "On a quadratic with κ = 100, GD at its best fixed rate needs {0} steps to shrink |w| a million-fold. How many "
    "steps does heavy-ball momentum need at its best (η, β)?":
        "在 κ = 100 的二次函数上，用最佳固定学习率的梯度下降需要 {0} 步才能把 |w| 缩小一百万倍。重球动量法在最佳的 "
        "(η, β) 下需要多少步？",
    "Measured: {0}. Momentum's rate is (√κ − 1)/(√κ + 1) = 9/11 per step instead of GD's 99/101, so its steps grow "
    "like √κ = 10 instead of κ = 100: roughly ten times fewer.":
        "实测：{0}。动量法每步的收敛率是 (√κ − 1)/(√κ + 1) = 9/11，而梯度下降是 99/101，所以它的步数按 √κ = 10 增长，"
        "而不是按 κ = 100：大约少十倍。",
    "SGD with momentum 0.9 trains the digits net for 300 steps at peak rate {0}: once at a constant rate, once with "
    "cosine annealing (the rate falls smoothly to 0). Which ends with the lower training loss, on average over 3 "
    "seeds?":
        "用动量 0.9 的 SGD 以峰值学习率 {0} 训练数字分类网络 300 步：一次用恒定学习率，"
        "一次用余弦退火（学习率平滑地降到 0）。按 3 个种子的平均，哪一个最终的训练损失更低？",
    "the constant rate": "恒定学习率",
    "cosine annealing": "余弦退火",
    "Cosine spends fewer steps at the peak rate, but the constant rate keeps bouncing in the noise that a large step "
    "and small batches cause; decaying the rate at the end lets the weights settle into the valley.":
        "余弦退火在峰值学习率上花的步数更少，但恒定学习率会一直在大步长和小批量带来的噪声中来回跳动；"
        "在末尾降低学习率，才能让权重落定在谷底。",
    "your learning rate": "你的学习率",
    "too large: GD diverges along the top eigenvector": "太大了：梯度下降沿最大特征值对应的特征向量发散",
    "stable, but not the largest stable rate": "稳定，但不是最大的稳定学习率",
    "{0} is {1}; the eigenvalues of A decide it (np.linalg.eigvalsh)":
        "{0} {1}；这由 A 的特征值决定（np.linalg.eigvalsh）",
    "Correct: η < 2/λ_max = 2/{0} = {1}.": "正确：η < 2/λ_max = 2/{0} = {1}。",
    "that is 2/λ_min: the steepest direction (λ_max) blows up first": "这是 2/λ_min：最陡的方向（λ_max）会最先爆炸",
    "that is 1/λ_max: a safe rate, but GD still converges up to twice that":
        "这是 1/λ_max：一个安全的学习率，但梯度下降在它的两倍以内都仍会收敛",
    "that is the best fixed rate 2/(λ_min + λ_max), not the largest stable one":
        "这是最佳固定学习率 2/(λ_min + λ_max)，不是最大的稳定学习率",
    "that uses the largest diagonal entry; the off-diagonal entries matter: use the largest eigenvalue":
        "这用的是最大的对角元；非对角元也有影响：请用最大特征值",
    "that uses the trace (the sum of all eigenvalues); use the largest one":
        "这用的是迹（所有特征值之和）；请用最大的那个特征值",
    "that uses the Frobenius norm; use the largest eigenvalue": "这用的是 Frobenius 范数；请用最大特征值",
    "your β": "你的 β",
    "β = {0} is off by {1}; the optimum makes the slowest and the fastest direction contract at the same rate":
        "β = {0} 偏差了 {1}；最优值让最慢和最快的方向以相同的速率收缩",
    "Correct: β* = ((√κ − 1)/(√κ + 1))² = {0} for κ = {1}.": "正确：κ = {1} 时，β* = ((√κ − 1)/(√κ + 1))² = {0}。",
    "that is the convergence rate (√κ − 1)/(√κ + 1) = √β*; square it": "这是收敛率 (√κ − 1)/(√κ + 1) = √β*；请把它平方",
    "that is plain GD's rate (κ − 1)/(κ + 1); the momentum formula uses √κ":
        "这是普通梯度下降的收敛率 (κ − 1)/(κ + 1)；动量法的公式用的是 √κ",
    "1 − 1/√κ has the right trend, but the optimum is ((√κ − 1)/(√κ + 1))²":
        "1 − 1/√κ 的趋势是对的，但最优值是 ((√κ − 1)/(√κ + 1))²",
    "1 − 1/κ is too close to 1: momentum with it oscillates slowly": "1 − 1/κ 太接近 1 了：用它的动量法会缓慢地振荡",
    "0.9 is the habitual default, not the optimum for this κ": "0.9 是习惯上的默认值，不是这个 κ 下的最优值",
    "β must lie in [0, 1), got {0}": "β 必须在 [0, 1) 之内，收到的是 {0}",
    "the rate never changes: a constant rate keeps bouncing in the mini-batch noise; let it decay":
        "学习率从不变化：恒定的学习率会一直在小批量噪声中来回跳动；请让它衰减",
    "training loss {0} > {1} after {2} steps: {3}": "{2} 步之后训练损失 {0} > {1}：{3}",
    "make_scheduler must be a function (optimizer, steps) -> scheduler, got {0}":
        "make_scheduler 必须是一个函数 (optimizer, steps) -> scheduler，收到的是 {0}",
    "training diverged (loss {0}, worse than at the start): your schedule raises the rate to {1}, far above the peak "
    "{2}":
        "训练发散了（损失 {0}，比开始时还差）：你的调度把学习率升到了 {1}，远高于峰值 {2}",
    "Correct: training loss {0} ≤ {1} after {2} steps (the rate went from {3} to {4}).":
        "正确：{2} 步之后训练损失 {0} ≤ {1}（学习率从 {3} 变到 {4}）。",
    "the rate is nearly zero after the first third: it decays too early to make progress":
        "前三分之一之后学习率就几乎为零：衰减得太早，训练没法推进",
    "make_scheduler returned {0}; return a scheduler from torch.optim.lr_scheduler built on the optimizer it is given":
        "make_scheduler 返回了 {0}；请返回一个 torch.optim.lr_scheduler 中的调度器，并建立在传给它的优化器之上",
    "the scheduler must be built on the optimizer passed to make_scheduler":
        "调度器必须建立在传给 make_scheduler 的优化器之上",
    "running your scheduler failed: {0}: {1}": "运行你的调度器失败：{0}：{1}",
    "the rate is still high at the end: decay it further by the last step":
        "到最后学习率仍然很高：请在最后一步之前把它衰减得更低",
    "try a schedule that keeps the rate high for longer and then brings it close to 0":
        "试试让学习率在高位保持更久、再降到接近 0 的调度",
}
