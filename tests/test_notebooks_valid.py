"Every notebook is valid nbformat 4: Jupyter opens it (nbdev_test runs code cells and would not notice a broken markdown cell)."
from pathlib import Path
import pytest
nbformat = pytest.importorskip('nbformat')

NBS = sorted((Path(__file__).parent.parent/'nbs').glob('*.ipynb'))

@pytest.mark.parametrize('path', NBS, ids=[p.name for p in NBS])
def test_notebook_is_valid(path):
    nbformat.validate(nbformat.read(path, as_version=4))
