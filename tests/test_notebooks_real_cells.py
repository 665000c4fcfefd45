"Every cell flagged `real` runs on a machine without ../shared: it checks that its data is there and says in one line that it skips."
import json, re
from pathlib import Path
import pytest

NBS = sorted((Path(__file__).parent.parent/'nbs').glob('*.ipynb'))

def real_cells(path):
    "The source of each code cell flagged `#| real` in a notebook."
    cells = json.loads(path.read_text())['cells']
    return [''.join(c['source']) for c in cells
            if c['cell_type'] == 'code' and re.match(r'#\|\s*real\b', ''.join(c['source']))]

@pytest.mark.parametrize('path', NBS, ids=[p.name for p in NBS])
def test_real_cells_skip_without_the_data(path):
    for src in real_cells(path):
        # Run All in Jupyter stops at a cell that raises: each one decides at its top level whether to run
        guarded = any(re.match(r'if\b', line) for line in src.splitlines())
        assert guarded, f"{path.name}: a `real` cell runs without checking that its data is there:\n{src[:300]}"

def test_the_flag_is_found():
    assert sum(len(real_cells(p)) for p in NBS) >= 20
