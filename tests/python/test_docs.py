"""The examples of docs/python.md run, in order, in one namespace."""

import os
import pathlib
import re

ROOT = pathlib.Path(os.environ.get("APPC_SOURCE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
DOC = ROOT / "docs" / "python.md"


def test_python_md_examples_run():
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), re.M | re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{DOC}:block{i}", "exec"), namespace)
