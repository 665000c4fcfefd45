"The fast GLCM equals the plain one; refinement and secondary information behave."
import subprocess, sys
import numpy as np, pytest, cv2
from hypothesis import given, settings, strategies as st
from camnet_nb.texture import (glcm_feature, glcm_feature_reference, GLCM_FEATURES, refine_fast, refine_random_walker,
                               composite_rate, secondary_info, fuse_paper, fuse_texture, region_descriptors)
from camnet_nb.synth import make_thin_section, soft_heatmap

@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([1, 2, 4]), st.sampled_from([0, 45, 90, 135]),
       st.sampled_from([4, 8]), st.sampled_from([3, 5]))
def test_fast_equals_reference_random(seed, d, ang, levels, ks):
    g = np.random.default_rng(seed).integers(0, 256, (23, 31), dtype=np.uint8)
    for f in GLCM_FEATURES:
        np.testing.assert_allclose(glcm_feature(g, f, levels, ks, d, ang), glcm_feature_reference(g, f, levels, ks, d, ang), atol=2e-3, rtol=1e-4)

def test_unknown_feature():
    with pytest.raises(ValueError, match='unknown GLCM feature'): glcm_feature(np.zeros((8, 8), np.uint8), 'beauty')

def _hm(gt, seed=0): return soft_heatmap(gt, blur=5, noise=0.05, seed=seed)

def test_refinement_degenerate_seeds():
    img = np.zeros((32, 32, 3), np.uint8)
    assert not refine_fast(img, np.zeros((32, 32), np.float32)).any()
    assert refine_fast(img, np.ones((32, 32), np.float32)).all()

def test_secondary_info():
    img = np.zeros((4, 4, 3), np.uint8); img[:, 2:] = 255; mask = np.zeros((4, 4)); mask[0] = 1
    s = secondary_info(img, mask)
    assert s['cr'] == 0.25 and np.isclose(s['entropy'], 1.0) and np.isclose(s['imp'], 0.25)
    assert composite_rate(np.zeros((0,))) == 0.0

def test_fusions_in_range():
    rng = np.random.default_rng(0); hm = rng.random((16, 16)).astype(np.float32); t = rng.random((16, 16))
    for f in (fuse_paper(hm, t), fuse_paper(hm, t, invert=True), fuse_texture(hm, t)):
        assert f.shape == hm.shape and f.min() >= 0 and f.max() <= 1

def test_region_descriptors_paper_settings():
    d = region_descriptors(make_thin_section('peloidal', (128, 128), seed=0)[0])
    assert 'contrast@10,135' in d and 'homogeneity@100,45' in d and not any('@500' in k for k in d)

def test_edge_modules_import_without_torch():
    code = ("import sys\nfor m in ('torch', 'torchvision', 'nbdev'): sys.modules[m] = None\n"
            "import numpy as np\nfrom camnet_nb.texture import glcm_feature, secondary_info\nfrom camnet_nb.synth import SyntheticStream\n"
            "f, m = next(iter(SyntheticStream((64, 64), n_frames=1)))\nprint(glcm_feature(f).shape, secondary_info(f, m)['cr'] >= 0)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0 and '(64, 64) True' in r.stdout, r.stderr
