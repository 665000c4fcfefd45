"The camnet command line, run as a user runs it."
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CAMNET = [str(Path(sys.executable).parent/'camnet')]

def run(*args, **kw):
    return subprocess.run(CAMNET + list(args), capture_output=True, text=True, timeout=600, **kw)

def test_help_lists_commands():
    r = run('--help'); assert r.returncode == 0
    for c in ('synth', 'demo', 'evaluate', 'bench', 'train-teacher', 'cams', 'refine-labels', 'distill', 'export', 'segment', 'adapt', 'live'): assert c in r.stdout

@pytest.mark.parametrize('cmd', ['synth', 'demo', 'evaluate', 'bench', 'train-teacher', 'cams', 'refine-labels', 'distill', 'export', 'segment', 'adapt', 'live'])
def test_subcommand_help_says_what_it_reads_and_writes(cmd):
    r = run(cmd, '--help'); assert r.returncode == 0 and 'Writes' in r.stdout.replace('\n', ' ')

def test_tiny_synth(tmp_path):
    r = run('synth', '--out', str(tmp_path/'s'), '--per-class', '2', '--size', '40x32', '--seed', '1')
    assert r.returncode == 0, r.stderr
    man = json.loads((tmp_path/'s'/'manifest.json').read_text())
    assert len(man['files']) == 12 and man['size'] == [32, 40]

def test_synth_bad_size_is_one_line():
    r = run('synth', '--out', '/tmp/x', '--size', 'big'); assert r.returncode == 2 and 'WxH' in r.stderr

def test_synth_out_is_a_file(tmp_path):
    f = tmp_path/'f'; f.write_text('x')
    r = run('synth', '--out', str(f), '--per-class', '1')
    assert r.returncode == 1 and 'Traceback' not in r.stderr and 'not a folder' in r.stderr

def test_progress_bars_into_a_log_are_redrawn_every_ten_seconds_not_ten_times_a_second(tmp_path):
    "stderr a pipe (a job's log): a second and more of synth draws its bar twice, at its start and its end."
    import os
    env = {k: v for k, v in os.environ.items() if k != 'TQDM_MININTERVAL'}
    r = run('synth', '--out', tmp_path/'s', '--per-class', '10', '--size', '256x256', env=env)
    assert r.returncode == 0 and r.stderr.count('synth:') == 2 and '60/60' in r.stderr, r.stderr
    r = run('synth', '--out', tmp_path/'s', '--per-class', '10', '--size', '256x256', env=env | {'TQDM_MININTERVAL': '0'})
    assert r.stderr.count('synth:') > 2, r.stderr   # the user's own interval stays
    # a training epoch's loss, updated each batch, waits for the bar's own redraw too
    _two_classes(tmp_path/'f', lambda im, d, i: im.save(d/f'{i}.png'))
    r = run('train-teacher', '--data', tmp_path/'f', '--arch', 'resnet18', '--epochs', '1', '--img-size', '32',
            '--batch-size', '2', '--out', tmp_path/'t.pt', env=env)
    assert r.returncode == 0 and r.stderr.count('teacher 1/1') == 1, r.stderr

def test_an_error_of_the_operating_system_reads_path_first():
    "A folder no one can make (under /proc): 'PATH: reason', not Python's '[Errno 2] reason: 'PATH''."
    r = run('synth', '--out', '/proc/camnet-out', '--per-class', '1', '-q')
    assert r.returncode == 1 and 'Traceback' not in r.stderr and 'Errno' not in r.stderr, r.stderr
    assert r.stderr.startswith('camnet synth: error: /proc/camnet-out') and 'No such file or directory' in r.stderr

@pytest.mark.parametrize('args, says', [
    (['segment', '--input', 'data_samples/images/oolitic', '--out', '{file}'], 'is a file, not a folder; give a folder for the masks'),
    (['demo', '--out', '{file}'], "is a file, not a folder; give a folder for the demo's outputs"),
    (['cams', '--data', 'data_samples/images', '--matrix-classes', 'mudstone', '--out', '{file}'], 'give a folder for the contrast maps'),
    (['refine-labels', '--data', 'data_samples/images', '--out', '{file}'], 'give a folder for the pseudo-labels'),
    (['export', '--model', 'camnet_nb/weights/camnet_default.pt', '--out', '{file}/x.onnx'], 'is a file, not a folder'),
    (['train-teacher', '--data', 'data_samples/images', '--out', '{file}/t.pt'], 'is a file, not a folder'),
])
def test_an_out_that_cannot_be_written_is_one_line_before_any_work(tmp_path, args, says):
    f = tmp_path/'f'; f.write_text('x')
    r = run(*[a.replace('{file}', str(f)) for a in args], cwd=ROOT)
    assert r.returncode == 1 and says in r.stderr and 'Traceback' not in r.stderr and 'Errno' not in r.stderr, r.stderr
    assert f.read_text() == 'x'

def test_demo_on_samples(tmp_path):
    r = run('demo', '--out', str(tmp_path/'d'), '--teacher-epochs', '1', '--student-epochs', '1', '--train-per-class', '3', cwd=ROOT)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'d'/'report.json').read_text())
    assert rep['ground_truth'] and (tmp_path/'d'/'report.md').exists() and (tmp_path/'d'/'figure_pipeline.png').exists()
    for k in ('teacher_accuracy', 'cam_miou', 'camnet_miou', 'refined_miou', 'ssim_cam', 'camnet_params', 'camnet_ms', 'live_display_fps'):
        assert k in rep, k
    assert 0 <= rep['camnet_miou'] <= 1 and rep['camnet_params'] <= 800_000 and rep['live_display_fps'] > 0
    assert json.loads((tmp_path/'d'/'work'/'cams'/'index.json').read_text())['output_stride'] == 8   # the synthetic recipe's

def test_demo_on_user_folder_without_masks(tmp_path):
    import numpy as np
    from PIL import Image
    for c in ('a', 'b'):
        (tmp_path/'u'/c).mkdir(parents=True)
        for i in range(2): Image.fromarray(np.random.default_rng(i).integers(0, 255, (20, 20, 3), np.uint8)).save(tmp_path/'u'/c/f'{i}.jpg')
    (tmp_path/'u'/'b'/'cut.jpg').write_bytes(b'\xff\xd8 a JPEG copied in part')   # skipped by every step, named once
    (tmp_path/'points.json').write_text(json.dumps({'images': {'a/0.jpg': {'feature': [[0.5, 0.5]], 'matrix': [[0.1, 0.1]]}}}))
    r = run('demo', '--data', str(tmp_path/'u'), '--out', str(tmp_path/'d'), '--points', str(tmp_path/'points.json'), '--student-epochs', '1')
    assert r.returncode == 0, r.stderr
    assert r.stderr.count('camnet demo: warning: skipping 1 unreadable file:') == 1 and 'UserWarning' not in r.stderr, r.stderr
    assert '(4 images, 2 class folders; 1 unreadable file skipped)' in r.stdout + r.stderr   # said at step 1
    rep = json.loads((tmp_path/'d'/'report.json').read_text())
    assert len(rep['skipped']) == 1 and 'cut.jpg: not a recognised image' in rep['skipped'][0]
    assert not rep['ground_truth'] and 'no ground truth' in rep['note'] and 'camnet_miou' not in rep and 'camnet_ms' in rep
    # your own folder: the real recipe (a linear head on ImageNet features), its teacher and student left in OUT
    assert rep['recipe'] == 'real' and 'head only' in rep['teacher_arch']
    # its head-only teacher's CAMs at stride 32 (HEAD_ONLY_STRIDE), free of the stride-8 grid
    assert json.loads((tmp_path/'d'/'work'/'cams'/'index.json').read_text())['output_stride'] == 32
    assert rep['pseudo_labels'] == 'LayerCAM, output stride 32'
    assert (tmp_path/'d'/'teacher.pt').is_file() and (tmp_path/'d'/'camnet.pt').is_file() and (tmp_path/'d'/'figure_pipeline.png').is_file()
    assert {"this demo's CamNet + glcm-colour", 'the shipped model + glcm-colour', 'otsu'} <= set(rep['keypoints'])
    assert rep['keypoints']['otsu']['points'] == 2 and 'Key points' in (tmp_path/'d'/'report.md').read_text()

