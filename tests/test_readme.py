"The README's Python lines run as they stand, from the repository's root."
import os, re, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def python_blocks(text:str) -> list[str]:
    "The ```python blocks of a Markdown text."
    return re.findall(r"```python\n(.*?)```", text, re.S)

def test_readme_python_runs(tmp_path, monkeypatch):
    blocks = python_blocks((ROOT/'README.md').read_text())
    assert blocks, "the README has no Python example"
    # its own root, so that outputs/ lands in a temporary folder
    shutil.copytree(ROOT/'data_samples', tmp_path/'data_samples')
    monkeypatch.chdir(tmp_path)
    for code in blocks: exec(compile(code, 'README.md', 'exec'), {})
    assert (tmp_path/'outputs'/'py_rock.onnx').is_file() and (tmp_path/'outputs'/'py_masks'/'summary.csv').is_file()
