"""The README's quick start runs as written."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    quick_start = blocks[0]
    assert "import engram" in quick_start
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(quick_start, str(README), "exec"), {})
    assert "[0 1 2 3]" in output.getvalue()