def test_demo_with_grain_free_classes_leaves_and_scores_the_contrast(tmp_path):
    "--matrix-classes: the contrast's model is left in OUT and scored at the points, the student is lite0 at its side; a run without it removes a stale one."
    import numpy as np
    from PIL import Image
    for c in ('a', 'b'):
        (tmp_path/'u'/c).mkdir(parents=True)
        for i in range(3): Image.fromarray(np.random.default_rng(i + 10 * ord(c)).integers(0, 255, (40, 40, 3), np.uint8)).save(tmp_path/'u'/c/f'{i}.jpg')
    (tmp_path/'points.json').write_text(json.dumps({'images': {'a/0.jpg': {'feature': [[0.5, 0.5]], 'matrix': [[0.1, 0.1]]}}}))
    args = ('--data', str(tmp_path/'u'), '--out', str(tmp_path/'d'), '--points', str(tmp_path/'points.json'), '--student-epochs', '1')
    r = run('demo', *args, '--matrix-classes', 'b')
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'d'/'report.json').read_text())
    assert (tmp_path/'d'/'contrast.onnx').is_file() and rep['contrast_model'] == str(tmp_path/'d'/'contrast.onnx')
    assert rep['keypoints']['the grain-free contrast + none']['points'] == 2 and 'contrast.onnx' in (tmp_path/'d'/'report.md').read_text()
    # its student starts from ImageNet and sees images at the contrast's side
    from camnet_nb.cam import MATRIX_SIDE
    cfg = json.loads((tmp_path/'d'/'camnet.pt.json').read_text())
    assert (cfg['student'], cfg['side'], rep['student'], rep['student_side']) == ('lite0', MATRIX_SIDE, 'Lite0 student', MATRIX_SIDE)
    assert "this demo's Lite0 student + none" in rep['keypoints']   # its own refinement, measured best with it
    r = run('demo', *args)
    assert r.returncode == 0 and not (tmp_path/'d'/'contrast.onnx').exists(), r.stderr
    rep = json.loads((tmp_path/'d'/'report.json').read_text())
    assert 'contrast_model' not in rep and rep['student'] == 'CamNet'
    assert json.loads((tmp_path/'d'/'camnet.pt.json').read_text())['student'] == 'camnet'

def test_demo_killed_while_its_student_trains_resumes_keeping_its_teacher(tmp_path):
    "SIGKILL in the student's epochs, then --resume: the teacher is kept, the student goes on; other settings are one line."
    import signal, time
    for split in ('train', 'test'): _two_classes(tmp_path/'u'/split, lambda im, d, i: im.save(d/f'{i}.png'))
    args = ['demo', '--data', tmp_path/'u', '--out', tmp_path/'d', '--student-epochs', '6']
    state, teacher = tmp_path/'d'/'camnet.pt.state', tmp_path/'d'/'teacher.pt'
    p = subprocess.Popen(CAMNET + list(map(str, args)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not state.exists() and p.poll() is None: time.sleep(0.01)
    p.send_signal(signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL and not (tmp_path/'d'/'report.json').exists(), 'it ended before the kill'
    trained = teacher.stat().st_mtime_ns
    r = run(*args, '--resume')
    assert r.returncode == 0, r.stderr
    assert f"[2/7] teacher: kept from the earlier run ({teacher})" in r.stdout and 'resuming from epoch' in r.stderr
    rep = json.loads((tmp_path/'d'/'report.json').read_text())
    assert teacher.stat().st_mtime_ns == trained and rep['teacher_arch'] == 'efficientnet_lite0, head only'
    assert json.loads((tmp_path/'d'/'camnet.pt.json').read_text())['epoch'] >= 1 and rep['student'] == 'CamNet'
    assert not state.exists(), 'a finished step keeps no training state'
    # the kept teacher's figures, as it was chosen (out of fold) and on the test split, scored once
    report = (tmp_path/'d'/'report.md').read_text()
    assert '| efficientnet_lite0, head only | cross-validation (out of fold) |' in report, report
    assert '|  | the test split, once |' in report and set(rep['teacher_test']) == {'accuracy', 'f1', 'auc', 'top1_error'}
    r = run(*args, '--resume', '--student-epochs', '7')
    assert r.returncode == 1 and 'an earlier demo with student_epochs 6, not 7; drop --resume' in r.stderr, r.stderr
    assert teacher.stat().st_mtime_ns == trained

def test_demo_bad_points_is_one_line_before_training(tmp_path):
    (tmp_path/'u'/'a').mkdir(parents=True)
    (tmp_path/'points.json').write_text(json.dumps({'images': {'a/missing.jpg': {'feature': [[0.5, 0.5]], 'matrix': [[0.1, 0.1]]}}}))
    r = run('demo', '--data', str(tmp_path/'u'), '--out', str(tmp_path/'d'), '--points', str(tmp_path/'points.json'))
    assert r.returncode == 1 and 'Traceback' not in r.stderr and 'missing.jpg' in r.stderr
    assert not (tmp_path/'d'/'teacher.pt').exists()

@pytest.mark.parametrize('args, says', [
    (['--data', 'data_samples/images', '--teacher-arch', 'resnet50'], "--teacher-arch is the synthetic recipe's"),
    (['--data', 'data_samples/images', '--teacher-arch', 'resnet18'], "--teacher-arch is the synthetic recipe's"),   # its default, said
    (['--teacher-arch', 'resnet1O1'], 'did you mean resnet101'),
])
def test_demo_teacher_arch_it_would_not_use_or_cannot_build_is_one_line(tmp_path, args, says):
    r = run('demo', '--out', str(tmp_path/'d'), *args, cwd=ROOT)
    assert r.returncode == 1 and says in r.stderr and not (tmp_path/'d'/'work').exists(), r.stderr

def test_demo_missing_folder_is_one_line(tmp_path):
    r = run('demo', '--data', str(tmp_path/'nope'), '--out', str(tmp_path/'d'))
    assert r.returncode == 1 and 'Traceback' not in r.stderr and 'nope' in r.stderr

def test_package_imports_without_nbdev():
    code = ("import sys; sys.modules['nbdev'] = None\n"
            "import camnet_nb.data, camnet_nb.synth, camnet_nb.cli, camnet_nb.pipeline\nprint('ok')")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0 and 'ok' in r.stdout, r.stderr

def test_evaluate_json(tmp_path):
    import numpy as np, cv2
    (tmp_path/'p').mkdir(); (tmp_path/'g').mkdir()
    g = np.zeros((20, 20), np.uint8); g[5:15, 5:15] = 6; g[0, 0] = 2
    p = np.zeros((20, 20), np.uint8); p[5:15, 5:10] = 255
    cv2.imwrite(str(tmp_path/'p'/'x.png'), p); cv2.imwrite(str(tmp_path/'g'/'x_labels.png'), g)
    r = run('evaluate', '--pred', str(tmp_path/'p'), '--gt', str(tmp_path/'g'), '--gt-map', '4,6', '--gt-suffix', '_labels', '--json')
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert abs(m['iou'] - 0.5) < 1e-9 and m['precision'] == 1.0 and abs(m['recall'] - 0.5) < 1e-9

def test_evaluate_counts_marks_by_material(tmp_path):
    import numpy as np, cv2
    (tmp_path/'p').mkdir(); (tmp_path/'g').mkdir()
    g = np.zeros((20, 20), np.uint8); g[5:15, 5:15] = 6; g[0, 0] = 2
    p = np.zeros((20, 20), np.uint8); p[5:15, 5:10] = 255
    cv2.imwrite(str(tmp_path/'p'/'x.png'), p); cv2.imwrite(str(tmp_path/'g'/'x_labels.png'), g)
    args = ['evaluate', '--pred', str(tmp_path/'p'), '--gt', str(tmp_path/'g'), '--gt-map', '4,6', '--gt-suffix', '_labels', '--materials', 'pore=2 grain=4,6']
    r = run(*args, '--json')
    assert r.returncode == 0, r.stderr
    mat = json.loads(r.stdout)['materials']
    assert mat['grain'] == {'of_marks': 1.0, 'marked': 0.5, 'area': 0.25}   # every mark on grain, half the grain marked
    assert mat['pore'] == {'of_marks': 0.0, 'marked': 0.0, 'area': 0.0025} and mat['other']['area'] == 0.7475
    r = run(*args)
    assert r.returncode == 0 and 'materials:' in r.stdout and 'of_marks: 1.0' in r.stdout, r.stdout
    r = run(*args[:-1], 'pore')
    assert r.returncode == 2 and 'NAME=VALUES' in r.stderr and 'Traceback' not in r.stderr

def test_evaluate_bad_inputs(tmp_path):
    (tmp_path/'p').mkdir()
    r = run('evaluate', '--pred', str(tmp_path/'p'), '--gt', str(tmp_path/'none'))
    assert r.returncode == 1 and 'not a folder' in r.stderr and 'Traceback' not in r.stderr
    r = run('evaluate', '--pred', str(tmp_path/'p'), '--gt', str(tmp_path/'p'), '--gt-map', 'a,b')
    assert r.returncode == 2 and 'comma-separated' in r.stderr

def test_bench_json_small(tmp_path):
    r = run('bench', '--json', '--size', '64', '--repeats', '2', '--teacher', 'resnet18',
            '--live-frames', '40', '--sync-seconds', '0.5', '--segment-images', '1')
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    for k in ('camnet_params', 'camnet_ms', 'glcm_ms', 'fast_glcm_ms', 'glcm_speedup', 'refine_ms', 'random_walker_ms',
              'mbv3_ms', 'shufflenet_ms', 'lraspp_ms', 'teacher_cam_ms', 'camnet_vs_teacher_cam', 'live_display_fps',
              'live_updates_per_s', 'sync_fps', 'live_vs_sync_display', 'live_vs_sync_updates', 'segment_images_per_s', 'segment_speedup',
              'segment_points_images_per_s'):
        assert k in b, k
    assert b['sync_model'] == 'camnet' and 'synchronous loop runs our CamNet' in r.stderr
    assert b['camnet_params'] <= 800_000 and 'ref_ms' not in b and 'no reference row' in r.stderr

def test_bench_refuses_a_missing_reference(tmp_path):
    r = run('bench', '--ref', str(tmp_path/'absent.onnx'), '--size', '64')   # a typo: refused before any timing
    assert r.returncode == 1 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"camnet bench: error: {tmp_path/'absent.onnx'}: no such model file (the reference)"

PEER = ROOT.parent/'shared'/'peers'/'camnet_ref_512.onnx'

@pytest.mark.skipif(not PEER.exists(), reason='no ../shared/peers here')
def test_reference_model_runs_through_the_same_interface():
    import numpy as np
    from camnet_nb.deploy import OnnxRunner
    r = OnnxRunner(PEER, input_scale=255.0)
    assert r.static_hw == (512, 512)
    y = r(np.random.default_rng(0).random((1, 3, 512, 512), dtype=np.float32))
    assert y.shape == (1, 1, 512, 512) and 0 <= y.min() and y.max() <= 1

def test_live_headless_json_and_recording(tmp_path):
    r = run('live', '--source', 'synthetic', '--size', '96x96', '--headless', '--frames', '80', '--json',
            '--still-frames', '3', '--record', str(tmp_path/'rec.avi'))
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s['frames'] == 80 and s['display_fps'] > 0 and 'updates_per_s' in s and 'latency_ms_median' in s
    from camnet_nb.deploy import tensorrt_available
    if tensorrt_available(): assert tensorrt_available() in r.stderr     # the back end it fell back from, in one line
    import cv2
    cap = cv2.VideoCapture(str(tmp_path/'rec.avi')); n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)); cap.release()
    assert n == 80

def test_live_on_the_shipped_clip_and_a_folder():
    r = run('live', '--source', str(ROOT/'data_samples'/'stream.avi'), '--size', '64x64', '--headless', '--json', '--frames', '40')
    assert r.returncode == 0 and json.loads(r.stdout)['frames'] == 40, r.stderr
    r = run('live', '--source', str(ROOT/'data_samples'/'images'), '--size', '64x64', '--headless', '--json', '--frames', '30')
    assert r.returncode == 0 and json.loads(r.stdout)['frames'] == 30, r.stderr

def test_live_engine_without_tensorrt_is_one_line(tmp_path):
    from camnet_nb.deploy import tensorrt_available
    if tensorrt_available() is None: pytest.skip('TensorRT runs here')
    r = run('live', '--model', str(tmp_path/'missing.engine'), '--headless', '--frames', '2')
    assert r.returncode == 1 and 'no such TensorRT engine file' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'m.engine').write_bytes(b'plan')
    r = run('live', '--model', str(tmp_path/'m.engine'), '--headless', '--frames', '2')
    assert r.returncode == 1 and 'is a TensorRT engine' in r.stderr and 'unexpected' not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

