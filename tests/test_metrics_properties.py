"Property tests of the metrics (hypothesis) and checks against scikit-learn."
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import jaccard_score, recall_score, roc_auc_score
from camnet_nb.metrics import seg_metrics, dataset_metrics, classification_metrics, confusion

masks = arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 12)))

@settings(max_examples=150, deadline=None)
@given(st.data())
def test_ranges_and_symmetry(data):
    g = data.draw(masks); p = data.draw(arrays(np.bool_, g.shape))
    m = seg_metrics(p, g)
    assert all(0 <= v <= 1 for v in m.values())
    r = seg_metrics(g, p)  # swapping prediction and truth swaps precision/recall, keeps IoU and Dice
    assert np.isclose(m['iou'], r['iou']) and np.isclose(m['dice'], r['dice']) and np.isclose(m['miou'], r['miou'])
    assert np.isclose(m['precision'], r['recall'])
    # inverting both masks swaps the two classes: mIoU is unchanged
    assert np.isclose(m['miou'], seg_metrics(~p, ~g)['miou'])

@settings(max_examples=100, deadline=None)
@given(masks)
def test_perfect_prediction(g):
    m = seg_metrics(g, g)
    assert m['miou'] == m['dice'] == m['accuracy'] == m['mpa'] == m['f1'] == 1.0

@settings(max_examples=100, deadline=None)
@given(st.data())
def test_against_sklearn(data):
    g = data.draw(masks); p = data.draw(arrays(np.bool_, g.shape))
    if g.any() and (~g).any() and p.any() and (~p).any():
        m = seg_metrics(p, g)
        assert np.isclose(m['miou'], jaccard_score(g.ravel(), p.ravel(), average='macro'))
        assert np.isclose(m['recall'], recall_score(g.ravel(), p.ravel()))

def test_pooled_counts():
    a = np.array([[1, 0]], bool); b = np.array([[1, 1]], bool)
    r = dataset_metrics([(a, b), (b, b)])
    assert r['n_images'] == 2 and np.isclose(r['iou'], 3 / 4)

def test_shape_mismatch():
    import pytest
    with pytest.raises(ValueError, match='differ in shape'): confusion(np.zeros((2, 2)), np.zeros((3, 2)))

@settings(max_examples=50, deadline=None)
@given(st.integers(2, 5), st.integers(6, 30), st.integers(0, 10_000))
def test_classification_metrics_match_sklearn(c, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n); probs = rng.dirichlet(np.ones(c), n)
    m = classification_metrics(probs, labels)
    assert 0 <= m['accuracy'] <= 1 and np.isclose(m['top1_error'], 1 - m['accuracy'])
    present = np.unique(labels)
    if len(present) == c:
        ref = roc_auc_score(labels, probs[:, 1]) if c == 2 else roc_auc_score(labels, probs, multi_class='ovr', average='macro')
        assert np.isclose(m['auc'], ref)
