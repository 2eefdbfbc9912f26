"""The Chinese of the course's interactive text, part 1: the prediction box, the checkers' verdict, 00, and
lectures 01–04 (utils/zh.py merges the tables and translates).

Keys are the English strings exactly as the code writes them; `{0}`, `{1}`, … stand for the values the code
fills in, and the Chinese places them where Chinese grammar wants them.  Terms follow 《动手学深度学习》
(zh.d2l.ai) and utils/glossary.py.
"""

TEXT = {
    # --- utils/predictions.py: the prediction box -------------------------------------------------------------
    "Predict:": "预测：",
    "Reveal": "揭晓",
    "your number": "你的数值",
    "Answer (decide first)": "答案（先想好再展开）",
    "Predict: {0}": "预测：{0}",
    "Make a prediction first: pick an option or type a number, then press Reveal.":
        "请先做出预测：选一个选项或输入一个数，再点“揭晓”。",
    "Type a number as your prediction (got {0}).": "请输入一个数作为你的预测（收到的是 {0}）。",
    "Right: you said {0}, the answer is {1} (counted right within a factor {2}). {3}":
        "对了：你的预测是 {0}，答案是 {1}（相差不超过 {2} 倍即算对）。{3}",
    "Not quite: you said {0}, the answer is {1} (counted right within a factor {2}). {3}":
        "不太对：你的预测是 {0}，答案是 {1}（相差不超过 {2} 倍即算对）。{3}",
    "Right: {0}. {1}": "对了：{0}。{1}",
    "Not quite: you said {0}, the answer is {1}. {2}": "不太对：你的预测是 {0}，答案是 {1}。{2}",

    # --- utils/exercises.py: the verdict every checker prints ------------------------------------------------
    "Correct!": "正确！",
    "your answer": "你的答案",
    "{0} is still {1}: replace the placeholder with your answer, then run this cell again":
        "{0}仍是 {1}：请把占位符换成你的答案，再运行这个单元格",
    "{0} should be a number or an array of numbers, got {1}": "{0}应当是一个数或一个数值数组，收到的是 {1}",
    "{0} has shape {1}, expected {2}": "{0}的形状是 {1}，应为 {2}",
    "{0} contains NaN or infinity": "{0}含有 NaN 或无穷大",
    "{0} is off by up to {1} (tolerance rtol={2}, atol={3})": "{0}最多偏差 {1}（容差 rtol={2}，atol={3}）",
    "{0} is still {1}: replace the placeholder with your answer, then run the cell again":
        "{0}仍是 {1}：请把占位符换成你的答案，再运行这个单元格",
    "{0} should be a single number, got an array of shape {1}": "{0}应当是单个数，收到的是形状为 {1} 的数组",
    "{0} should be a number, got {1} ({2})": "{0}应当是一个数，收到的是 {1}（{2}）",
    "{0} must be a finite number (not NaN or ±inf), got {1}": "{0}必须是有限的数（不能是 NaN 或 ±inf），收到的是 {1}",
    "{0} should be a whole number, got {1}": "{0}应当是整数，收到的是 {1}",

    # --- utils/course.py: the notebooks' one-line descriptions (the static site's Chinese index) --------------------
    "Start here: environment check, how to use the course, glossary": "从这里开始：检查环境，课程用法，术语表",
    "Why nonlinearity, and what each activation does to gradients": "为什么需要非线性，每种激活函数对梯度做了什么",
    "Why all-positive inputs make gradient descent zig-zag": "为什么全为正的输入会让梯度下降走出之字形路径",
    "How the weight scale decides what every layer sees": "权重的尺度如何决定每一层看到的东西",
    "What batch normalisation computes, and what it changes in training": "批量归一化计算什么，它给训练带来了什么变化",
    "How ReLU units die, and what prevents or revives them": "ReLU 单元如何死亡，什么能预防或救活它们",
    "How to recognise overfitting and which regulariser to reach for": "如何识别过拟合，该选用哪种正则化",
    "What a conv layer computes and costs, and why the classic CNNs changed":
        "卷积层计算什么、代价多大，经典的 CNN 为什么做了那些改变",
    "Does a deeper plain network train better? Residual and dense connections, trained":
        "更深的普通网络训练得更好吗？残差连接与稠密连接，训练出来看",
    "Gradient descent, mini-batches, momentum and schedules, seen on surfaces you can move":
        "梯度下降、小批量、动量法与学习率调度，在可以拖动的曲面上看个明白",

    # --- utils/course.py (00) ---------------------------------------------------------------------------------
    "You seed with 0 and draw four random numbers, then seed with 0 again and draw four more. How do the two draws "
    "compare?":
        "先用种子 0 抽取四个随机数，再次设种子为 0，又抽取四个。两次抽到的数相比如何？",
    "exactly the same": "完全相同",
    "the same to a few decimals": "前几位小数相同",
    "different": "不同",
    "A seed fixes the generator's state, and the state decides every number it produces, to the last bit (on the "
    "same machine and software). Different hardware may change the last digits.":
        "种子固定了随机数生成器的状态，而状态决定了它产生的每一个数，直到最后一位（在同一台机器、同一套软件上）。"
        "换一种硬件，最后几位可能会变。",

    # --- 01 activation functions (utils/activations) -----------------------------------------------------------
    "A 20-layer net at initialisation (Kaiming weights): with which activation does the first layer get the smallest "
    "gradient?":
        "一个刚初始化的 20 层网络（Kaiming 权重）：用哪种激活函数时，第一层得到的梯度最小？",
    "{0}: back-propagation multiplies the gradient by f′ at every layer, and sigmoid's f′ is at most 1/4, so 20 "
    "layers shrink it by up to 0.25²⁰ ≈ 1e-12. tanh's and ReLU's f′ reach 1.":
        "{0}：反向传播在每一层都把梯度乘以 f′，而 sigmoid 的 f′ 至多为 1/4，所以 20 层最多会把梯度缩小到 0.25²⁰ ≈ "
        "1e-12。tanh 和 ReLU 的 f′ 可以达到 1。",
    "Same 20-layer net, Kaiming weights (variance 2/fan-in), Maxout units with two pieces. The gradient norms of its "
    "layers will …":
        "同样的 20 层网络、Kaiming 权重（方差为 2/扇入），换成两段的 Maxout 单元。各层的梯度范数会……",
    "shrink towards 0": "缩小到接近 0",
    "stay near 1": "保持在 1 附近",
    "grow far above 1": "增长到远大于 1",
    "Kaiming's factor 2 makes up for ReLU zeroing half of its inputs. Maxout zeroes nothing: the larger of two "
    "zero-mean pieces a, b has E[max(a, b)²] = (E[a²] + E[b²]) / 2 = σ², the full variance. So the factor 2 doubles "
    "the signal's variance at every layer, and the gradients grow with it.":
        "Kaiming 的因子 2 是为了弥补 ReLU 把一半输入置零。Maxout 不置零任何输入：两个零均值分量 a、b 中较大者满足 "
        "E[max(a, b)²] = (E[a²] + E[b²]) / 2 = σ²，即完整的方差。于是因子 2 让信号的方差每层翻一倍，梯度也随之增长。",
    "A ReLU unit's pre-activation z has mean −1 and standard deviation 1. On what percentage of inputs does it "
    "output exactly 0 (and pass no gradient)? Type a number of percent.":
        "一个 ReLU 单元的预激活 z 均值为 −1、标准差为 1。它在百分之多少的输入上输出恰好为 0（从而不传回梯度）"
        "？请输入百分数的数值。",
    "ReLU outputs 0 whenever z ≤ 0, that is when the standard-normal part of z is below +1, which happens with "
    "probability Φ(1) ≈ 84 %.":
        "只要 z ≤ 0，ReLU 就输出 0，也就是 z 中标准正态的部分小于 +1 的时候，其概率为 Φ(1) ≈ 84 %。",
    "Plain SGD, circles data, 300 steps: sigmoid stays near chance and tanh learns. σ(x) − ½ is zero-centred like "
    "tanh but has sigmoid's slope (at most 1/4). Which does it behave like?":
        "普通 SGD，圆环数据，300 步：sigmoid 停留在随机猜测的水平，tanh 学会了。σ(x) − ½ 像 tanh 一样以零为中心，"
        "斜率却和 sigmoid 一样（至多 1/4）。它的表现像哪一个？",
    "stays stuck like sigmoid": "像 sigmoid 一样停滞不前",
    "trains like tanh": "像 tanh 一样训练得动",
    "Centring does not rescue it: σ(x) − ½ has sigmoid's small slope, so its first layers get the same tiny "
    "gradients and, under SGD, take the same tiny steps.":
        "零中心化救不了它：σ(x) − ½ 的斜率和 sigmoid 一样小，所以前几层得到同样微小的梯度，在 SGD "
        "下也只迈出同样微小的步子。",
    "Centring alone was enough here.": "在这里，单靠零中心化就够了。",
    "pass your function itself (my_elu_derivative, no brackets), got {0}":
        "请传入函数本身（my_elu_derivative，不加括号），收到的是 {0}",
    "calling your function raised {0}: {1}": "调用你的函数时抛出了 {0}：{1}",
    "your function returned None: did you forget `return`?": "你的函数返回了 None：是不是忘了写 `return`？",
    "your function should return an array of the shape of x {0}, got {1}":
        "你的函数应当返回与 x 形状相同（{0}）的数组，收到的形状是 {1}",
    "your derivative contains NaN or infinity": "你的导数含有 NaN 或无穷大",
    "Correct: 1 for x > 0 and αeˣ for x ≤ 0 (α at x = 0), for α = 1 and α = 0.5.":
        "正确：x > 0 时为 1，x ≤ 0 时为 αeˣ（x = 0 处为 α），α = 1 和 α = 0.5 都对。",
    "your function returns {0} for every x: it ignores x (1 for x > 0, αeˣ for x ≤ 0)":
        "你的函数对每个 x 都返回 {0}：它忽略了 x（x > 0 时为 1，x ≤ 0 时为 αeˣ）",
    "right everywhere except at x = 0 (α = {0}): there PyTorch uses the x ≤ 0 branch, αe⁰ = α = {1}, not {2}":
        "除 x = 0 外处处正确（α = {0}）：PyTorch 在该点取 x ≤ 0 的分支，αe⁰ = α = {1}，而不是 {2}",
    "for x ≤ 0 you returned ELU itself, α(eˣ − 1); its derivative is αeˣ":
        "x ≤ 0 时你返回的是 ELU 本身 α(eˣ − 1)；它的导数是 αeˣ",
    "for x ≤ 0 you returned eˣ: the factor α (= {0} here) is missing":
        "x ≤ 0 时你返回的是 eˣ：漏了因子 α（这里 = {0}）",
    "for x > 0 you are right; for x ≤ 0 the derivative of α(eˣ − 1) is αeˣ (off by up to {0} with α = {1})":
        "x > 0 的部分正确；x ≤ 0 时 α(eˣ − 1) 的导数是 αeˣ（α = {1} 时最多偏差 {0}）",
    "for x ≤ 0 you are right; for x > 0 ELU is x, so its slope is 1": "x ≤ 0 的部分正确；x > 0 时 ELU 就是 x，斜率为 1",
    "off on both sides, by up to {0} (at x = {1}, α = {2}): 1 for x > 0, αeˣ for x ≤ 0":
        "两侧都有偏差，最多 {0}（在 x = {1}，α = {2} 处）：x > 0 时为 1，x ≤ 0 时为 αeˣ",
    "answer with a name in quotes, one of {0}; got {1}": "请用带引号的名字作答，从 {0} 中选一个；收到的是 {1}",
    "answer with one of {0}, got {1}": "请从 {0} 中选一个作答，收到的是 {1}",
    "Correct! Saturated shares at scale {0}: {1}": "正确！尺度为 {0} 时各函数的饱和比例：{1}",
    "sigmoid's derivative is small everywhere (at most 1/4), but the question is where it drops below {0}: compare "
    "how far out each f′ has to go before it does":
        "sigmoid 的导数处处都小（至多 1/4），但问题问的是它在哪里降到 {0} 以下：比较每个 f′ "
        "要离原点多远才会降到这个值",
    "softplus' derivative is σ(x): it is small on the negative side only; the others are flat on both":
        "softplus 的导数是 σ(x)：它只在负半轴上很小；另外两个在两侧都是平的",
    "compare where each f′ drops below {0}, and on how many sides": "比较每个 f′ 在哪里降到 {0} 以下，以及在几侧如此",
    "{0} is not the one: {1}": "不是 {0}：{1}",
    "`bound` is still None: replace it with a Python expression for the factor":
        "`bound` 仍是 None：请把它换成表示这个因子的 Python 表达式",
    "the bound should be a number (a Python expression such as 0.5 ** 3), got {0}":
        "上界应当是一个数（例如 0.5 ** 3 这样的 Python 表达式），收到的是 {0}",
    "Correct: 0.25^{0} = {1}.": "正确：0.25^{0} = {1}。",
    "you multiplied 0.25 by the number of layers: the factors multiply, so raise 0.25 to the power n":
        "你把 0.25 乘以了层数：各层的因子是相乘的，所以应当求 0.25 的 n 次方",
    "that is the inverse: each layer can *shrink* the gradient to a quarter, so 0.25^n":
        "这是倒数：每一层最多把梯度*缩小*到四分之一，所以是 0.25^n",
    "σ′ peaks at σ(0)(1 − σ(0)) = 1/2 · 1/2 = 1/4, not 1/2": "σ′ 的最大值是 σ(0)(1 − σ(0)) = 1/2 · 1/2 = 1/4，不是 1/2",
    "one layer short: each of the n layers contributes a factor": "少算了一层：n 层中的每一层都贡献一个因子",
    "one layer too many: each of the n layers contributes one factor": "多算了一层：n 层中的每一层只贡献一个因子",
    "not quite: {0} is not the bound for {1} layers (each sigmoid layer scales the gradient by at most σ′(0))":
        "不太对：{0} 不是 {1} 层的上界（每个 sigmoid 层至多把梯度乘以 σ′(0)）",
    "pass your function itself (leaky_variance, no brackets), got {0}":
        "请传入函数本身（leaky_variance，不加括号），收到的是 {0}",
    "calling your function with a = {0} raised {1}: {2}": "用 a = {0} 调用你的函数时抛出了 {1}：{2}",
    "your function should return a number, got {0} for a = {1}": "你的函数应当返回一个数，a = {1} 时收到的是 {0}",
    "Correct: Var W = 2 / ((1 + a²) · fan_in). a = 0 gives Kaiming's 2; a = 1 is the identity, which needs 1 (LeCun).":
        "正确：Var W = 2 / ((1 + a²) · fan_in)。a = 0 时就是 Kaiming 的 2；a = 1 时是恒等映射，需要的是 1（LeCun）。",
    "your answer ignores a: at a = 1 Leaky ReLU is the identity, which keeps the variance with a factor 1, not 2":
        "你的答案与 a 无关：a = 1 时 Leaky ReLU 是恒等映射，保持方差所需的因子是 1 而不是 2",
    "the negative half contributes a²·E[z²]/2: the slope enters squared":
        "负半轴贡献的是 a²·E[z²]/2：斜率以平方的形式出现",
    "half the right value: E[f(z)²] = (1 + a²)/2 · E[z²], so the factor is 2 / (1 + a²)":
        "只有正确值的一半：E[f(z)²] = (1 + a²)/2 · E[z²]，所以因子是 2 / (1 + a²)",
    "that is the gain for the standard deviation; the question asks for the variance factor (square it)":
        "这是标准差的增益；题目问的是方差的因子（把它平方）",
    "upside down: the weights must make up for the shrinking factor (1 + a²)/2, so divide by it":
        "颠倒了：权重要弥补缩小因子 (1 + a²)/2，所以应当除以它",
    "the factor (1 + a²) belongs in the denominator": "因子 (1 + a²) 应当在分母上",
    "at a = {0} you return {1}; the variance is kept by {2}. Work out E[f(z)²] for z ~ N(0, σ²) first":
        "a = {0} 时你返回 {1}；能保持方差的是 {2}。先对 z ~ N(0, σ²) 算出 E[f(z)²]",

    # --- 02 zero-centring (utils/zero_centering) ---------------------------------------------------------------
    "A layer is fed by sigmoid outputs and gets a mini-batch of 64 examples. What share of the rows of its weight "
    "gradient are still one-signed (every entry has the same sign)?":
        "某一层的输入来自 sigmoid 的输出，它收到一个含 64 个样本的小批量。它的权重梯度中，"
        "还有多大比例的行是同号的（每个元素符号相同）？",
    "between 10 % and 90 %": "介于 10 % 和 90 % 之间",
    "over 90 %": "超过 90 %",
    "Summing 64 one-signed vectors can mix signs, so the strict rule of one example is gone. But every example's "
    "vector leans the same way (all entries positive times one number), so most sums keep one sign.":
        "把 64 个同号向量相加，结果可能正负混杂，所以单个样本时那条严格的规律不复存在。"
        "但每个样本的向量都偏向同一个方向（所有元素为正，再乘以同一个数），所以大多数的和仍然同号。",
    "Gradient descent on the centred cloud needs some number of steps. After PCA rotation of the same centred cloud "
    "(features now uncorrelated), does it need fewer, the same or more steps?":
        "在零中心化的点云上，梯度下降需要一定的步数。把同一个点云做 PCA 旋转之后（特征不再相关），它需要的步数更少、"
        "一样，还是更多？",
    "fewer steps": "步数更少",
    "the same number of steps": "步数一样",
    "more steps": "步数更多",
    "A rotation changes the directions of the valley's axes but not the curvatures along them (the eigenvalues of "
    "the covariance stay the same), so κ and the step count do not change. Only rescaling helps.":
        "旋转改变的是山谷各轴的方向，而不是沿这些轴的曲率（协方差的特征值不变），所以 κ 和步数都不变。"
        "只有重新缩放才有用。",
    "σ(x) − ½ is zero-centred like tanh but keeps sigmoid's slope (at most 1/4). Trained at the same learning rate "
    "0.5, does its loss fall like tanh's, like sigmoid's, or half-way between?":
        "σ(x) − ½ 像 tanh 一样以零为中心，却保留了 sigmoid 的斜率（至多 1/4）。用同样的学习率 0.5 训练，"
        "它的损失下降得像 tanh、像 sigmoid，还是介于两者之间？",
    "like tanh": "像 tanh",
    "like sigmoid": "像 sigmoid",
    "half-way between": "介于两者之间",
    "Centring removes the lean of the gradient rows towards ±(1, …, 1), but at the same learning rate σ(x) − ½ still "
    "has sigmoid's small slope, so its gradients stay small and its loss falls as slowly as sigmoid's.":
        "零中心化消除了梯度各行偏向 ±(1, …, 1) 的倾向，但在同样的学习率下，σ(x) − ½ 的斜率仍和 sigmoid 一样小，"
        "所以梯度依旧很小，损失下降得和 sigmoid 一样慢。",
    "A classifier was trained on digits standardised with the training statistics. Which way of standardising the "
    "validation images gives the LOWEST accuracy?":
        "一个分类器在用训练集统计量标准化过的数字图像上训练。验证图像用哪种方式标准化时，准确率最低？",
    "training statistics (correct)": "用训练集的统计量（正确做法）",
    "whole validation set, its own statistics": "整个验证集，用它自己的统计量",
    "random batches, each its own statistics": "随机分批，每批用自己的统计量",
    "batches of one digit class, each its own statistics": "按数字类别分批，每批用自己的统计量",
    "A batch that holds one digit class has that digit's mean pattern as its own mean: subtracting it removes "
    "exactly the pattern the classifier looks for.":
        "只含一类数字的批量，其均值就是这个数字的平均图案：减去它，恰好抹掉了分类器要找的那个图案。",
    "replace None with the letters of the possible updates, e.g. ['A', 'C']":
        "请把 None 换成可能出现的更新的字母，例如 ['A', 'C']",
    "give the letters of the possible updates as a list of strings, e.g. ['A', 'C']; got {0}":
        "请把可能出现的更新的字母写成字符串列表，例如 ['A', 'C']；收到的是 {0}",
    "{0} are not candidates: choose among {1}": "{0} 不在候选项中：请从 {1} 中选",
    "Correct: {0}.": "正确：{0}。",
    "{0} is possible too: tanh outputs can be negative, so the components of −η·(dL/dz)·x can have any pattern of "
    "signs (the pattern of the example's x)":
        "{0} 也是可能的：tanh 的输出可以为负，所以 −η·(dL/dz)·x 的各分量可以呈现任意的符号组合（即该样本 x "
        "的符号组合）",
    "{0} is possible too: dL/dz can be negative or positive, so one example can move every weight up, or every "
    "weight down":
        "{0} 也是可能的：dL/dz 可正可负，所以一个样本可以让所有权重一起增大，或一起减小",
    "{0} mix signs. One example's update is −η·(dL/dz)·x: with every x_i > 0, every component has the sign of −dL/dz,"
    " so all components share one sign":
        "{0} 的符号有正有负。一个样本的更新是 −η·(dL/dz)·x：每个 x_i > 0 时，每个分量的符号都与 −dL/dz 相同，"
        "所以所有分量同号",
    "Correct: both sets use the training mean and standard deviation.": "正确：两个数据集都使用训练集的均值和标准差。",
    "pass your function itself (my_standardize, without brackets), got {0}":
        "请传入函数本身（my_standardize，不加括号），收到的是 {0}",
    "calling your function failed: {0}: {1}": "调用你的函数失败：{0}：{1}",
    "the standardised data have shapes {0} and {1}, expected {2} and {3}: compute the statistics per feature (axis=0)":
        "标准化后数据的形状是 {0} 和 {1}，应为 {2} 和 {3}：请逐个特征计算统计量（axis=0）",
    "your function returned the training data unchanged: subtract the training mean and divide by the training "
    "standard deviation":
        "你的函数原样返回了训练数据：请减去训练集的均值，再除以训练集的标准差",
    "the test data were standardised with their OWN mean and std; use the training ones":
        "测试数据是用它们自己的均值和标准差标准化的；应当用训练集的",
    "the statistics were computed on training and test data together; compute them on the training data only":
        "统计量是在训练数据和测试数据合在一起时算的；应当只在训练数据上算",
    "you divided by the sample std (ddof=1); use np.std's default ddof=0":
        "你除以的是样本标准差（ddof=1）；请用 np.std 的默认值 ddof=0",
    "you subtracted the mean but did not divide by the standard deviation": "你减去了均值，但没有除以标准差",
    "you divided by the variance; divide by the standard deviation (its square root)":
        "你除以的是方差；应当除以标准差（方差的平方根）",
    "you used one mean and std over all features; compute them per feature (axis=0)":
        "你对所有特征只用了一个均值和一个标准差；请逐个特征计算（axis=0）",
    "the standardised {0} data are off by up to {1}: subtract the training mean and divide by the training standard "
    "deviation (np.std, ddof=0)":
        "标准化后的{0}数据最多偏差 {1}：请减去训练集的均值，再除以训练集的标准差（np.std，ddof=0）",
    "training": "训练",
    "test": "测试",

    # --- 03 initialisation (utils/initialization) --------------------------------------------------------------
    "Ten tanh layers of 500 units, no biases, weights drawn from N(0, 1) (s = 1), inputs from N(0, 1). What does the "
    "histogram of layer 10's activations look like?":
        "十个 tanh 层，每层 500 个单元，无偏置，权重取自 N(0, 1)（s = 1），输入取自 N(0, 1)。第 10 "
        "层激活值的直方图是什么样子？",
    "a narrow spike at 0": "0 处的一个窄尖峰",
    "a bell curve about as wide as layer 1's": "一条钟形曲线，宽度和第 1 层的差不多",
    "two spikes, at −1 and +1": "两个尖峰，分别在 −1 和 +1",
    "Each pre-activation sums 500 terms of std 1, so its std is about √500 ≈ 22, and tanh of a number that large is "
    "±1. The units are saturated.":
        "每个预激活是 500 个标准差为 1 的项之和，所以它的标准差约为 √500 ≈ 22，而 tanh 作用在这么大的数上就是 ±1。"
        "这些单元饱和了。",
    "In the same saturated tanh net (weights N(0, 1)), a gradient of std 1 arrives at layer 10 and is "
    "back-propagated down to layer 1. What is its std at layer 1?":
        "在同一个饱和的 tanh 网络中（权重为 N(0, 1)），一个标准差为 1 的梯度到达第 10 层，再反向传播到第 1 层。"
        "它在第 1 层的标准差是多少？",
    "much smaller than at layer 10 (it vanishes)": "比第 10 层小得多（梯度消失）",
    "about the same": "差不多",
    "much larger than at layer 10 (it explodes)": "比第 10 层大得多（梯度爆炸）",
    "tanh′ is close to 0 for most units, but not for all, and every step down multiplies by Wᵀ, whose entries have "
    "std 1 over 500 inputs (a factor of about √500 ≈ 22). Here the large weights have the larger effect.":
        "对大多数单元来说 tanh′ 接近 0，但并非全部如此；而每往下传一层都要乘以 Wᵀ，它的元素标准差为 1、共 500 "
        "个输入（约为 √500 ≈ 22 的因子）。在这里，大权重的作用更大。",
    "A ReLU net of 20 layers of 250 units with Xavier normal weights (the explorer's default setting). How wide is "
    "layer 20's histogram?":
        "一个 20 层、每层 250 个单元的 ReLU 网络，用 Xavier 正态初始化（探索器的默认设置）。第 20 层的直方图有多宽？",
    "about as wide as layer 1's (within 2×)": "和第 1 层差不多宽（相差不到 2 倍）",
    "2 to 100 times narrower than layer 1's": "比第 1 层窄 2 到 100 倍",
    "100 to 10 000 times narrower than layer 1's": "比第 1 层窄 100 到 10 000 倍",
    "every value exactly 0": "每个值都恰好为 0",
    "Xavier's variance 1/250 (fan-in = fan-out) keeps the variance of a zero-mean input, but ReLU sets half of its "
    "input to 0 and halves E[x²]; so each layer multiplies the std by about 1/√2, and (1/√2)^19 ≈ 0.0014.":
        "Xavier 的方差 1/250（扇入 = 扇出）能保持零均值输入的方差，但 ReLU 把一半输入置零，使 E[x²] 减半；"
        "所以每一层把标准差乘以约 1/√2，而 (1/√2)^19 ≈ 0.0014。",
    "An untrained ReLU net for the 10 digit classes, Kaiming weights, with its last layer's weights multiplied by "
    "0.01. What is its cross-entropy loss on the training set, before any step?":
        "一个未经训练、用于 10 类数字的 ReLU 网络，Kaiming 权重，最后一层的权重乘以 0.01。在迈出任何一步之前，"
        "它在训练集上的交叉熵损失是多少？",
    "The loss is {0}, and ln 10 = {1}: with a tiny last layer every logit is close to 0, so the net predicts 1/10 "
    "for every class, and −ln(1/10) = ln 10.":
        "损失是 {0}，而 ln 10 = {1}：最后一层很小时，每个 logit 都接近 0，网络对每一类都预测 1/10，而 −ln(1/10) = ln "
        "10。",
    "your std": "你的标准差",
    "{0} is not it: Kaiming's std is gain / sqrt(fan), with the fan counted for mode={1} as channels × kh × kw.":
        "不是 {0}：Kaiming 的标准差是 gain / sqrt(fan)，其中 mode={1} 的 fan 按 通道数 × kh × kw 计算。",
    "Correct: std = {0} / sqrt({1}) = {2}.": "正确：std = {0} / sqrt({1}) = {2}。",
    "that is the variance g²/fan; the std is its square root": "这是方差 g²/fan；标准差是它的平方根",
    "you divided by {0} = {1}; mode={2} uses {3} = {4}": "你除以的是 {0} = {1}；mode={2} 用的是 {3} = {4}",
    "you forgot the kernel: {0} = channels × kh × kw = {1} × {2} = {3}":
        "你忘了卷积核：{0} = 通道数 × kh × kw = {1} × {2} = {3}",
    "you left out the gain: {0}'s gain is {1}": "你漏了增益：{0} 的增益是 {1}",
    "you used the gain squared ({0}); the std uses the gain {1}": "你用的是增益的平方（{0}）；标准差用的是增益 {1}",
    "that is Xavier's std sqrt(2 / (fan_in + fan_out)), not Kaiming's":
        "这是 Xavier 的标准差 sqrt(2 / (fan_in + fan_out))，不是 Kaiming 的",
    "that is the variance computed with the gain squared; the std is its square root":
        "这是用增益的平方算出的方差；标准差是它的平方根",
    "a std must be positive, got {0}": "标准差必须为正，收到的是 {0}",
    "{0} is not it: {1}.": "不是 {0}：{1}。",
    "your gain": "你的增益",
    "with g = {0} layer {1}'s pre-activation std settles at {2}": "g = {0} 时，第 {1} 层预激活的标准差稳定在 {2}",
    "5/3 is the value torch.nn.init.calculate_gain rounds to; it keeps the std a little above 1: go lower":
        "5/3 是 torch.nn.init.calculate_gain 取的近似值；它让标准差略高于 1：再低一些",
    "a gain between 0 and 10 is expected (it multiplies 1/sqrt(fan_in)), got {0}":
        "增益应当在 0 到 10 之间（它乘在 1/sqrt(fan_in) 上），收到的是 {0}",
    "Correct: with g = {0} layer {1}'s pre-activation std is {2}.": "正确：g = {0} 时，第 {1} 层预激活的标准差是 {2}。",
    "gain 1 (Xavier, LeCun) lets tanh shrink the spread a little at every layer: go higher":
        "增益 1（Xavier、LeCun）会让 tanh 每层都把分布收窄一点：再高一些",
    "√2 is ReLU's gain: tanh does not zero half its input, it only squashes the large values":
        "√2 是 ReLU 的增益：tanh 不会把一半输入置零，它只压缩大的值",
    "25/9 is (5/3)², a factor for the variance; the gain multiplies the std":
        "25/9 是 (5/3)²，是方差的因子；增益乘的是标准差",
    "raise the gain": "调高增益",
    "lower the gain": "调低增益",
    "√2 is ReLU's gain: ReLU sets half its input to 0, so E[relu(z)²] = Var[z]/2.  max(a, b) is never zeroed: "
    "E[max(a, b)²] = Var[a]":
        "√2 是 ReLU 的增益：ReLU 把一半输入置零，所以 E[relu(z)²] = Var[z]/2。max(a, b) 从不被置零：E[max(a, b)²] = "
        "Var[a]",
    "{0} (with g = {1} layer 30's std is {2}, the input's is 1)": "{0}（g = {1} 时第 30 层的标准差是 {2}，输入的是 1）",
    "{0}: {1}.": "{0}：{1}。",
    "Correct: E[max(a, b)²] = Var[a], so the layer keeps E[x²] = Var[z] and needs n·Var[w] = 1, i.e. gain 1.":
        "正确：E[max(a, b)²] = Var[a]，所以这一层保持 E[x²] = Var[z]，需要 n·Var[w] = 1，即增益为 1。",
    "2 is a factor for the variance (ReLU's), not the gain, and Maxout does not halve E[x²] anyway":
        "2 是方差的因子（ReLU 的），不是增益，何况 Maxout 并不会让 E[x²] 减半",
    "that would halve the variance at every layer": "这会让方差每层减半",
    "5/3 is tanh's gain": "5/3 是 tanh 的增益",
    "work out E[max(a, b)²] for independent a, b ~ N(0, σ²): max² + min² = a² + b²":
        "对独立的 a, b ~ N(0, σ²) 算出 E[max(a, b)²]：max² + min² = a² + b²",

    # --- 04 batch normalisation (utils/batch_normalization) ----------------------------------------------------
    "The trained network is left in train mode. One validation image is put into 20 random batches of 16. By how "
    "much does one of its logits change, at most, from batch to batch? (In eval mode: 0.)":
        "训练好的网络仍处于训练模式。把一张验证图像放进 20 个随机组成、大小为 16 的批量中。它的某个 logit "
        "在不同批量之间最多变化多少？（在评估模式下为 0。）",
    "In train mode BN normalises with the mean and variance of the current batch, so the other 15 images change this "
    "image's logits: here by up to {0}. In eval mode BN uses the running averages, and the logits do not change at "
    "all.":
        "在训练模式下，BN 用当前批量的均值和方差做归一化，所以另外 15 张图像会改变这张图像的 logit：这里最多变化 "
        "{0}。在评估模式下，BN 使用滑动平均，logit 完全不变。",
    "The trained network is left in train mode and gets a batch of ONE image. What happens?":
        "训练好的网络仍处于训练模式，收到一个只含一张图像的批量。会发生什么？",
    "the same logits as in eval mode": "logit 与评估模式下相同",
    "the same logits for every image": "每张图像的 logit 都相同",
    "an error": "报错",
    "A batch of one has variance 0, so every normalised value would be 0 and every output would be beta, whatever "
    "the image. PyTorch's BatchNorm1d refuses: it raises a ValueError ('Expected more than 1 value per channel when "
    "training').":
        "只含一个样本的批量方差为 0，于是每个归一化后的值都会是 0，每个输出都会是 beta，与图像无关。PyTorch 的 "
        "BatchNorm1d 拒绝这样做：它抛出 ValueError（'Expected more than 1 value per channel when training'）。",
    "A BN network is trained with beta frozen at 0, so each ReLU gets gamma * x̂. On the validation set, what "
    "fraction of the first hidden layer's ReLUs is active (output > 0)?":
        "训练一个 BN 网络时把 beta 固定为 0，于是每个 ReLU 得到的是 gamma * x̂。在验证集上，第一个隐藏层的 ReLU "
        "有多大比例处于激活状态（输出 > 0）？",
    "{0}: x̂ has mean 0 over the batch, so about half of the values are positive; a little less here, because these "
    "inputs are skewed and their median lies below their mean.":
        "{0}：x̂ 在批量上的均值为 0，所以大约一半的值为正；这里略少于一半，因为这些输入是偏斜的，中位数低于均值。",
    "With BN, the weights start at s times the He scale. After 80 steps, which s has the highest training loss (mean "
    "over 3 seeds)?":
        "使用 BN 时，权重的初始尺度是 He 尺度的 s 倍。训练 80 步后，哪个 s 的训练损失最高（3 个种子的平均）？",
    "s = {0}. BN removes the scale from each layer's output, but not from its gradient: the gradient of a "
    "scale-invariant layer shrinks like 1/|W|, so large weights take smaller effective steps and train slowest.":
        "s = {0}。BN 消除了每层输出中的尺度，却没有消除梯度中的尺度：尺度不变的层，其梯度按 1/|W| 缩小，"
        "所以权重越大，实际步长越小，训练得越慢。",
    "The same network is trained with BatchNorm and with GroupNorm at batch size 64 and at batch size 2 (same "
    "steps). Which loses more validation accuracy going from 64 down to 2?":
        "同一个网络分别用 BatchNorm 和 GroupNorm 训练，批量大小为 64 和 2（步数相同）。批量大小从 64 降到 2 时，"
        "哪一个的验证准确率损失更多？",
    "With two examples, BN's normalised values are exactly +1 and -1 in training, whatever the inputs; and the "
    "running statistics it uses in eval mode come from such noisy pairs. GroupNorm never looks across the batch.":
        "只有两个样本时，BN 在训练中归一化后的值恰好是 +1 和 -1，与输入无关；而它在评估模式下使用的滑动统计量，"
        "也来自这样充满噪声的样本对。GroupNorm 从不跨批量取统计量。",
    "your function returns x unchanged: subtract each column's batch mean, divide by sqrt(var + eps), then scale by "
    "gamma and shift by beta":
        "你的函数原样返回了 x：请减去每一列的批量均值，除以 sqrt(var + eps)，再乘以 gamma、加上 beta",
    "you returned the normalised x̂ but forgot gamma and beta: the output is gamma * x̂ + beta":
        "你返回了归一化后的 x̂，却忘了 gamma 和 beta：输出应为 gamma * x̂ + beta",
    "you forgot gamma: the output is gamma * x̂ + beta": "你忘了 gamma：输出应为 gamma * x̂ + beta",
    "you forgot beta: the output is gamma * x̂ + beta": "你忘了 beta：输出应为 gamma * x̂ + beta",
    "gamma and beta are swapped: gamma scales x̂, beta shifts it": "gamma 和 beta 弄反了：gamma 缩放 x̂，beta 平移它",
    "you normalised along the wrong axis: each ROW (one example over its features). BN normalises each COLUMN (one "
    "feature over the batch): use axis=0":
        "你沿错误的轴做了归一化：你归一化的是每一行（一个样本的各个特征）。BN "
        "归一化的是每一列（一个特征在整个批量上的取值）：请用 axis=0",
    "you normalised each row (axis=1) and forgot gamma and beta: BN normalises each column (axis=0), then computes "
    "gamma * x̂ + beta":
        "你归一化的是每一行（axis=1），还忘了 gamma 和 beta：BN 归一化每一列（axis=0），再计算 gamma * x̂ + beta",
    "close: you divided by the UNBIASED std (ddof=1); the forward pass uses the biased batch variance, np.var(x, "
    "axis=0)":
        "很接近了：你除以的是无偏标准差（ddof=1）；前向传播用的是有偏的批量方差 np.var(x, axis=0)",
    "eps belongs inside the square root: sqrt(var + eps)": "eps 应当在平方根里面：sqrt(var + eps)",
    "you divided by the variance; divide by the standard deviation sqrt(var + eps)":
        "你除以的是方差；应当除以标准差 sqrt(var + eps)",
    "you forgot to subtract the batch mean of each column": "你忘了减去每一列的批量均值",
    "pass your function itself (e.g. my_batchnorm_forward), got {0}":
        "请传入函数本身（例如 my_batchnorm_forward），收到的是 {0}",
    "your function returned None: return an array of shape {0}": "你的函数返回了 None：请返回形状为 {0} 的数组",
    "return only the output array (shape {0}), not a tuple": "只返回输出数组（形状为 {0}），不要返回元组",
    "return an array of shape {0}, got {1}": "请返回形状为 {0} 的数组，收到的形状是 {1}",
    "your batch-norm output": "你的批量归一化输出",
    "dx treats the batch mean and variance as constants (that is the eval-mode gradient). In training, mu and var "
    "depend on every x_i: add the paths x -> mu -> x̂ and x -> var -> x̂ of the graph":
        "dx 把批量均值和方差当成了常数（那是评估模式下的梯度）。训练时 mu 和 var 依赖于每个 x_i：请加上计算图中 x -> "
        "mu -> x̂ 和 x -> var -> x̂ 这两条路径",
    "dx has the path through the batch mean but not the one through the variance (x -> var -> x̂)":
        "dx 包含了经过批量均值的路径，却缺了经过方差的那条（x -> var -> x̂）",
    "dx has the path through the variance but not the one through the batch mean (x -> mu -> x̂, and mu -> var)":
        "dx 包含了经过方差的路径，却缺了经过批量均值的那条（x -> mu -> x̂，以及 mu -> var）",
    "dx forgot gamma: the gradient arriving at x̂ is dx̂ = gamma * dout":
        "dx 忘了 gamma：到达 x̂ 的梯度是 dx̂ = gamma * dout",
    "dx uses the UNBIASED variance; the forward pass, and so the graph, uses np.var(x, axis=0)":
        "dx 用的是无偏方差；前向传播（因而计算图）用的是 np.var(x, axis=0)",
    "dgamma multiplies dout by x; it must be x̂ (y = gamma * x̂ + beta)":
        "dgamma 把 dout 乘以了 x；应当乘以 x̂（y = gamma * x̂ + beta）",
    "dgamma and dbeta look swapped: dgamma = sum(dout * x̂), dbeta = sum(dout)":
        "dgamma 和 dbeta 似乎弄反了：dgamma = sum(dout * x̂)，dbeta = sum(dout)",
    "dgamma: SUM over the batch, not the mean": "dgamma：应对批量求和，而不是求平均",
    "dbeta: SUM over the batch, not the mean": "dbeta：应对批量求和，而不是求平均",
    "walk the graph x -> mu -> var -> x̂ -> y backwards and add up every path that reaches x":
        "沿计算图 x -> mu -> var -> x̂ -> y 反向走一遍，把所有到达 x 的路径加起来",
    "which values does gamma multiply in y = gamma * x̂ + beta?": "在 y = gamma * x̂ + beta 中，gamma 乘的是哪些值？",
    "beta is added to every example's output": "beta 加在每个样本的输出上",
    "Correct! All three gradients match PyTorch's autograd.": "正确！三个梯度都与 PyTorch 自动微分的结果一致。",
    "pass your function itself (e.g. my_batchnorm_backward), got {0}":
        "请传入函数本身（例如 my_batchnorm_backward），收到的是 {0}",
    "return three arrays (dx, dgamma, dbeta), got {0}": "请返回三个数组（dx, dgamma, dbeta），收到的是 {0}",
    "all three gradients are zero: replace the placeholder with your backward pass":
        "三个梯度全为零：请把占位符换成你的反向传播",
    "{0} should be an array of numbers, got {1}": "{0} 应当是数值数组，收到的是 {1}",
    "{0} has shape {1}, expected {2} (sum over the batch, axis 0)": "{0}的形状是 {1}，应为 {2}（对批量求和，axis 0）",
    "{0} is off by up to {1}: {2}": "{0} 最多偏差 {1}：{2}",
    "{0}; {1}": "{0}；{1}",
    "your running_var": "你的 running_var",
    "replace the placeholder with your number, then run the cell again": "请把占位符换成你的数，再运行这个单元格",
    "give a number, not text: got {0}": "请给出一个数，而不是文本：收到的是 {0}",
    "close: PyTorch stores the UNBIASED variance, m/(m-1) times the batch's biased variance":
        "很接近了：PyTorch 存的是无偏方差，即批量有偏方差的 m/(m-1) 倍",
    "you swapped the weights: PyTorch's momentum=0.1 is the weight of the NEW batch":
        "你把两个权重弄反了：PyTorch 的 momentum=0.1 是新批量的权重",
    "a fresh BatchNorm1d starts with running_var = 1, not 0": "新建的 BatchNorm1d 的初始值是 running_var = 1，不是 0",
    "that is the plain average of the batches; the running value is an exponential moving average that starts at 1":
        "这是各批量的简单平均；running 值是从 1 开始的指数滑动平均",
    "you applied only the last batch's update; apply one update per batch, in order":
        "你只做了最后一个批量的更新；请按顺序每个批量更新一次",
    "the folded layer does not reproduce Linear + BatchNorm1d in eval mode":
        "折叠后的层没有复现评估模式下 Linear + BatchNorm1d 的输出",
    "Correct! The folded layer gives the same outputs as Linear followed by BatchNorm1d in eval mode.":
        "正确！折叠后的层与评估模式下 Linear 接 BatchNorm1d 的输出相同。",
    "pass your function itself (e.g. my_fold), got {0}": "请传入函数本身（例如 my_fold），收到的是 {0}",
    "{0} (the scale has one entry per OUTPUT unit, i.e. per ROW of the weight: scale[:, None] * W)":
        "{0}（scale 对每个输出单元有一个值，即权重的每一行一个：scale[:, None] * W）",
    "return two arrays (new_weight, new_bias), got {0}": "请返回两个数组（new_weight, new_bias），收到的是 {0}",
    "the weight must change too: multiply each row by gamma / sqrt(var + eps)":
        "权重也必须改变：把每一行乘以 gamma / sqrt(var + eps)",
    "the weight scale forgot gamma": "权重的缩放忘了 gamma",
    "divide by the std sqrt(var + eps), not the variance": "应当除以标准差 sqrt(var + eps)，而不是方差",
    "eps belongs inside the square root: sqrt(running_var + eps)": "eps 应当在平方根里面：sqrt(running_var + eps)",
    "the bias forgot the running mean: b' = scale * (b - mean) + beta":
        "偏置忘了滑动均值：b' = scale * (b - mean) + beta",
    "the bias forgot the scale: b' = scale * (b - mean) + beta": "偏置忘了缩放：b' = scale * (b - mean) + beta",
    "the bias forgot beta: b' = scale * (b - mean) + beta": "偏置忘了 beta：b' = scale * (b - mean) + beta",
    "the bias must change too: b' = scale * (b - mean) + beta": "偏置也必须改变：b' = scale * (b - mean) + beta",
    "subtract the running mean: b' = scale * (b - mean) + beta": "请减去滑动均值：b' = scale * (b - mean) + beta",
    "keep the Linear layer's own bias b: b' = scale * (b - mean) + beta":
        "请保留 Linear 层自身的偏置 b：b' = scale * (b - mean) + beta",
    "{0} is off by up to {1}": "{0} 最多偏差 {1}",
    "your function raised {0}: {1}": "你的函数抛出了 {0}：{1}",
}
