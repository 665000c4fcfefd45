"Control flow: the motion gate, newest-wins async inference, the loop's endings; the edge runtime without torch."
import subprocess, sys, time
import numpy as np
from camnet_nb.stream import MotionGate, AsyncInference, LiveLoop, open_source
from camnet_nb.synth import SyntheticStream

def test_gate_switches_back_on_motion():
    g = MotionGate(still_frames=2)
    a = np.zeros((64, 64, 3), np.uint8); b = a.copy(); b[:32] = 200
    seq = [g.update(f) for f in [a, a, a, a, b, a, a, a]]
    assert seq == [False, False, True, True, False, False, False, True]

def test_async_never_blocks_and_keeps_newest():
    w = AsyncInference(lambda x: (time.sleep(0.02), x)[1])
    for i in range(50): w.submit(i)
    time.sleep(0.15); r, _, n = w.latest(); w.close()
    assert r == 49 and n < 50 and w.n_dropped > 0

def test_loop_stops_cleanly_on_interrupt():
    def frames():
        for i, (f, _) in enumerate(SyntheticStream((64, 64), n_frames=100)):
            if i == 30: raise KeyboardInterrupt
            yield f
    s = LiveLoop(lambda f: np.zeros(f.shape[:2], np.float32)).run(frames())
    assert s['ended'] == 'interrupted' and s['frames'] == 30

def test_loop_reports_segmenter_errors_without_dying():
    def bad(f): raise RuntimeError('model exploded')
    s = LiveLoop(bad, MotionGate(still_frames=1)).run(open_source('synthetic', (64, 64), n_frames=40))
    assert s['frames'] == 40 and 'model exploded' in s['error']

def test_edge_runtime_without_torch(tmp_path):
    from camnet_nb.camnet import camnet
    from camnet_nb.deploy import export_onnx
    p = export_onnx(camnet(), tmp_path/'c.onnx', static=(64, 64))
    code = ("import sys\nfor m in ('torch', 'torchvision', 'nbdev', 'pytorch_grad_cam'): sys.modules[m] = None\n"
            "from camnet_nb.deploy import make_runner, HeatmapModel, load_heatmap_model\nfrom camnet_nb.stream import LiveLoop, MotionGate, open_source, overlay\n"
            "from camnet_nb.texture import glcm_feature\n"
            f"seg = HeatmapModel(make_runner(r'{p}'))\n"
            "assert load_heatmap_model()(open_source('synthetic', (64, 64), n_frames=1).__next__()).shape == (64, 64)\n"
            "s = LiveLoop(seg, MotionGate(still_frames=2)).run(open_source('synthetic', (64, 64), n_frames=30))\n"
            "print('frames', s['frames'], 'updates', s['updates_per_s'] > 0)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0 and 'frames 30 updates True' in r.stdout, r.stderr

def test_folder_source_skips_bad_images_and_says_when_none_is_left(tmp_path, capsys):
    import cv2, pytest
    cv2.imwrite(str(tmp_path/'a.png'), np.full((20, 30, 3), 7, np.uint8))
    (tmp_path/'b.png').write_bytes(b'not an image')
    frames = list(open_source(tmp_path, (16, 16), n_frames=4, slide_frames=1))
    assert len(frames) == 4 and all(f.shape == (16, 16, 3) for f in frames)
    assert 'b.png' in capsys.readouterr().err
    (tmp_path/'a.png').write_bytes(b'broken too')
    with pytest.raises(ValueError, match='none of its images can be read'): list(open_source(tmp_path, (16, 16), n_frames=4))
