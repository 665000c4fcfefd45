"The training chain through the command line: teacher -> CAMs -> FLKD -> export -> segment; DDP on 2 CPU processes."
import csv, json, os, subprocess, sys
from pathlib import Path
import numpy as np, pytest, torch, cv2
from PIL import Image

BIN = Path(sys.executable).parent
def run(*a, **kw): return subprocess.run([str(BIN/'camnet'), *map(str, a)], capture_output=True, text=True, timeout=900, **kw)

@pytest.fixture(scope='module')
def chain(tmp_path_factory):
    d = tmp_path_factory.mktemp('chain')
    assert run('synth', '--out', d/'s', '--per-class', '3', '--size', '64x64').returncode == 0
    r = run('train-teacher', '--data', d/'s'/'images', '--arch', 'resnet18', '--epochs', '1', '--img-size', '64', '--batch-size', '6', '--out', d/'t.pt',
            '--crop-scale', '0.6', '0.8', '--workers', '1', '--json')   # a loader process, as a GPU user runs it
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)['validation']; assert set(m) >= {'accuracy', 'auc', 'f1', 'top1_error'}   # all of stdout: epochs go to stderr
    r = run('cams', '--teacher', d/'t.pt', '--data', d/'s'/'images', '--out', d/'cams', '--method', 'gradcam', '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 18, r.stderr
    r = run('distill', '--data', d/'s'/'images', '--cams', d/'cams', '--out', d/'c.pt', '--epochs', '1', '--img-size', '64')
    assert r.returncode == 0, r.stderr
    return d

def test_checkpoints_are_plain_state_dicts(chain):
    for f in ('t.pt', 'c.pt'):
        sd = torch.load(chain/f, weights_only=True); assert isinstance(sd, dict) and all(torch.is_tensor(v) for v in sd.values())
        assert json.loads((chain/(f + '.json')).read_text())

def test_export_static_and_dynamic(chain):
    r = run('export', '--model', chain/'c.pt', '--out', chain/'c.onnx', '--static', '128x96', '--trt')
    from camnet_nb.deploy import tensorrt_available
    if tensorrt_available():   # no engine can be built here: a failure of what was asked, in one line, the ONNX kept
        assert r.returncode == 1 and 'no engine' in r.stderr and 'Traceback' not in r.stderr and (chain/'c.onnx').exists(), r.stderr
        r = run('export', '--model', chain/'c.pt', '--out', chain/'c.onnx', '--static', '128x96')
    assert r.returncode == 0 and 'opset 13' in r.stdout, r.stderr
    import onnx
    m = onnx.load(str(chain/'c.onnx')); dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 96, 128] and m.opset_import[0].version == 13
    r = run('export', '--model', chain/'c.pt', '--out', chain/'c16.onnx', '--half')
    assert r.returncode == 0 and 'float16' in r.stdout, r.stderr
    from camnet_nb.deploy import OnnxRunner
    x = np.random.default_rng(0).random((1, 3, 80, 112), dtype=np.float32)     # dynamic size, float32 in and out
    from camnet_nb.camnet import load_student
    from camnet_nb.deploy import TorchRunner
    y16, y32 = OnnxRunner(chain/'c16.onnx')(x), TorchRunner(load_student(chain/'c.pt')[0])(x)
    assert y16.dtype == np.float32 and y16.shape == (1, 1, 80, 112) and np.abs(y16 - y32).max() < 1e-2
    assert (chain/'c16.onnx').stat().st_size < 0.6 * (chain/'c.onnx').stat().st_size

def test_segment_folder_with_bad_files(chain, tmp_path):
    src = tmp_path/'in'; src.mkdir()
    for i in range(2): Image.fromarray(np.random.default_rng(i).integers(0, 255, (50 + i, 70, 3), dtype=np.uint8)).save(src/f'ok{i}.jpg')
    (src/'empty.png').write_bytes(b''); (src/'junk.tif').write_bytes(b'\x00junk'); (src/'dir.jpg').mkdir()
    for refine in ('none', 'glcm', 'rw'):
        r = run('segment', '--input', src, '--out', tmp_path/refine, '--model', chain/'c.pt', '--refine', refine)
        assert r.returncode == 1 and 'Traceback' not in r.stderr, r.stderr
        for n in ('empty.png', 'junk.tif'): assert n in r.stderr
        for i in range(2):
            m = cv2.imread(str(tmp_path/refine/f'ok{i}.png'), 0)
            assert m.shape == (50 + i, 70) and set(np.unique(m)) <= {0, 255}
            assert (tmp_path/refine/'heatmaps'/f'ok{i}.png').exists()