def test_live_bad_sources_are_one_line(tmp_path):
    r = run('live', '--source', str(tmp_path/'missing.avi'), '--headless', '--frames', '5')
    assert r.returncode == 1 and 'no such video file' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'e').mkdir()
    r = run('live', '--source', str(tmp_path/'e'), '--headless', '--frames', '5')
    assert r.returncode == 1 and 'no images' in r.stderr and 'Traceback' not in r.stderr

def test_small_argument_errors_are_one_line(tmp_path):
    r = run('synth', '--out', tmp_path/'s', '--per-class', '0')
    assert r.returncode == 2 and 'argument --per-class: must be at least 1, got 0' in r.stderr and not (tmp_path/'s').exists()
    # a number out of range is refused while the command line is read, before anything is made
    for args, says in ((('segment', '--input', tmp_path, '--out', tmp_path/'m', '--max-side', '0'), '--max-side: must be at least 32, got 0'),
                       (('segment', '--input', tmp_path, '--out', tmp_path/'m', '--workers', '-1'), '--workers: must be at least 0, got -1'),
                       (('segment', '--input', tmp_path, '--out', tmp_path/'m', '--threshold', '2'), '--threshold: must be between 0 and 1, got 2'),
                       (('train-teacher', '--data', tmp_path, '--out', tmp_path/'t.pt', '--epochs', '0'), '--epochs: must be at least 1, got 0'),
                       (('bench', '--segment-images', '-1'), '--segment-images: must be at least 0, got -1'),
                       (('live', '--source', 'synthetic', '--headless', '--frames', '-3'), '--frames: must be at least 1, got -3'),
                       (('segment', '--input', tmp_path, '--out', tmp_path/'m', '--threshold', 'nan'), '--threshold: must be a finite number, got nan'),
                       (('live', '--source', 'synthetic', '--headless', '--infer-hz', 'inf'), '--infer-hz: must be a finite number, got inf')):
        r = run(*args)
        assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].endswith(says) and not (tmp_path/'m').exists(), r.stderr
    r = run('distill', '--data', tmp_path, '--cams', tmp_path/'nope', '--out', tmp_path/'c.pt')
    assert r.returncode == 1 and 'no such CAM folder' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_version():
    r = run('--version')
    assert r.returncode == 0 and r.stdout.startswith('camnet ') and r.stdout.split()[1][0].isdigit()

