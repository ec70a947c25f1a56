"""The README's Python quick start runs as written."""

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_python_quick_start_rents_a_gpu_second_by_second():
    section = README.split("\n## Python\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    owed = [int(line.split()[1].rstrip(",")) for line in lines]
    assert len(owed) == 3 and owed == sorted(owed) and owed[-1] > 0, lines
    assert all(line.endswith(" s left") for line in lines), lines