def test_segment_single_image_ok(chain, tmp_path):
    p = tmp_path/'a.png'; Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(p)
    r = run('segment', '--input', p, '--out', tmp_path/'o', '--model', chain/'c.pt', '--refine', 'none')
    assert r.returncode == 0 and (tmp_path/'o'/'a.png').exists(), r.stderr

def test_segment_threshold_adaptive_by_default(chain, tmp_path):
    "Default: each heatmap's own Otsu level; --threshold fixes one."
    from camnet_nb.synth import make_thin_section
    from camnet_nb.pipeline import mask_level
    p = tmp_path/'s.png'; Image.fromarray(make_thin_section('oolitic', (64, 64), seed=1)[0]).save(p)
    for name, flag in (('auto', []), ('fixed', ['--threshold', '0.5'])):
        r = run('segment', '--input', p, '--out', tmp_path/name, '--model', chain/'c.pt', '--refine', 'none', *flag)
        assert r.returncode == 0, r.stderr
    heat = cv2.imread(str(tmp_path/'auto'/'heatmaps'/'s.png'), 0) / 255.0
    auto, fixed = (cv2.imread(str(tmp_path/k/'s.png'), 0) > 0 for k in ('auto', 'fixed'))
    assert (fixed == (heat >= 0.5)).mean() > 0.99 and (auto == (heat >= mask_level(heat))).mean() > 0.99
    assert auto.any() and not auto.all()

def test_teacher_records_its_crop_scale(chain):
    assert json.loads((chain/'t.pt.json').read_text())['crop_scale'] == [0.6, 0.8]

def test_cams_output_stride_is_part_of_the_cache_key(chain, tmp_path):
    assert json.loads((chain/'cams'/'index.json').read_text())['output_stride'] == 8
    r = run('cams', '--teacher', chain/'t.pt', '--data', chain/'s'/'images', '--out', tmp_path/'c32', '--method', 'gradcam', '--output-stride', '32', '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 18, r.stderr
    idx = json.loads((tmp_path/'c32'/'index.json').read_text())
    assert idx['output_stride'] == 32 and all('gradcam-os32' in v for v in idx['maps'].values())
    r = run('cams', '--teacher', chain/'t.pt', '--data', chain/'s'/'images', '--out', tmp_path/'c', '--output-stride', '12')
    assert r.returncode == 2 and 'invalid choice' in r.stderr

def test_cams_resume_and_teacher_change(chain, tmp_path):
    "The same teacher again: nothing recomputed; a changed teacher: every CAM recomputed, under the new teacher's hash."
    import shutil
    out = tmp_path/'cams'
    shutil.copytree(chain/'cams', out)
    args = ('--data', chain/'s'/'images', '--out', out, '--method', 'gradcam', '--json')
    r = run('cams', '--teacher', chain/'t.pt', *args)
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 0, r.stderr
    before = json.loads((out/'index.json').read_text())
    sd = torch.load(chain/'t.pt', weights_only=True)
    torch.save({k: v + 0.01 if v.is_floating_point() else v for k, v in sd.items()}, tmp_path/'t2.pt')   # same name inside, other weights
    shutil.copy(chain/'t.pt.json', tmp_path/'t2.pt.json')
    r = run('cams', '--teacher', tmp_path/'t2.pt', *args)
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 18, r.stderr
    after = json.loads((out/'index.json').read_text())
    assert after['teacher_hash'] != before['teacher_hash']
    folders = {Path(v).parts[0] for v in after['maps'].values()}
    assert len(folders) == 1 and folders != {Path(v).parts[0] for v in before['maps'].values()}   # no map of the old teacher is reused

def test_teacher_missing_pretrained_weights_is_one_line(tmp_path, chain):
    "A weights file that is not there: one line, before any training (the offline download case is in test_pretrained, without a network)."
    r = run('train-teacher', '--data', chain/'s'/'images', '--arch', 'resnet18', '--epochs', '1', '--out', tmp_path/'t.pt',
            '--pretrained', '--weights', tmp_path/'missing.pth')
    assert r.returncode == 1 and 'no such weights file' in r.stderr and 'Traceback' not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path/'t.pt').exists()