def test_evaluate_pairs_exact_names_and_counts_missing(tmp_path):
    import numpy as np, cv2
    (tmp_path/'p').mkdir(); (tmp_path/'g').mkdir()
    m = np.zeros((8, 8), np.uint8); m[2:6, 2:6] = 255
    cv2.imwrite(str(tmp_path/'p'/'dolomite.png'), m)
    for k in range(3): cv2.imwrite(str(tmp_path/'g'/f'dolomite_{k:04d}.png'), m)   # no exact partner: nothing pairs by prefix
    cv2.imwrite(str(tmp_path/'g'/'dolomite.png'), m)
    r = run('evaluate', '--pred', tmp_path/'p', '--gt', tmp_path/'g', '--json')
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out['n_images'] == 4 and len(out['missing_predictions']) == 3 and out['miou'] < 1
    assert 'without a prediction' in r.stderr
    out = json.loads(run('evaluate', '--pred', tmp_path/'p', '--gt', tmp_path/'g', '--allow-missing', '--json').stdout)
    assert out['n_images'] == 1 and out['miou'] == 1.0
    assert 'unmatched_predictions' not in run('evaluate', '--pred', tmp_path/'p', '--gt', tmp_path/'g').stdout   # none
    cv2.imwrite(str(tmp_path/'p'/'calcite.png'), m)   # a mask no ground truth pairs with: named
    r = run('evaluate', '--pred', tmp_path/'p', '--gt', tmp_path/'g')
    assert r.returncode == 0 and "unmatched_predictions: ['calcite']" in r.stdout, r.stdout
    rgb = np.dstack([m, m // 2, m // 3]); cv2.imwrite(str(tmp_path/'g'/'dolomite.png'), rgb)   # the photomicrograph, not its mask
    r = run('evaluate', '--pred', tmp_path/'p', '--gt', tmp_path/'g', '--allow-missing')
    assert r.returncode == 1 and 'not a mask' in r.stderr

def test_figures_as_text_or_json_and_quiet(tmp_path):
    r = run('synth', '--out', str(tmp_path/'s'), '--per-class', '1', '--size', '32x32', '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['images'] == 6, r.stderr
    r = run('synth', '--out', str(tmp_path/'t'), '--per-class', '1', '--size', '32x32')
    assert r.returncode == 0 and r.stdout.startswith('wrote 6 images') and 'synth' in r.stderr   # the progress bar, on stderr
    r = run('synth', '--out', str(tmp_path/'u'), '--per-class', '1', '--size', '32x32', '--quiet')
    assert r.returncode == 0 and r.stderr == '' and r.stdout.startswith('wrote 6 images')
    r = run('evaluate', '--pred', str(tmp_path/'s'/'masks'), '--gt', str(tmp_path/'s'/'masks'))
    assert r.returncode == 0 and 'miou: 1.0' in r.stdout.splitlines(), r.stdout
    r = run('evaluate', '--pred', str(tmp_path/'s'/'masks'), '--gt', str(tmp_path/'nope'), '--quiet')
    assert r.returncode == 1 and 'not a folder' in r.stderr   # --quiet keeps the error line

def test_live_without_a_window_says_what_to_do():
    from camnet_nb.cli import window_unavailable
    if window_unavailable() is None: pytest.skip('this OpenCV can open a window here')
    r = run('live', '--frames', '5')
    assert r.returncode == 1 and '--headless' in r.stderr and 'Traceback' not in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr

def test_live_window_clicks_teach_and_keys_keep_and_quit(tmp_path, monkeypatch, capsys):
    "The window path of camnet live with OpenCV's window calls stood in for (no display here): clicks, k, q."
    import cv2, numpy as np
    import camnet_nb.cli as cli
    calls, shown = {}, []
    monkeypatch.setattr(cli, 'window_unavailable', lambda: None)
    monkeypatch.setattr(cv2, 'namedWindow', lambda name, flags=0: calls.setdefault('window', name))
    monkeypatch.setattr(cv2, 'setMouseCallback', lambda name, fn, param=None: calls.setdefault('mouse', fn))
    def imshow(name, bgr):
        shown.append(bgr)
        if len(shown) == 5:   # a click on the brightest and a right-click on the darkest pixel of the frame shown
            grey = bgr.astype(float).sum(-1)
            (br, bc), (dr, dc) = (np.unravel_index(f(grey), grey.shape) for f in (np.argmax, np.argmin))
            calls['mouse'](cv2.EVENT_LBUTTONDOWN, int(bc), int(br), 0, None)
            calls['mouse'](cv2.EVENT_RBUTTONDOWN, int(dc), int(dr), 0, None)
    monkeypatch.setattr(cv2, 'imshow', imshow)
    keys = {10: ord('k'), 15: ord('q')}
    monkeypatch.setattr(cv2, 'waitKey', lambda ms=0: keys.get(len(shown), -1))
    taught = tmp_path/'taught.onnx'
    rc = cli.main(['live', '--source', 'synthetic', '--size', '96x96', '--frames', '200', '--json', '--taught', str(taught)])
    out, err = capsys.readouterr()
    assert rc == 0 and calls['window'] == 'camnet live', err
    res = json.loads(out)
    assert len(shown) == 15 and res['ended'] == 'stopped', res        # q stopped it at once
    assert (res['feature_clicks'], res['matrix_clicks'], res['kept'], res['kept_clicks']) == (1, 1, str(taught), [1, 1]), res
    assert taught.is_file() and 'right- or shift-click' in err and 'kept ' in err, err
    clicks = tmp_path/'taught_clicks'/'points.json'                    # the clicked scene and clicks, beside the model
    pts = json.loads(clicks.read_text())['images']
    assert list(pts) == ['frame_001.png'] and [len(v) for v in pts['frame_001.png'].values()] == [1, 1], pts
    # a later session starts from them, here without a window
    r = run('live', '--source', 'synthetic', '--size', '96x96', '--headless', '--frames', '20', '--json', '--clicks', clicks)
    res = json.loads(r.stdout)
    assert r.returncode == 0 and (res['feature_clicks'], res['matrix_clicks']) == (1, 1) and f'resumed {clicks}' in r.stderr, r.stderr

def test_live_clicks_relative_to_the_source_folder(tmp_path):
    "Clicks written for segment --input DIR (paths relative to DIR) teach a loop shown DIR, as --input is their root there."
    src = ROOT/'data_samples'/'images'
    name = sorted((src/'oolitic').glob('*.png'))[0].relative_to(src).as_posix()
    f = tmp_path/'clicks.json'
    f.write_text(json.dumps({'images': {name: {'feature': [[0.3, 0.3]], 'matrix': [[0.7, 0.7]]}}}))
    r = run('live', '--source', src, '--size', '64x64', '--headless', '--frames', '10', '--json', '--clicks', f)
    assert r.returncode == 0 and json.loads(r.stdout)['feature_clicks'] == 1 and 'resumed ' in r.stderr, r.stderr
    r = run('live', '--source', 'synthetic', '--headless', '--frames', '10', '--clicks', f)   # no folder: beside the file
    assert r.returncode == 1 and f'{name}: no such image' in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr

def test_live_bad_clicks_file_is_one_line(tmp_path):
    r = run('live', '--headless', '--frames', '5', '--clicks', tmp_path/'none.json')
    assert r.returncode == 1 and 'no such points file' in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    (tmp_path/'p.json').write_text('{"images": {"gone.png": {"feature": [[0.5, 0.5]], "matrix": []}}}')
    r = run('live', '--headless', '--frames', '5', '--clicks', tmp_path/'p.json')
    assert r.returncode == 1 and 'gone.png: no such image' in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr

def test_live_taught_file_is_checked_before_the_window_opens():
    r = run('live', '--frames', '5', '--taught', 'rock.pt')
    assert r.returncode == 1 and r.stderr.strip().endswith('give a name ending in .onnx') and '--taught rock.pt' in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr


# ---- clicks: segment --points and adapt ----
def _clicked_folder(tmp_path, n=3):
    "n synthetic sections, a points file with 3 + 3 clicks on the first two (paths relative to the folder), the grain masks."
    import cv2, numpy as np
    from camnet_nb.synth import make_thin_section
    from camnet_nb.teach import simulate_clicks, write_points
    d = tmp_path/'rock'
    d.mkdir()
    gts = {}
    for k in range(n):
        img, m, _ = make_thin_section('bioclastic', (128, 128), seed=20 + k)
        cv2.imwrite(str(d/f'{k}.png'), img[..., ::-1])
        gts[k] = m > 0
    pts = {d/f'{k}.png': simulate_clicks(gts[k], 3, k) for k in range(2)}
    return d, write_points(pts, tmp_path/'points.json', root=d), pts, gts

def _at(mask, pts):
    import numpy as np
    H, W = mask.shape
    return {s: mask[tuple(np.round(np.asarray(v) * [H - 1, W - 1]).astype(int).T)] for s, v in pts.items()}

def test_segment_with_points_puts_every_click_on_its_side(tmp_path):
    import cv2
    d, f, pts, _ = _clicked_folder(tmp_path)
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', f, '-q')
    assert r.returncode == 0, r.stderr
    for k in range(2):
        m = cv2.imread(str(tmp_path/'out'/f'{k}.png'), cv2.IMREAD_GRAYSCALE) > 127
        said = _at(m, pts[d/f'{k}.png'])
        assert said['feature'].all() and not said['matrix'].any()
    assert (tmp_path/'out'/'2.png').is_file()   # the image without clicks is segmented as before

def test_segment_says_when_an_image_is_clicked_on_one_side(tmp_path):
    from camnet_nb.teach import write_points
    d, _, pts, _ = _clicked_folder(tmp_path)
    one = write_points({p: {'feature': v['feature'], 'matrix': []} for p, v in pts.items()}, tmp_path/'one.json', root=d)
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', one)
    assert r.returncode == 0, r.stderr
    assert 'one.json: 2 of 2 images clicked on one side only (0.png, ...)' in r.stderr, r.stderr
    balanced = run('segment', '--input', d, '--out', tmp_path/'out2', '--points', tmp_path/'points.json').stderr
    assert 'one side' not in balanced, balanced

def test_segment_says_when_an_image_is_clicked_lopsidedly(tmp_path):
    from camnet_nb.teach import simulate_clicks, write_points
    d, _, pts, gts = _clicked_folder(tmp_path)
    # the first image: 7 feature clicks and 2 matrix ones (more than three to one); the second 3 + 3
    seven = simulate_clicks(gts[0], 7, 0)['feature']
    lop = write_points({d/'0.png': {'feature': seven, 'matrix': pts[d/'0.png']['matrix'][:2]}, d/'1.png': pts[d/'1.png']},
                       tmp_path/'lop.json', root=d)
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', lop)
    assert r.returncode == 0, r.stderr
    assert 'lop.json: 1 of 2 images clicked far more on one side (0.png: 7 feature, 2 matrix)' in r.stderr, r.stderr

def test_segment_with_points_redoes_clicked_images(tmp_path):
    d, f, _, _ = _clicked_folder(tmp_path)
    assert run('segment', '--input', d, '--out', tmp_path/'out', '-q').returncode == 0
    before = (tmp_path/'out'/'0.png').read_bytes()
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', f, '--json')
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(l)['path'] for l in r.stdout.splitlines()) == ['0.png', '1.png']   # the unclicked image stays done
    assert (tmp_path/'out'/'0.png').read_bytes() != before

def test_segment_says_when_clicked_images_are_not_segmented(tmp_path):
    d, f, _, _ = _clicked_folder(tmp_path)
    r = run('segment', '--input', d/'2.png', '--out', tmp_path/'out', '--points', f)   # the one image without clicks
    assert r.returncode == 0, r.stderr
    assert 'points.json: 2 of 2 clicked images are not among the images segmented (0.png, ...)' in r.stderr, r.stderr

def test_segment_overlays_show_the_clicks(tmp_path):
    import cv2
    d, f, pts, _ = _clicked_folder(tmp_path)
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', f, '--overlay', '-q')
    assert r.returncode == 0, r.stderr
    for k, side, colour in ((0, 'feature', (40, 220, 60)), (1, 'matrix', (230, 40, 40))):
        shown = cv2.imread(str(tmp_path/'out'/'overlays'/f'{k}.jpg'))[..., ::-1].astype(int)
        row, col = (round(x * 127) for x in pts[d/f'{k}.png'][side][0])
        assert abs(shown[row, col] - colour).max() < 50, (side, shown[row, col])   # the click's dot, in its side's colour

def _clicks_column(out):
    import csv
    with open(out/'summary.csv', newline='') as f: return {r['path']: r['clicks'] for r in csv.DictReader(f)}

def test_segment_records_clicks_and_redoes_images_whose_clicks_were_taken_out(tmp_path):
    from camnet_nb.teach import write_points
    d, f, pts, _ = _clicked_folder(tmp_path)
    out = tmp_path/'out'
    assert run('segment', '--input', d, '--out', tmp_path/'plain', '-q').returncode == 0
    assert run('segment', '--input', d, '--out', out, '--points', f, '-q').returncode == 0
    assert _clicks_column(out) == {'0.png': '6', '1.png': '6', '2.png': '0'}
    # a rerun without points keeps every mask, the clicked ones too
    r = run('segment', '--input', d, '--out', out, '--json')
    assert r.returncode == 0 and r.stdout.strip() == '', r.stdout
    # the clicks of 1.png taken out of the file: its mask is made again without them
    only0 = write_points({d/'0.png': pts[d/'0.png']}, tmp_path/'only0.json', root=d)
    r = run('segment', '--input', d, '--out', out, '--points', only0, '--json')
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(l)['path'] for l in r.stdout.splitlines()) == ['0.png', '1.png'], r.stdout
    assert _clicks_column(out) == {'0.png': '6', '1.png': '0', '2.png': '0'}
    assert (out/'1.png').read_bytes() == (tmp_path/'plain'/'1.png').read_bytes()

@pytest.mark.parametrize('text,says', [('not json', 'not a points file'), ('{"images": {"0.png": {"feature": [[2, 0.5]]}}}', 'outside 0..1'),
                                       ('{"images": {"gone.png": {"feature": [[0.5, 0.5]]}}}', 'gone.png'),
                                       ('{"images": {"0.png": {"grain": []}}}', 'expected')])
def test_bad_points_file_is_one_line_and_writes_nothing(tmp_path, text, says):
    d, _, _, _ = _clicked_folder(tmp_path)
    bad = tmp_path/'bad.json'
    bad.write_text(text)
    for args in (('segment', '--input', d, '--out', tmp_path/'out', '--points', bad),
                 ('adapt', '--data', d, '--points', bad, '--out', tmp_path/'rock.onnx')):
        r = run(*args)
        assert r.returncode == 1 and says in r.stderr and 'bad.json' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path/'out').exists() and not (tmp_path/'rock.onnx').exists()

