"""路标，不是课程的辅助代码（辅助代码在仓库的 utils/ 文件夹里）。A signpost: see ../utils.py.

notebook 的内核从这个文件夹启动；在设置单元格把课程文件夹放到导入路径最前面之前，`import utils` 找到的是这个文件。
所以在设置单元格之前运行导入单元格，会得到一条说明该怎么做的消息，而不是一句光秃秃的 "No module named 'utils'"。
"""

raise ModuleNotFoundError(
    "课程的 `utils` 包还不能导入：请先运行这个 notebook 的设置单元格（第一个代码单元格，以 “# Set-up” 开头），"
    "再运行这个单元格；或者选择 Run > Run All Cells 运行全部单元格。",
    name="utils")
