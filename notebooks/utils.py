"""A signpost, not the course's helpers (those are in the repository's utils/ folder).

A notebook's kernel starts in this folder, where `import utils` finds this file until the notebook's set-up cell
has put the course folder first on the import path.  So running the imports before the set-up cell ends here, with
a message that says what to do instead of a bare "No module named 'utils'".
"""

raise ModuleNotFoundError(
    "The course's `utils` package is not importable yet: run the notebook's set-up cell first (its first code cell, "
    "\"# Set-up: ...\"), then this cell again; or use Run > Run All Cells.",
    name="utils")