def test_adapt_writes_a_model_that_segment_takes(tmp_path):
    d, f, _, gts = _clicked_folder(tmp_path)
    r = run('adapt', '--data', d, '--points', f, '--out', tmp_path/'rock.onnx', '--json', '-q')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert (res['images'], res['feature_clicks'], res['matrix_clicks']) == (2, 6, 6) and (tmp_path/'rock.onnx').is_file()
    assert res['warning'] is None                                  # clicks the bank tells apart: nothing to warn of
    assert set(res['left_out']) == {'0.png', '1.png'} and 'note' in res   # each clicked image checked against the others
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--model', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path/'out').glob('*.png'))) == 3

def test_points_saved_by_the_widget_work_with_the_image_folder_named(tmp_path):
    "The widget writes paths from the points file's folder (rock/0.png); the commands are given the image folder itself."
    from camnet_nb.teach import write_points
    d, _, pts, _ = _clicked_folder(tmp_path)
    saved = write_points(pts, tmp_path/'widget.json')
    assert 'rock/0.png' in saved.read_text()
    assert run('segment', '--input', d, '--out', tmp_path/'masks', '--points', saved, '-q').returncode == 0
    r = run('adapt', '--data', d, '--points', saved, '--out', tmp_path/'rock.onnx', '--json', '-q')
    assert r.returncode == 0 and json.loads(r.stdout)['images'] == 2, r.stderr
    r = run('evaluate', '--pred', tmp_path/'masks', '--points', saved, '--data', d, '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['balanced_accuracy'] == 1.0, r.stdout + r.stderr
    # scored at the very points that steered the masks: said, so that 1.0 is not taken for a held-out figure
    assert '2 of the 2 images scored were segmented with clicks' in r.stderr, r.stderr
    assert json.loads(r.stdout)['clicked_images'] == ['0.png', '1.png']

def test_segment_with_another_model_into_the_same_folder_redoes_it(tmp_path):
    "The README's recipe: masks of the shipped model, then an adapted model into the same --out."
    d, f, _, _ = _clicked_folder(tmp_path)
    out = tmp_path/'masks'
    assert run('segment', '--input', d, '--out', out, '-q').returncode == 0
    before = {p.name: p.read_bytes() for p in out.glob('*.png')}
    assert run('adapt', '--data', d, '--points', f, '--out', tmp_path/'rock.onnx', '-q').returncode == 0
    r = run('segment', '--input', d, '--out', out, '--model', tmp_path/'rock.onnx', '--json')
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(l)['path'] for l in r.stdout.splitlines()) == ['0.png', '1.png', '2.png']
    assert 'redoing 3 images made with camnet_default.onnx@' in r.stderr and '(now: rock.onnx@' in r.stderr, r.stderr
    assert any((out/n).read_bytes() != b for n, b in before.items())
    r = run('segment', '--input', d, '--out', out, '--model', tmp_path/'rock.onnx', '--json')   # now done that way
    assert r.returncode == 0 and r.stdout.strip() == '' and 'redoing' not in r.stderr, r.stderr

def test_segment_max_pixels_refuses_a_scan_and_a_rerun_with_more_does_it(tmp_path):
    "An image over --max-pixels is one failed row (exit 1), the others are done; a rerun with a higher limit does it alone."
    import cv2, numpy as np
    d = tmp_path/'scans'
    d.mkdir()
    cv2.imwrite(str(d/'field.png'), np.full((20, 30, 3), 90, np.uint8))     # 600 pixels
    cv2.imwrite(str(d/'scan.png'), np.full((60, 80, 3), 90, np.uint8))      # 4,800 pixels
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--max-pixels', '1000', '-q')
    assert r.returncode == 1 and 'scan.png: 80x60 = 4,800 pixels exceeds the limit of 1,000' in r.stderr, r.stderr
    assert (tmp_path/'out'/'field.png').is_file() and not (tmp_path/'out'/'scan.png').exists()
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--max-pixels', '5000', '--json')
    assert r.returncode == 0 and [json.loads(l)['path'] for l in r.stdout.splitlines()] == ['scan.png'], r.stderr

