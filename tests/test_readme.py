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

def camnet_commands(text:str) -> list[tuple[str, str]]:
    "(sub-command, the rest) of every `camnet ...` in a Markdown text: inline code, and the lines of code blocks."
    found = [(m.group(1), m.group(2)) for m in re.finditer(r"`camnet ([a-z][\w-]*)([^`]*)`", text)]
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.replace('\\\n', ' ').split('\n'):
            m = re.search(r"(?:^|\s)camnet ([a-z][\w-]*)(.*)", line.split('#')[0])   # a comment may name options
            if m: found.append((m.group(1), m.group(2)))
    return found

@pytest.mark.parametrize('doc', ['README.md', 'docs/choices.md'])
def test_documented_commands_name_options_their_command_takes(doc):
    "Each `camnet SUB ... --option` in the docs: SUB is a command, and it takes --option (a renamed option shows here)."
    import argparse
    from camnet_nb.cli import build_parser
    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    commands = camnet_commands((ROOT/doc).read_text())
    assert len(commands) >= (50 if doc == 'README.md' else 1), len(commands)
    wrong = [(sub, o) for sub, rest in commands for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest)
             if sub not in subs or o not in subs[sub]._option_string_actions]
    wrong += [(sub, 'is no command') for sub, _ in commands if sub not in subs]
    assert not wrong, wrong
