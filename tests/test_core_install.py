"The core install (`pip install camnet_nb`, no extras) runs `camnet segment` and `camnet live` without PyTorch."
import json, importlib.metadata as md, os, re, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def _core_requirements(wheel:Path) -> list[str]:
    "Requires-Dist lines of the wheel that no extra guards."
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))).decode()
    reqs = [l.split(':', 1)[1].strip() for l in meta.splitlines() if l.startswith('Requires-Dist:')]
    return [r for r in reqs if 'extra ==' not in r]

def _closure(reqs) -> set[str]:
    "The installed distributions these requirements need, recursively (what pip would install for them)."
    seen, todo = set(), [re.split(r'[ ;<>=!~\[]', r, maxsplit=1)[0] for r in reqs]
    while todo:
        name = todo.pop().lower().replace('_', '-')
        if name in seen: continue
        try: dist = md.distribution(name)
        except md.PackageNotFoundError: continue   # only needed on other platforms or Pythons
        seen.add(name)
        for r in dist.requires or []:
            if 'extra ==' in r: continue
            marker = r.split(';', 1)[1] if ';' in r else ''
            if 'sys_platform == "win32"' in marker or "platform_system == \"Windows\"" in marker: continue
            todo.append(re.split(r'[ ;<>=!~\[(]', r, maxsplit=1)[0])
    return seen

@pytest.fixture(scope='module')
def core_env(tmp_path_factory):
    "A fresh venv holding the camnet_nb wheel and only its core requirements (linked from this environment: no network)."
    import shutil
    d = tmp_path_factory.mktemp('core')
    for f in ('setup.py', 'settings.ini', 'README.md', 'pyproject.toml'): shutil.copy(ROOT/f, d/f)   # built here, not in the clone
    shutil.copytree(ROOT/'camnet_nb', d/'camnet_nb', ignore=shutil.ignore_patterns('__pycache__'))
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', d/'wheel', d],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    wheel = next((d/'wheel').glob('camnet_nb-*.whl'))
    venv.EnvBuilder(with_pip=False).create(d/'env')
    py = d/'env'/'bin'/'python'
    site = Path(subprocess.check_output([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], text=True).strip())
    core = d/'core-site'; core.mkdir()
    for name in _closure(_core_requirements(wheel)):
        dist = md.distribution(name)
        for top in {Path(str(f)).parts[0] for f in dist.files or []} - {'..', '__pycache__'}:
            src = Path(dist.locate_file(top))
            if src.exists() and not (core/top).exists(): (core/top).symlink_to(src)
    (site/'core.pth').write_text(str(core) + '\n')
    r = subprocess.run([sys.executable, '-m', 'pip', '--python', py, 'install', '--no-deps', '--no-index', '-q', wheel],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return d/'env'/'bin'

def run(bindir, *a, **kw): return subprocess.run([str(bindir/'camnet'), *map(str, a)], capture_output=True, text=True, timeout=600, **kw)

def test_core_has_no_torch(core_env):
    r = subprocess.run([core_env/'python', '-c', 'import torch'], capture_output=True, text=True)
    assert r.returncode != 0 and 'torch' in r.stderr

def test_core_segments_with_the_shipped_onnx(core_env, tmp_path):
    r = run(core_env, 'segment', '--input', ROOT/'data_samples'/'images'/'oolitic', '--out', tmp_path/'out', '--json')
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 4 and len(list((tmp_path/'out').glob('*.png'))) == 4
    for refine in ('rw', 'paper-glcm', 'glcm', 'none'):
        r = run(core_env, 'segment', '--input', ROOT/'data_samples'/'images'/'oolitic', '--out', tmp_path/refine, '--refine', refine, '-q')
        assert r.returncode == 0, (refine, r.stderr)

def test_core_segments_with_clicks_and_adapts(core_env, tmp_path):
    "segment --points and adapt run without PyTorch, and so does the adapted model: the microscope's computer learns."
    from camnet_nb.teach import write_points
    d = ROOT/'data_samples'/'images'/'oolitic'
    img = sorted(d.glob('*.png'))[0]
    f = write_points({img: {'feature': [[0.3, 0.3]], 'matrix': [[0.7, 0.7]]}}, tmp_path/'points.json', root=d)
    r = run(core_env, 'segment', '--input', d, '--out', tmp_path/'clicked', '--points', f, '-q')
    assert r.returncode == 0, r.stderr
    r = run(core_env, 'adapt', '--data', d, '--points', f, '--out', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0, r.stderr
    r = run(core_env, 'segment', '--input', d, '--out', tmp_path/'adapted', '--model', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0 and len(list((tmp_path/'adapted').glob('*.png'))) == 4, r.stderr
    r = run(core_env, 'evaluate', '--pred', tmp_path/'clicked', '--points', f, '--data', d, '--json')   # the clicked pixels end on their side
    assert r.returncode == 0 and json.loads(r.stdout)['balanced_accuracy'] == 1.0, r.stderr
    r = run(core_env, 'evaluate', '--model', tmp_path/'rock.onnx', '--points', f, '--data', d, '--json', '-q')
    assert r.returncode == 0 and json.loads(r.stdout)['made_with'].startswith('rock.onnx@'), r.stderr   # made here

def test_core_runs_the_live_loop(core_env):
    r = run(core_env, 'live', '--headless', '--frames', '30', '--size', '96x96', '--json')
    assert r.returncode == 0 and '"frames": 30' in r.stdout, r.stderr

def test_core_live_window_learns_from_clicks(core_env, tmp_path):
    "camnet live's window handlers teach and keep a model without PyTorch: the microscope's computer learns on its own."
    script = f"""
import cv2, numpy as np
from camnet_nb.cli import window_controls, _live_model
from camnet_nb.stream import LiveLoop
loop = LiveLoop(_live_model())
loop.frame = np.full((96, 128, 3), 40, np.uint8)
loop.frame[30:60, 30:60] = 220
on_mouse, on_key, teaching = window_controls(loop, {str(tmp_path/'taught.onnx')!r}, log=print)
on_mouse(cv2.EVENT_LBUTTONDOWN, 45, 45, 0)
on_mouse(cv2.EVENT_RBUTTONDOWN, 110, 80, 0)
on_key(ord('k'))
"""
    r = subprocess.run([core_env/'python', '-c', script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and '2 clicks: the loop now segments with them' in r.stdout and 'kept ' in r.stdout, r.stdout + r.stderr
    r = run(core_env, 'segment', '--input', ROOT/'data_samples'/'images'/'oolitic', '--out', tmp_path/'taught',
            '--model', tmp_path/'taught.onnx', '-q')
    assert r.returncode == 0 and len(list((tmp_path/'taught').glob('*.png'))) == 4, r.stderr
    clicks = tmp_path/'taught_clicks'/'points.json'   # the clicked scene and its clicks, kept beside the model
    r = run(core_env, 'adapt', '--data', clicks.parent, '--points', clicks, '--out', tmp_path/'rock.onnx', '-q')
    assert r.returncode == 0 and (tmp_path/'rock.onnx').is_file(), r.stderr
    r = run(core_env, 'live', '--headless', '--frames', '10', '--size', '96x128', '--clicks', clicks, '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['feature_clicks'] == 1 and 'resumed ' in r.stderr, r.stderr

def test_core_says_what_to_install_for_training(core_env, tmp_path):
    r = run(core_env, 'train-teacher', '--data', ROOT/'data_samples'/'images', '--out', tmp_path/'t.pt')
    assert r.returncode == 1 and "pip install 'camnet_nb[train]'" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