def test_clicks_on_thumbnails_and_strips(tmp_path):
    "Images smaller than the filter bank's widest blur (a thumbnail, a strip) are clicked, adapted on and segmented like any other."
    import cv2, numpy as np
    from camnet_nb.teach import write_points
    d, _, pts, _ = _clicked_folder(tmp_path)
    rgb = cv2.imread(str(d/'0.png'))
    cv2.imwrite(str(d/'thumb.png'), rgb[:5, :5])
    cv2.imwrite(str(d/'strip.png'), rgb[:3, :120])
    small = {d/'thumb.png': {'feature': [[0.0, 0.0]], 'matrix': [[1.0, 1.0]]},
             d/'strip.png': {'feature': [[0.5, 0.1]], 'matrix': [[0.5, 0.9]]}}
    f = write_points(pts | small, tmp_path/'small.json', root=d)
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--points', f, '-q')
    assert r.returncode == 0, r.stderr
    assert cv2.imread(str(tmp_path/'out'/'strip.png'), cv2.IMREAD_GRAYSCALE).shape == (3, 120)
    r = run('adapt', '--data', d, '--points', f, '--out', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0, r.stderr
    r = run('segment', '--input', d, '--out', tmp_path/'out2', '--model', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0, r.stderr
    assert cv2.imread(str(tmp_path/'out2'/'thumb.png'), cv2.IMREAD_GRAYSCALE).shape == (5, 5)

def test_adapt_refuses_clicks_on_one_side_and_a_wrong_suffix(tmp_path):
    from camnet_nb.teach import write_points
    d, _, pts, _ = _clicked_folder(tmp_path)
    one = write_points({p: {'feature': v['feature'], 'matrix': []} for p, v in pts.items()}, tmp_path/'one.json', root=d)
    r = run('adapt', '--data', d, '--points', one, '--out', tmp_path/'rock.onnx')
    assert r.returncode == 1 and 'one.json: adapt needs clicks on both sides (6 feature, 0 matrix)' in r.stderr and not (tmp_path/'rock.onnx').exists(), r.stderr
    r = run('adapt', '--data', d, '--points', one, '--out', tmp_path/'rock.pt')
    assert r.returncode == 1 and '.onnx' in r.stderr

def _points_from_masks(masks:Path, n:int=3) -> dict:
    "Key points drawn from ground-truth masks: n on each side of every image, paths relative to the image folder."
    import cv2, numpy as np
    out = {}
    for m in sorted(masks.rglob('*.png')):
        g = cv2.imread(str(m), cv2.IMREAD_GRAYSCALE) > 0
        H, W = g.shape
        out[str(m.relative_to(masks))] = {side: [[r / (H - 1), c / (W - 1)] for r, c in zip(*np.nonzero(where))][:n]
                                          for side, where in (('feature', g), ('matrix', ~g))}
    return {'images': out}

def test_evaluate_at_key_points(tmp_path):
    assert run('synth', '--out', str(tmp_path/'s'), '--per-class', '1', '--size', '48x48', '-q').returncode == 0
    (tmp_path/'kp.json').write_text(json.dumps(_points_from_masks(tmp_path/'s'/'masks')))
    args = ['evaluate', '--pred', str(tmp_path/'s'/'masks'), '--points', str(tmp_path/'kp.json'), '--data', str(tmp_path/'s'/'images')]
    r = run(*args, '--json')   # the ground truth as the prediction: every point right
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out['balanced_accuracy'] == 1.0 and out['n_images'] == 6 and len(out['per_image']) == 6, r.stderr
    assert out['ci95'] == [1.0, 1.0]   # every resample of all-right points is all right
    inverted = tmp_path/'inv'   # every mask inverted: every point wrong
    for m in (tmp_path/'s'/'masks').rglob('*.png'):
        import cv2
        (inverted/m.parent.name).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(inverted/m.parent.name/m.name), 255 - cv2.imread(str(m), cv2.IMREAD_GRAYSCALE))
    r = run('evaluate', '--pred', str(inverted), *args[3:])
    assert r.returncode == 0 and 'balanced_accuracy: 0.0' in r.stdout.splitlines(), r.stdout
    assert 'ci95: [0.0, 0.0]' in r.stdout.splitlines(), r.stdout

def test_evaluate_key_points_bad_inputs(tmp_path):
    assert run('synth', '--out', str(tmp_path/'s'), '--per-class', '1', '--size', '32x32', '-q').returncode == 0
    pred = ['evaluate', '--pred', str(tmp_path/'s'/'masks')]
    r = run(*pred)
    assert r.returncode == 1 and 'one of the two' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'kp.json').write_text(json.dumps(_points_from_masks(tmp_path/'s'/'masks')))
    r = run(*pred, '--points', str(tmp_path/'kp.json'))
    assert r.returncode == 1 and '--points needs --data' in r.stderr
    r = run(*pred, '--points', str(tmp_path/'kp.json'), '--gt', str(tmp_path/'s'/'masks'), '--data', str(tmp_path/'s'/'images'))
    assert r.returncode == 1 and 'one of the two' in r.stderr
    r = run(*pred, '--points', str(tmp_path/'kp.json'), '--data', str(tmp_path/'s'/'images'), '--gt-map', '4,6')
    assert r.returncode == 1 and '(--points) take none' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'bad.json').write_text('{"images": {"oolitic/oolitic_0000.png": {"feature": [[2, 0.5]]}}}')
    r = run(*pred, '--points', str(tmp_path/'bad.json'), '--data', str(tmp_path/'s'/'images'))
    assert r.returncode == 1 and 'bad.json' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

def test_adapt_warns_when_the_clicks_cannot_be_told_apart(tmp_path):
    "A feature and a matrix click on the same spot: the model cannot put both on their side, and adapt says so."
    from camnet_nb.teach import write_points
    d, _, _, _ = _clicked_folder(tmp_path)
    same = write_points({d/'0.png': {'feature': [[0.5, 0.5]], 'matrix': [[0.5, 0.5]]}}, tmp_path/'same.json', root=d)
    r = run('adapt', '--data', d, '--points', same, '--out', tmp_path/'same.onnx', '--json', '-q')
    assert r.returncode == 0, r.stderr
    assert "clicks' pixels come out as" in json.loads(r.stdout)['warning']
    r = run('adapt', '--data', d, '--points', same, '--out', tmp_path/'same.onnx')
    assert "; warning: only " in r.stderr, r.stderr
    assert "warning" not in r.stdout, r.stdout   # said once, in the log line
    r = run('adapt', '--data', d, '--points', same, '--out', tmp_path/'same.onnx', '-q')
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert "; warning: only " in r.stdout, r.stdout   # --quiet keeps it, with the result

def _cut_exif() -> bytes:
    "A camera's EXIF block cut short: Pillow warns 'Truncated File Read' as a JPEG carrying it is read."
    import struct
    from PIL import Image
    exif = Image.Exif()
    exif[0x010e] = 'x' * 100   # an ImageDescription, its offset then pointed past the end of the file
    data = bytearray(exif.tobytes())
    struct.pack_into('>L', data, data.find(struct.pack('>H', 0x010e)) + 8, 60_000)
    return bytes(data)