def torchrun(*args, cwd):
    "Two CPU ranks under torchrun; run again once where a rank aborted in gloo's teardown (a rare race on a loaded machine)."
    cmd = [str(BIN/'torchrun'), '--standalone', '--nproc_per_node=2', *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)
    if r.returncode != 0 and 'terminate called without an active exception' in r.stderr:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)
    return r

def test_ddp_two_cpu_processes(chain, tmp_path):
    "Two ranks train on different halves of the data; with gradients synchronised, each rank's own weights end equal."
    code = f"""
import torch, torch.distributed as dist
import camnet_nb.teacher as T
made = []
def keep(*a, **kw):   # hold on to this rank's own network, not the checkpoint rank 0 writes
    made.append(T.make_classifier_unhooked(*a, **kw))
    return made[-1]
T.make_classifier_unhooked, T.make_classifier = T.make_classifier, keep
T.train_teacher(r'{chain/'s'/'images'}', r'{tmp_path/'ddp.pt'}', arch='resnet18', epochs=1, img_size=48, batch_size=4, progress=False)
s = torch.tensor([sum(float(p.double().sum()) for p in made[0].parameters())], dtype=torch.float64)
g = [torch.zeros(1, dtype=s.dtype) for _ in range(dist.get_world_size())]
dist.all_gather(g, s)
if dist.get_rank() == 0: print('SUMS', [float(x) for x in g])
dist.barrier()  # nobody tears the group down while a peer still talks to it
dist.destroy_process_group()
"""
    (tmp_path/'ddp.py').write_text(code)
    r = torchrun(tmp_path/'ddp.py', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-6000:]
    sums = eval(r.stdout.split('SUMS')[1].strip().splitlines()[0])
    assert len(sums) == 2 and sums[0] == sums[1]
    assert (tmp_path/'ddp.pt').exists() and len(list(tmp_path.glob('ddp.pt*'))) == 3   # one checkpoint (+ .json, .state)

def test_ddp_through_the_command_line(chain, tmp_path):
    "`torchrun camnet train-teacher` on 2 CPU processes: both ranks exit 0 (the group ended after the work), rank 0 alone reports."
    r = torchrun('-m', 'camnet_nb', 'train-teacher', '--data', chain/'s'/'images', '--arch', 'resnet18', '--epochs', '1',
                 '--img-size', '48', '--batch-size', '4', '--out', tmp_path/'t.pt', '--json', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-6000:]
    assert len(r.stdout.strip().splitlines()) == 1 and json.loads(r.stdout)['validation']['epoch'] == 1
    assert (tmp_path/'t.pt').exists()

def test_cams_repairs_a_damaged_cache_and_merges_runs(chain, tmp_path):
    "A truncated CAM is recomputed (not reported as cached); another data set into the same folder keeps both in the index."
    import shutil
    out = tmp_path/'cams'
    r = run('cams', '--teacher', chain/'t.pt', '--data', chain/'s'/'images', '--out', out, '--method', 'gradcam')
    assert r.returncode == 0, r.stderr
    idx = json.loads((out/'index.json').read_text())['maps']
    victim = out/next(iter(idx.values()))
    victim.write_bytes(victim.read_bytes()[:64])
    r = run('cams', '--teacher', chain/'t.pt', '--data', chain/'s'/'images', '--out', out, '--method', 'gradcam', '--json')
    res = json.loads(r.stdout)
    assert res['computed'] == 1 and res['cached'] == 17 and cv2.imread(str(victim), cv2.IMREAD_UNCHANGED) is not None
    other = tmp_path/'other'; shutil.copytree(chain/'s'/'images', other)
    for p in other.rglob('*.png'): cv2.imwrite(str(p), 255 - cv2.imread(str(p)))   # new content, new hashes
    r = run('cams', '--teacher', chain/'t.pt', '--data', other, '--out', out, '--method', 'gradcam')
    assert r.returncode == 0 and len(json.loads((out/'index.json').read_text())['maps']) == 36

def test_cam_write_failure_names_the_file(tmp_path):
    from camnet_nb.cam import _write_cam
    (tmp_path/'afile').write_text('x')
    with pytest.raises(OSError, match='afile.*cannot write the CAM'): _write_cam(tmp_path/'afile'/'c.png', np.zeros((4, 4), np.float32))

# one thread: a multi-threaded CPU kernel may add its partial sums in another order from
# run to run (the last bits of a weight), which three epochs then carry on; seen once in a full suite
ONE_THREAD = os.environ | dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')

