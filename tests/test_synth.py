"The synthetic generator: determinism, alignment, the committed samples."
import json
from pathlib import Path
import numpy as np, cv2, pytest
from camnet_nb.synth import make_thin_section, SYNTH_CLASSES, SyntheticStream

SAMPLES = Path(__file__).resolve().parent.parent/'data_samples'

@pytest.mark.parametrize('cls', SYNTH_CLASSES)
def test_every_class_has_aligned_grains(cls):
    img, mask, labels = make_thin_section(cls, (160, 192), seed=5)
    assert img.shape == (160, 192, 3) and mask.shape == labels.shape == (160, 192)
    assert np.array_equal(mask.astype(bool), labels > 0)
    assert 0 < mask.mean() < 0.9
    # components are consecutive ids
    ids = np.unique(labels); assert np.array_equal(ids, np.arange(len(ids)))

def test_grains_differ_from_matrix():
    # the mask is visible in the image: grain pixels differ in colour from the rest
    for cls in SYNTH_CLASSES:
        img, mask, _ = make_thin_section(cls, (256, 256), seed=1, features={})
        g, m = img[mask == 1].mean(0), img[mask == 0].mean(0)
        assert np.abs(g - m).max() > 15, cls

def test_unknown_class():
    with pytest.raises(ValueError, match='unknown synthetic class'): make_thin_section('granite')

def test_committed_samples_are_what_synth_makes(tmp_path):
    man = json.loads((SAMPLES/'manifest.json').read_text())
    assert set(man['classes']) == set(SYNTH_CLASSES) and (SAMPLES/man['clip']).stat().st_size < 5e6
    for f in man['files'][::7]:
        img, mask, _ = make_thin_section(f['cls'], tuple(man['size']), seed=f['seed'])
        assert np.array_equal(cv2.imread(str(SAMPLES/f['image']))[..., ::-1], img), f['image']
        assert np.array_equal(cv2.imread(str(SAMPLES/f['mask']), 0), mask * 255)

def test_stream_moves_and_stops():
    st = SyntheticStream((96, 96), seed=1, n_frames=300)
    fr = [f for f, _ in st]
    d = np.array([np.abs(fr[i+1].astype(int) - fr[i]).mean() for i in range(len(fr) - 1)])
    assert (d == 0).sum() > 100 and (d > 1).sum() > 20    # still scenes and motion
    f, m = st.frame(50); assert m.shape == f.shape[:2]

def test_clip_is_readable():
    cap = cv2.VideoCapture(str(SAMPLES/'stream.avi'))
    ok, fr = cap.read(); cap.release()
    assert ok and fr.shape[2] == 3