@pytest.mark.parametrize('suffix', ['.png', '.jpg'])
def test_adapt_refuses_an_unreadable_clicked_image_before_any_work(tmp_path, suffix):
    "A clicked image cut short (a JPEG's header whole): one line naming it, before any features; no model written."
    from PIL import Image
    d, points, _, _ = _clicked_folder(tmp_path)
    cut = d/f'1{suffix}'
    if suffix == '.jpg':
        Image.open(d/'1.png').save(cut, quality=95)
        (d/'1.png').unlink()
        points.write_text(points.read_text().replace('1.png', '1.jpg'))
    whole = cut.read_bytes()
    cut.write_bytes(whole[:len(whole) // 2])
    r = run('adapt', '--data', d, '--points', points, '--out', tmp_path/'rock.onnx')
    assert r.returncode == 1 and 'Traceback' not in r.stderr, r.stderr
    assert f"error: {cut}: truncated image data: a clicked image must be read to teach" in r.stderr, r.stderr
    assert 'features of the clicked images' not in r.stderr and not (tmp_path/'rock.onnx').exists(), r.stderr

def test_adapt_and_evaluate_name_the_image_a_decoder_warns_about(tmp_path):
    "A camera JPEG whose EXIF is cut short: Pillow warns as it is read, and the line names the file, not Pillow's source."
    from PIL import Image
    d, points, _, _ = _clicked_folder(tmp_path)
    Image.open(d/'1.png').save(d/'1.jpg', exif=_cut_exif(), quality=95)
    (d/'1.png').unlink()
    pts = json.loads(points.read_text())
    pts['images']['1.jpg'] = pts['images'].pop('1.png')
    points.write_text(json.dumps(pts))
    for args in (['adapt', '--out', tmp_path/'rock.onnx'], ['evaluate']):
        r = run(*args, '--data', d, '--points', points)
        assert r.returncode == 0, r.stderr
        assert f'camnet {args[0]}: warning: 1.jpg: ' in r.stderr and 'UserWarning' not in r.stderr, r.stderr

def test_live_names_the_image_a_decoder_warns_about_once(tmp_path):
    "The live view's folder source reads beside its inference thread: what Pillow warns names the file, once."
    import numpy as np
    from PIL import Image
    d = tmp_path/'stage'
    d.mkdir()
    for i in range(2):
        Image.fromarray(np.full((48, 48, 3), 80 * i, np.uint8)).save(d/f'{i}.jpg', exif=_cut_exif() if i else b'')
    r = run('live', '--source', d, '--size', '48x48', '--headless', '--frames', '70')   # round the folder twice
    assert r.returncode == 0, r.stderr
    assert f"camnet live: warning: {d/'1.jpg'}: Truncated File Read" in r.stderr, r.stderr
    assert r.stderr.count('Truncated File Read') == 1 and 'UserWarning' not in r.stderr, r.stderr

def _two_classes(root:Path, save) -> Path:
    "Classes a and b of three flat 24 px images each, each written by save(image, its class folder, its index)."
    import numpy as np
    from PIL import Image
    for c in 'ab':
        (root/c).mkdir(parents=True)
        for i in range(3): save(Image.fromarray(np.full((24, 24, 3), 60 * i + (c == 'b') * 30, np.uint8)), root/c, i)
    return root

def test_training_says_which_files_are_read_as_their_first_page(tmp_path):
    "PPL/XPL pairs saved as 2-page TIFFs: the teacher learns from the first page, and the run says so, naming them."
    from PIL import Image
    _two_classes(tmp_path/'pairs', lambda ppl, d, i: ppl.save(d/f'{i}.tif', save_all=True,
                                                               append_images=[ppl.transpose(Image.FLIP_LEFT_RIGHT)]))
    r = run('train-teacher', '--data', tmp_path/'pairs', '--out', tmp_path/'t.pt', '--epochs', '1', '--img-size', '32')
    said = [l for l in r.stderr.splitlines() if 'pages' in l]
    assert r.returncode == 0 and len(said) == 7, r.stderr   # one warning, once: the header and each file
    assert said[0].startswith('camnet train-teacher: warning: reading only the first page of 6 files'), said[0]
    assert said[1] == f"  {tmp_path/'pairs'/'a'/'0.tif'}: 2 pages", said[1]

def test_training_names_a_file_its_decoder_warns_about_once_not_each_epoch(tmp_path):
    "A cut EXIF block: one line naming the file as the folder is listed, none from each epoch's reads (workers)."
    cut = lambda d, i: _cut_exif() if (d.name, i) == ('a', 0) else b''
    _two_classes(tmp_path/'f', lambda im, d, i: im.save(d/f'{i}.jpg', exif=cut(d, i)))
    r = run('train-teacher', '--data', tmp_path/'f', '--out', tmp_path/'t.pt', '--epochs', '2', '--img-size', '32',
            '--workers', '1')
    said = [l for l in r.stderr.splitlines() if 'Truncated File Read' in l]
    named = f"camnet train-teacher: warning: {tmp_path/'f'/'a'/'0.jpg'}: Truncated File Read"
    assert r.returncode == 0 and said == [named], r.stderr

@pytest.mark.parametrize('counts, said', [((3,), 'all of one class (a)'), ((1, 3), 'a has a single image')])
def test_demo_on_a_folder_a_teacher_cannot_use_is_one_line_before_training(tmp_path, counts, said):
    "One class, or two of which one holds a single image: refused in one line naming the folder, before any features."
    import numpy as np
    from PIL import Image
    for c, n in zip('ab', counts):
        (tmp_path/'u'/c).mkdir(parents=True)
        for i in range(n): Image.fromarray(np.full((20, 20, 3), 40 * i, np.uint8)).save(tmp_path/'u'/c/f'{i}.jpg')
    r = run('demo', '--data', tmp_path/'u', '--out', tmp_path/'d')
    assert r.returncode == 1 and 'Traceback' not in r.stderr and said in r.stderr, r.stderr
    assert not (tmp_path/'d'/'teacher.pt').exists()

def test_evaluate_finds_the_masks_of_images_that_share_a_name(tmp_path):
    "x.jpg and x.png in one folder: segment names their masks x_jpg.png and x_png.png, and evaluate reads each its own."
    import cv2, numpy as np
    data, pred = tmp_path/'data', tmp_path/'pred'
    data.mkdir(), pred.mkdir()
    for name in ('x.jpg', 'x.png'): cv2.imwrite(str(data/name), np.full((16, 16, 3), 128, np.uint8))
    cv2.imwrite(str(pred/'x_jpg.png'), np.full((16, 16), 255, np.uint8))     # all feature
    cv2.imwrite(str(pred/'x_png.png'), np.zeros((16, 16), np.uint8))         # all matrix
    points = {'images': {'x.jpg': {'feature': [[0.5, 0.5]], 'matrix': []}, 'x.png': {'feature': [], 'matrix': [[0.5, 0.5]]}}}
    (tmp_path/'kp.json').write_text(json.dumps(points))
    r = run('evaluate', '--pred', pred, '--points', tmp_path/'kp.json', '--data', data, '--json')
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out['balanced_accuracy'] == 1.0 and out['missing_predictions'] == [], r.stderr

def test_segment_refused_for_its_model_says_only_why(tmp_path):
    "A run refused before any work (a missing --model) says that one line, not the folder's notes before it."
    import cv2, numpy as np
    d = tmp_path/'in'
    d.mkdir()
    cv2.imwrite(str(d/'field.png'), np.full((20, 30, 3), 90, np.uint8))
    (d/'slide.czi').write_bytes(b'x')
    r = run('segment', '--input', d, '--out', tmp_path/'out', '--model', tmp_path/'missing.onnx')
    refused = f"camnet segment: error: {tmp_path/'missing.onnx'}: no such model file"
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [refused], r.stderr
    r = run('segment', '--input', d, '--out', tmp_path/'out')   # the note still comes on a run that goes ahead
    assert r.returncode == 0 and '1 file not read (.czi' in r.stderr, r.stderr

def test_segment_says_which_page_of_a_stack_it_read(tmp_path):
    "A TIFF of several pages is segmented as its first page, and the run says so by the image's name, once."
    import numpy as np
    from PIL import Image
    d = tmp_path/'in'
    d.mkdir()
    pages = [Image.fromarray(np.full((20, 30, 3), v, np.uint8)) for v in (60, 200)]
    pages[0].save(d/'pair.tif', save_all=True, append_images=pages[1:])
    pages[0].save(d/'field.tif')
    r = run('segment', '--input', d, '--out', tmp_path/'out')
    said = [l for l in r.stderr.splitlines() if 'pages' in l]
    assert r.returncode == 0 and said == ["camnet segment: warning: pair.tif: 2 pages (a z-stack, a PPL/XPL pair or a "
                                          "pyramid?): only the first, 30x20, is read; save each page as an image of its "
                                          "own to use it"], r.stderr
    for k in range(11): pages[0].save(d/f'pair{k:02d}.tif', save_all=True, append_images=pages[1:])
    r = run('segment', '--input', d, '--out', tmp_path/'more')   # a folder of pairs: the first ten named
    said = [l.split(': ')[2] for l in r.stderr.splitlines() if 'pages' in l]
    assert r.returncode == 0 and said[:-1] == ['pair.tif'] + [f'pair{k:02d}.tif' for k in range(9)], r.stderr
    assert said[-1] == '2 more images read as the first page of a file of several pages', r.stderr

def test_adapt_and_live_take_max_pixels_as_segment_does(tmp_path):
    "The limit that refuses a large image names --max-pixels: adapt and live take it as segment does."
    d, pts, _, _ = _clicked_folder(tmp_path)   # 128 x 128 = 16,384 pixels an image
    r = run('adapt', '--data', d, '--points', pts, '--out', tmp_path/'rock.onnx', '--max-pixels', '10000', '-q')
    assert r.returncode == 1 and '0.png: 128x128 = 16,384 pixels exceeds the limit of 10,000' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path/'rock.onnx').exists(), r.stderr
    r = run('adapt', '--data', d, '--points', pts, '--out', tmp_path/'rock.onnx', '--max-pixels', '20000', '-q')
    assert r.returncode == 0 and (tmp_path/'rock.onnx').is_file(), r.stderr
    r = run('live', '--source', d, '--size', '64x64', '--headless', '--json', '--frames', '5', '--max-pixels', '10000')
    assert r.returncode == 1 and 'none of its images can be read' in r.stderr, r.stderr
    r = run('live', '--source', d, '--size', '64x64', '--headless', '--json', '--frames', '5', '--max-pixels', '20000')
    assert r.returncode == 0 and json.loads(r.stdout)['frames'] == 5, r.stderr

def test_a_classifier_given_as_the_model_is_one_line_before_any_work(tmp_path):
    "An ONNX classifier (N, C) given where a heatmap model (N, 1, H, W) goes is refused by its name, nothing written."
    import onnx
    from onnx import helper, TensorProto
    g = helper.make_graph([helper.make_node('ReduceMean', ['x'], ['y'], axes=[2, 3], keepdims=0)], 'classifier',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 'h', 'w'])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], ir_version=8), tmp_path/'teacher.onnx')
    says = 'teacher.onnx: not a heatmap model: it reads (1, 3, h, w) and gives (1, 3)'
    r = run('segment', '--input', ROOT/'data_samples'/'images'/'oolitic', '--out', tmp_path/'m', '--model', tmp_path/'teacher.onnx', '-q')
    assert r.returncode == 1 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not list((tmp_path/'m').rglob('*.png')), 'no mask written'
    d, pts, _, _ = _clicked_folder(tmp_path)
    r = run('adapt', '--data', d, '--points', pts, '--out', tmp_path/'rock.onnx', '--model', tmp_path/'teacher.onnx', '-q')
    assert r.returncode == 1 and says in r.stderr and not (tmp_path/'rock.onnx').exists(), r.stderr