def _killed_then_resumed(args, out, state_epochs):
    "Run `camnet *args --out out`, SIGKILL it once its first .state is saved, then resume it to the end."
    import signal, time
    state = out.with_name(out.name + '.state')
    p = subprocess.Popen([str(BIN/'camnet'), *map(str, args), '--out', str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=ONE_THREAD)
    while not state.exists() and p.poll() is None: time.sleep(0.01)
    p.send_signal(signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL, 'the run ended before it could be killed'
    done = torch.load(state, weights_only=False)['epoch'] + 1   # epochs finished (the state counts from 0)
    assert done < state_epochs   # killed part-way
    r = run(*args, '--out', out, '--resume', env=ONE_THREAD)
    assert r.returncode == 0 and f'resuming from epoch {done + 1} ({done} trained before; ' in r.stderr, r.stderr
    assert f'epoch {done + 1}: ' in r.stderr and f'epoch {done}: ' not in r.stderr, r.stderr   # the next one, as said
    return torch.load(state, weights_only=False)['model']

@pytest.mark.parametrize('command', ['train-teacher', 'distill'])
def test_kill_and_resume_gives_the_uninterrupted_weights(chain, tmp_path, command):
    args = (['train-teacher', '--data', chain/'s'/'images', '--arch', 'resnet18', '--epochs', '4', '--img-size', '64', '--batch-size', '6']
            if command == 'train-teacher' else
            ['distill', '--data', chain/'s'/'images', '--cams', chain/'cams', '--epochs', '4', '--img-size', '64'])
    r = run(*args, '--out', tmp_path/'whole.pt', env=ONE_THREAD); assert r.returncode == 0, r.stderr
    whole = torch.load(tmp_path/'whole.pt.state', weights_only=False)['model']
    resumed = _killed_then_resumed(args, tmp_path/'cut.pt', 4)
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)          # bit for bit, on the CPU

def test_resume_from_a_bad_state_is_one_line(chain, tmp_path):
    (tmp_path/'c.pt.state').write_bytes((chain/'c.pt.state').read_bytes()[:1000])   # truncated by a full disk
    r = run('distill', '--data', chain/'s'/'images', '--cams', chain/'cams', '--out', tmp_path/'c.pt', '--epochs', '1', '--img-size', '64', '--resume')
    assert r.returncode == 1 and 'c.pt.state: not a readable training state' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    (tmp_path/'c.pt.state').write_bytes((chain/'c.pt.state').read_bytes())
    r = run('distill', '--data', chain/'s'/'images', '--cams', chain/'cams', '--out', tmp_path/'c.pt', '--epochs', '1', '--img-size', '64', '--resume',
            '--student', 'mbv3')
    assert r.returncode == 1 and "student 'camnet', not 'mbv3'" in r.stderr and len(r.stderr) < 400, r.stderr
    (tmp_path/'.tmp-c.pt.state').write_bytes(b'x' * 1000)               # what a kill during a save leaves
    r = run('distill', '--data', chain/'s'/'images', '--cams', chain/'cams', '--out', tmp_path/'c.pt', '--epochs', '1', '--img-size', '64')
    assert r.returncode == 0 and not (tmp_path/'.tmp-c.pt.state').exists(), r.stderr

def test_a_teacher_is_not_a_heatmap_model(chain, tmp_path):
    r = run('segment', '--input', chain/'s'/'images', '--out', tmp_path/'o', '--model', chain/'t.pt')
    assert r.returncode == 1 and 'a teacher (resnet18 classifier)' in r.stderr and len(r.stderr) < 400, r.stderr

def test_head_only_teacher_is_an_ordinary_teacher(tmp_path):
    data = Path(__file__).resolve().parent.parent/'data_samples'/'images'
    r = run('train-teacher', '--data', data, '--arch', 'efficientnet_lite0', '--head-only', '--img-size', '64', '--out', tmp_path/'h.pt', '--json')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout); assert 0 <= res['validation']['f1'] <= 1   # no test/ folder here: nothing scored as test
    cfg = json.loads((tmp_path/'h.pt.json').read_text()); assert cfg['head_only']['views'] == 12 and cfg['input_norm'] == 'tf_lite'
    r = run('cams', '--teacher', tmp_path/'h.pt', '--data', data, '--out', tmp_path/'cams', '--output-stride', '16', '--json')   # CAMs read it
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 24, r.stderr

