"Folders, splits and a dataset that skips bad files with one warning."
import warnings
import numpy as np, pytest
from PIL import Image
from camnet_nb.data import load_folder, list_items, ThinSectionDataset, split_items, ImageReadError
from camnet_nb.synth import mask_path_for, write_synthetic_dataset

def _folder(root, counts):
    for c, n in counts.items():
        (root/c).mkdir(parents=True, exist_ok=True)
        for i in range(n): Image.fromarray(np.full((10, 10, 3), i * 10, np.uint8)).save(root/c/f'{i}.jpg')
    return root

def test_split_folders(tmp_path):
    _folder(tmp_path/'train', {'a': 3, 'b': 2}); _folder(tmp_path/'test', {'a': 1, 'c': 1})
    with pytest.warns(UserWarning, match='class c has no training image'): f = load_folder(tmp_path)
    assert f['classes'] == ['a', 'b', 'c'] and len(f['train']) + len(f['val']) == 5 and len(f['test']) == 2
    # no val/: validation is carved out of train/, and test/ stays untouched for the final report
    assert f['val'] and not set(f['val']) & set(f['test']) and not set(f['val']) & set(f['train'])
    assert {i.cls for i in f['val']} == {'a', 'b'}

def test_stratified_seeded_split(tmp_path):
    _folder(tmp_path, {'a': 10, 'b': 2, 'c': 1})
    tr, va = split_items(list_items(tmp_path), 0.2, seed=3)
    assert sorted({i.cls for i in va}) == ['a', 'b'] and {i.cls for i in tr} == {'a', 'b', 'c'}
    assert split_items(list_items(tmp_path), 0.2, seed=3) == (tr, va)
    assert split_items(list_items(tmp_path), 0.2, seed=4) != (tr, va)

def test_not_a_folder(tmp_path):
    f = tmp_path/'file.txt'; f.write_text('x')
    with pytest.raises(NotADirectoryError): load_folder(f)
    with pytest.raises(FileNotFoundError): load_folder(tmp_path/'missing')
    (tmp_path/'empty').mkdir()
    with pytest.raises(ValueError, match='no class folders'): load_folder(tmp_path/'empty')

def test_dataset_skips_bad_files_with_one_warning(tmp_path):
    _folder(tmp_path, {'a': 3})
    (tmp_path/'a'/'zero.png').write_bytes(b''); (tmp_path/'a'/'junk.jpg').write_bytes(b'\x00\x01junk')
    (tmp_path/'a'/'dir.png').mkdir()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        ds = ThinSectionDataset(list_items(tmp_path), size=8, to_tensor=False)
    assert len(w) == 1 and 'skipping 3 unreadable' in str(w[0].message)
    for name in ('zero.png', 'junk.jpg', 'dir.png'): assert name in str(w[0].message)
    assert len(ds) == 3 and all(ds[i][0].shape == (8, 8, 3) for i in range(3))
    with pytest.raises(ImageReadError): ThinSectionDataset(list_items(tmp_path), skip_bad=False)

def test_dataset_with_masks_as_tensors(tmp_path):
    write_synthetic_dataset(tmp_path, per_class=1, size=(64, 64), progress=False)
    ds = ThinSectionDataset(list_items(tmp_path/'images'), size=32, train=True, mask_for=lambda it: mask_path_for(it.path), seed=0)
    x, m, y = ds[0]
    assert tuple(x.shape) == (3, 32, 32) and tuple(m.shape) == (1, 32, 32) and set(m.unique().tolist()) <= {0.0, 1.0}
