"""The README's Python examples run as written, in order, in one namespace (so the README
stays true to the code); each block's assertions are part of the test."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples():
    assert len(python_blocks()) >= 5


def test_readme_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                       # the examples write files (a checkpoint)
    namespace: dict = {}
    for k, block in enumerate(python_blocks()):
        exec(compile(block, f"README.md python block {k + 1}", "exec"), namespace)   # noqa: S102
    assert (tmp_path / "lenet.safetensors").exists()
    printed = capsys.readouterr().out
    assert "Wald" in printed or "std err" in printed      # the fit's summary table was printed