def test_second_round_labels_from_a_student(chain, tmp_path):
    "refine-labels writes a CAM-layout folder from a student's refined masks; a rerun computes nothing; distill trains on it."
    args = ('refine-labels', '--model', chain/'c.pt', '--data', chain/'s'/'images', '--out', tmp_path/'l', '--refine', 'glcm', '--json')
    r = run(*args); assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['computed'] == 18
    r = run(*args); assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 0 and json.loads(r.stdout)['cached'] == 18
    lab = next((tmp_path/'l').rglob('*.png'))
    a = cv2.imread(str(lab), cv2.IMREAD_UNCHANGED)
    assert a.dtype == np.uint16 and a.shape == (64, 64)
    r = run('distill', '--data', chain/'s'/'images', '--cams', tmp_path/'l', '--out', tmp_path/'c2.pt', '--epochs', '1', '--img-size', '64')
    assert r.returncode == 0 and (tmp_path/'c2.pt').is_file(), r.stderr

def test_second_round_bad_inputs_are_one_line(chain, tmp_path):
    r = run('refine-labels', '--model', tmp_path/'none.pt', '--data', chain/'s'/'images', '--out', tmp_path/'l')
    assert r.returncode == 1 and 'Traceback' not in r.stderr and 'none.pt' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run('refine-labels', '--data', chain/'s'/'images', '--out', tmp_path/'l', '--sigma', '-1')
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].endswith('--sigma: must be at least 0, got -1') and not (tmp_path/'l').exists()

def test_cams_from_grain_free_classes(chain, tmp_path):
    "No teacher: the grain-free classes' contrast writes a CAM folder that distill reads; a wrong call is one line and keeps the maps."
    args = ('--data', chain/'s'/'images', '--out', tmp_path/'m', '--json')
    r = run('cams', '--matrix-classes', 'mudstone', *args)
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 18, r.stderr
    idx = json.loads((tmp_path/'m'/'index.json').read_text())
    assert idx['method'] == 'matrix-contrast' and len(idx['maps']) == 18
    r = run('cams', '--matrix-classes', 'mudstone', *args)
    assert r.returncode == 0 and json.loads(r.stdout)['computed'] == 0, r.stderr   # cached
    model = json.loads(r.stdout)['model']                 # the contrast itself, a heatmap model like any other
    r = run('segment', '--input', chain/'s'/'images', '--out', tmp_path/'seg', '--model', model, '--refine', 'none')
    rows = list(csv.DictReader(open(tmp_path/'seg'/'summary.csv')))
    assert r.returncode == 0 and len(rows) == 18 and not any(x['error'] for x in rows), r.stderr
    # the student that learns such maps, at their side, with its own refinement (the CLI passes all three on)
    distil = ('distill', '--data', chain/'s'/'images', '--cams', tmp_path/'m', '--epochs', '1', '--img-size', '64', '--student', 'lite0')
    r = run(*distil, '--out', tmp_path/'c.pt', '--side', '96', '--refine', 'none', '--workers', '1')
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path/'c.pt.json').read_text())
    assert (cfg['student'], cfg['side'], cfg['refine']) == ('lite0', 96, 'none'), cfg
    r = run(*distil, '--out', tmp_path/'bad.pt', '--side', '0')
    assert r.returncode == 2 and '--side: must be at least 32, got 0' in r.stderr and 'Traceback' not in r.stderr and not (tmp_path/'bad.pt').exists(), r.stderr
    for bad, says in (((), 'one of the two'), (('--teacher', chain/'t.pt', '--matrix-classes', 'mudstone'), 'one of the two'),
                      (('--matrix-classes', 'mud'), 'mud: not a class of')):
        r = run('cams', *bad, *args)
        assert r.returncode == 1 and says in r.stderr and 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert json.loads((tmp_path/'m'/'index.json').read_text()) == idx   # nothing already done is lost

def test_cams_count_the_unreadable_files_they_skip(chain, tmp_path):
    "A cut-short JPEG among the images: the CAMs of the others are made, the bad one is counted and named once."
    import shutil
    shutil.copytree(chain/'s'/'images', tmp_path/'images')
    cls = next(p for p in sorted((tmp_path/'images').iterdir()) if p.is_dir())
    (cls/'cut.jpg').write_bytes(b'\xff\xd8 a JPEG copied in part')
    r = run('cams', '--teacher', chain/'t.pt', '--data', tmp_path/'images', '--out', tmp_path/'cams', '--method', 'gradcam',
            '--output-stride', '32', '--json')
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)['computed'], json.loads(r.stdout)['skipped']) == (18, 1), r.stdout
    assert r.stderr.count('cut.jpg') == 1, r.stderr
