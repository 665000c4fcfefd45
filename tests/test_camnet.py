"CamNet: size budget, any input size, export-friendly, checkpoints."
import numpy as np, pytest, torch
from camnet_nb.camnet import camnet, n_params, make_student, check_export_friendly, save_student, load_student, STUDENTS
from camnet_nb.deploy import export_onnx, OnnxRunner, TorchRunner

def test_param_budget():
    assert n_params(camnet()) <= 800_000

@pytest.mark.parametrize('hw', [(17, 33), (100, 64), (255, 257)])
def test_any_size_keeps_borders(hw):
    "Any input size gives a heatmap of that size, aligned to it: each corner of the output looks mostly at that corner of the image."
    torch.manual_seed(0)
    net = camnet().eval()
    for corner in ((0, 0), (hw[0] - 1, hw[1] - 1)):
        x = torch.rand(4, 3, *hw, requires_grad=True)
        y = net(x)
        assert tuple(y.shape) == (4, 1, *hw)
        y[:, 0, corner[0], corner[1]].sum().backward()
        g = x.grad.abs().sum((0, 1))
        peak = np.unravel_index(int(g.argmax()), g.shape)   # the input pixel this output pixel depends on most
        assert max(abs(int(peak[0]) - corner[0]), abs(int(peak[1]) - corner[1])) <= net.stride // 2, (corner, peak)   # a crop shifted by the padding is 10 px or more off

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