def test_a_model_file_cut_short_is_one_line(tmp_path):
    "An ONNX file cut short (an interrupted copy or download) is named in one line by segment and adapt, not in onnxruntime's words."
    from camnet_nb.deploy import DEFAULT_ONNX
    (tmp_path/'cut.onnx').write_bytes(DEFAULT_ONNX.read_bytes()[:3000])
    r = run('segment', '--input', ROOT/'data_samples'/'images'/'oolitic', '--out', tmp_path/'m', '--model', tmp_path/'cut.onnx', '-q')
    assert r.returncode == 1 and r.stderr.strip().endswith('cut.onnx: not a readable ONNX model (Protobuf parsing failed.)'), r.stderr
    d, pts, _, _ = _clicked_folder(tmp_path)
    r = run('adapt', '--data', d, '--points', pts, '--out', tmp_path/'rock.onnx', '--model', tmp_path/'cut.onnx', '-q')
    assert r.returncode == 1 and 'cut.onnx: not a readable ONNX model' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

def test_live_on_one_image_segments_it(tmp_path):
    "One photomicrograph as --source is a still scene the loop segments, not a video of one frame that ends."
    image = next((ROOT/'data_samples'/'images'/'oolitic').glob('*.png'))
    r = run('live', '--source', image, '--size', '64x64', '--headless', '--json', '--frames', '40')
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report['frames'] == 40 and report['updates_per_s'] > 0, r.stderr

def test_sizes_are_width_by_height_as_the_help_says(tmp_path):
    "--size reads WIDTHxHEIGHT, as images are named, and the help says so where the Python docment says (height, width)."
    import cv2
    for cmd in ('live', 'synth'):
        assert 'given as WIDTHxHEIGHT' in ' '.join(run(cmd, '--help').stdout.split()), cmd
    r = run('live', '--source', 'synthetic', '--size', '64x48', '--headless', '--frames', '5', '--record', tmp_path/'s.avi')
    ok, frame = cv2.VideoCapture(str(tmp_path/'s.avi')).read()
    assert r.returncode == 0 and ok and frame.shape[:2] == (48, 64), r.stderr

def test_evaluate_without_pred_scores_the_masks_segment_would_write(tmp_path):
    "No --pred: each image is segmented here as `segment --model` segments it, and scored as its saved mask would be."
    assert run('synth', '--out', str(tmp_path/'s'), '--per-class', '1', '--size', '48x48', '-q').returncode == 0
    images, truth = tmp_path/'s'/'images', tmp_path/'s'/'masks'
    (tmp_path/'kp.json').write_text(json.dumps(_points_from_masks(truth)))
    assert run('segment', '--input', images, '--out', tmp_path/'seg', '--refine', 'rw', '-q').returncode == 0
    for scored in (['--points', tmp_path/'kp.json'], ['--gt', truth]):
        at = ['--data', images] if scored[0] == '--points' else []   # where the points' paths start
        saved = json.loads(run('evaluate', '--pred', tmp_path/'seg', *scored, *at, '--json').stdout)
        r = run('evaluate', '--refine', 'rw', *scored, '--data', images, '--json')
        made = json.loads(r.stdout)
        assert r.returncode == 0 and 'summary.csv' not in r.stderr, r.stderr   # segment's last line names a temporary folder
        key = 'balanced_accuracy' if scored[0] == '--points' else 'miou'
        assert (made[key], made['n_images']) == (saved[key], saved['n_images']) and made['n_images'] == 6, (made, saved)
        assert made['made_with'].startswith('camnet_default.onnx@') and 'refine=rw' in made['made_with']
    # segment's size options: the masks of segment --max-side 32, scored without writing them
    assert run('segment', '--input', images, '--out', tmp_path/'seg32', '--max-side', '32', '-q').returncode == 0
    saved = json.loads(run('evaluate', '--pred', tmp_path/'seg32', '--gt', truth, '--json').stdout)
    made = json.loads(run('evaluate', '--gt', truth, '--data', images, '--max-side', '32', '--json', '-q').stdout)
    assert made['miou'] == saved['miou'] and made['made_with'].endswith('side=32'), (made, saved)
    r = run('evaluate', '--gt', truth, '--data', images, '--max-pixels', '100', '-q')   # each image said, even quiet
    assert r.returncode == 1 and r.stderr.count('exceeds the limit of 100') == 6, r.stderr
    assert 'no predicted masks to score' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    for making in (['--model', tmp_path/'x.onnx'], ['--threshold', '0.5'], ['--max-side', '512']):   # beside masks made
        r = run('evaluate', '--pred', tmp_path/'seg', '--gt', truth, *making)
        assert r.returncode == 1 and 'with --pred they are read' in r.stderr and 'Traceback' not in r.stderr
    r = run('evaluate', '--gt', truth)
    assert r.returncode == 1 and 'give --pred' in r.stderr and 'Traceback' not in r.stderr
    r = run('evaluate', '--pred', tmp_path/'seg', '--gt', truth, '--data', images)   # --data would not be read
    assert r.returncode == 1 and '--data is read with --points' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'none.json').write_text('{"images": {}}')
    for pred in ([], ['--pred', tmp_path/'seg']):
        r = run('evaluate', *pred, '--points', tmp_path/'none.json', '--data', images)
        assert r.returncode == 1 and 'none.json: no images in it' in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_evaluate_at_key_points_says_an_image_it_cannot_segment_and_scores_the_others(tmp_path):
    "Without --pred, an unreadable key-point image is one line (even with -q), scored as segment's missing mask is."
    assert run('synth', '--out', str(tmp_path/'s'), '--per-class', '1', '--size', '48x48', '-q').returncode == 0
    images = tmp_path/'s'/'images'
    points = _points_from_masks(tmp_path/'s'/'masks')
    first = sorted(points['images'])[0]
    (tmp_path/'kp.json').write_text(json.dumps(points))
    whole = json.loads(run('evaluate', '--points', tmp_path/'kp.json', '--data', images, '--json', '-q').stdout)
    (images/first).write_bytes((images/first).read_bytes()[:100])   # cut short after the first run
    r = run('evaluate', '--points', tmp_path/'kp.json', '--data', images, '--json', '-q')
    cut = json.loads(r.stdout)
    assert r.returncode == 0 and r.stderr.count('failed ') == 1 and Path(first).name in r.stderr, r.stderr
    assert cut['missing_predictions'] == [first], cut
    assert cut['per_image'][first]['recall'] == 0.0 and cut['n_images'] == whole['n_images'] == 6, cut
    others = {k: v for k, v in cut['per_image'].items() if k != first}
    assert others == {k: v for k, v in whole['per_image'].items() if k != first}   # nothing else lost
    r = run('evaluate', '--points', tmp_path/'kp.json', '--data', images, '--allow-missing', '--json')
    left_out = json.loads(r.stdout)
    assert left_out['n_images'] == 5 and left_out['per_image'] == others, left_out
    assert '1 key-point image(s) without a prediction, left out' in r.stderr, r.stderr
