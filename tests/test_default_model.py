"The shipped default model: it is in the package, it is what `segment` and `live` use, and its heatmaps sit on grains."
import json, subprocess, sys
from pathlib import Path
import numpy as np, cv2
from camnet_nb.pipeline import DEFAULT_MODEL, project_samples
from camnet_nb.deploy import load_heatmap_model, onnx_input_range
from camnet_nb.data import load_folder, read_image, read_gray
from camnet_nb.synth import mask_path_for

BIN = Path(sys.executable).parent
def run(*a, **kw): return subprocess.run([str(BIN/'camnet'), *map(str, a)], capture_output=True, text=True, timeout=600, **kw)

def test_shipped_files_and_model_card():
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.with_suffix('.onnx').is_file()
    card = json.loads(Path(str(DEFAULT_MODEL) + '.json').read_text())
    assert card['student'] == 'camnet' and card['params'] <= 800_000
    assert {'data', 'teacher', 'pseudo_labels', 'student', 'reproduce', 'rule'} <= set(card['model_card'])

def test_shipped_heatmaps_are_higher_on_grains():
    "On the committed samples (not seen in training), mean heatmap inside grains beats outside on most images."
    f = load_folder(project_samples()/'images'); fn = load_heatmap_model(); wins = []
    for it in f['train'] + f['val'] + f['test']:
        img = read_image(it.path); gt = read_gray(mask_path_for(it.path)) > 127; h = fn(img)
        assert h.shape == gt.shape and 0 <= h.min() and h.max() <= 1
        if gt.any() and (~gt).any(): wins.append(h[gt].mean() > h[~gt].mean())
    assert np.mean(wins) > 0.7, np.mean(wins)

def test_torch_and_onnx_give_the_same_heatmap():
    img = read_image(next((project_samples()/'images'/'oolitic').glob('*.png')))
    a, b = load_heatmap_model(DEFAULT_MODEL)(img), load_heatmap_model()(img)
    assert onnx_input_range(DEFAULT_MODEL.with_suffix('.onnx')) == 1.0   # the shipped ONNX says how it takes its pixels
    assert np.abs(a - b).max() < 1e-3

def test_segment_without_model_uses_the_shipped_one(tmp_path):
    src = next((project_samples()/'images'/'bioclastic').glob('*.png'))
    r = run('segment', '--input', src, '--out', tmp_path/'o')
    assert r.returncode == 0, r.stderr
    m = cv2.imread(str(tmp_path/'o'/(src.stem + '.png')), 0)
    assert m.shape == (256, 256) and set(np.unique(m)) <= {0, 255} and (m > 0).any()
