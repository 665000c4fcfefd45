"CamNet: size budget, any input size, export-friendly, checkpoints."
import numpy as np, pytest, torch
from camnet_nb.camnet import camnet, n_params, make_student, check_export_friendly, save_student, load_student, STUDENTS
from camnet_nb.deploy import export_onnx, OnnxRunner, TorchRunner

def test_param_budget():
    assert n_params(camnet()) <= 800_000

@pytest.mark.parametrize('hw', [(17, 33), (100, 64), (255, 257)])
def test_any_size_keeps_borders(hw):
    net = camnet().eval()
    with torch.no_grad(): y = net(torch.rand(1, 3, *hw))
    assert tuple(y.shape) == (1, 1, *hw)

def test_no_forbidden_ops_in_onnx(tmp_path):
    import onnx
    for name in STUDENTS:
        m = make_student(name)
        assert check_export_friendly(m) == []
        p = export_onnx(m, tmp_path/f'{name}.onnx', static=(64, 64))
        ops = {n.op_type for n in onnx.load(str(p)).graph.node}
        assert not ops & {'HardSwish', 'Gelu', 'Mish'}, (name, ops)

def test_onnx_matches_torch_dynamic(tmp_path):
    net = camnet().eval(); p = export_onnx(net, tmp_path/'c.onnx')
    x = np.random.default_rng(0).random((2, 3, 40, 56), dtype=np.float32)
    assert np.abs(OnnxRunner(p)(x) - TorchRunner(net)(x)).max() < 1e-4

def test_checkpoint_roundtrip_and_bad_files(tmp_path):
    net = camnet(); save_student(net, tmp_path/'w.pt', note='x')
    m, cfg = load_student(tmp_path/'w.pt'); assert cfg['note'] == 'x'
    sd = torch.load(tmp_path/'w.pt', weights_only=True); assert isinstance(sd, dict)
    (tmp_path/'bad.pt').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='not a readable state_dict'): load_student(tmp_path/'bad.pt')
    with pytest.raises(IsADirectoryError): load_student(tmp_path)
    with pytest.raises(FileNotFoundError): load_student(tmp_path/'none.pt')
