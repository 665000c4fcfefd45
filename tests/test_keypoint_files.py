"The key points shipped in nbs/keypoints: well formed, both sides on every image, and (where ../shared/data is here) every image found."
import json
from pathlib import Path

import pytest

from camnet_nb.teach import SIDES, read_points

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent/'shared'/'data'
FILES = sorted((ROOT/'nbs'/'keypoints').glob('*.json'))


def test_there_are_key_point_files():
    assert {f.stem for f in FILES} >= {'presalt_dev', 'presalt_spherulites', 'presalt_train_grains', 'lithology3_dev'}


@pytest.mark.parametrize('f', FILES, ids=lambda f: f.stem)
def test_key_points_are_well_formed(f, tmp_path):
    spec = json.loads(f.read_text(encoding='utf-8'))
    assert isinstance(spec.get('about'), str) and spec['about'], f"{f.name}: says what its points are in 'about'"
    names = list(spec['images'])
    assert all(not Path(n).is_absolute() and '\\' not in n for n in names), f"{f.name}: paths relative, with '/'"
    missing = {}
    # every entry checked (0..1, pairs, sides) without the images: they are collected as missing
    read_points(f, tmp_path, missing=missing)
    assert len(missing) == len(names)
    for path, pts in missing.items():
        assert all(len(pts[s]) for s in SIDES), f"{f.name}: {path} lacks a side"


@pytest.mark.skipif(not DATA.is_dir(), reason='needs ../shared/data')
@pytest.mark.parametrize('f', FILES, ids=lambda f: f.stem)
def test_key_point_images_are_there(f):
    spec = read_points(f, DATA)   # raises, naming the entry, for an image that is not there
    assert len(spec) == len(json.loads(f.read_text(encoding='utf-8'))['images'])
