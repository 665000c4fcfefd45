"camnet segment on folders: nothing overwritten, never into its own input, every write checked, resumable after a kill."
import csv, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, cv2, pytest

BIN = Path(sys.executable).parent
def camnet(*a): return [str(BIN/'camnet'), *map(str, a)]
def run(*a): return subprocess.run(camnet(*a), capture_output=True, text=True, timeout=600)

def _images(root, n, size=(48, 64)):
    rng = np.random.default_rng(0)
    for i in range(n):
        p = root/f'sub{i % 3}'/f'im{i:03d}.png'; p.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(p), rng.integers(0, 255, (*size, 3), dtype=np.uint8))
    return root

def _table(out): return {r['path']: r for r in csv.DictReader(open(out/'summary.csv'))}

def test_same_names_in_other_folders_or_formats(tmp_path):
    img = np.random.default_rng(1).integers(0, 255, (32, 40, 3), dtype=np.uint8)
    for rel in ('train/c/x.jpg', 'test/c/x.jpg', 'train/c/x.png'):
        (tmp_path/'in'/rel).parent.mkdir(parents=True, exist_ok=True); cv2.imwrite(str(tmp_path/'in'/rel), img)
    r = run('segment', '--input', tmp_path/'in', '--out', tmp_path/'out', '--refine', 'none')
    assert r.returncode == 0, r.stderr
    masks = sorted(str(p.relative_to(tmp_path/'out')) for p in (tmp_path/'out').rglob('*.png') if 'heatmaps' not in p.parts)
    assert masks == ['test/c/x.png', 'train/c/x_jpg.png', 'train/c/x_png.png']
    assert set(_table(tmp_path/'out')) == {'train/c/x.jpg', 'test/c/x.jpg', 'train/c/x.png'}

def test_never_into_its_own_input(tmp_path):
    src = _images(tmp_path/'in', 3)
    before = {p: p.read_bytes() for p in src.rglob('*.png')}
    r = run('segment', '--input', src, '--out', src)
    assert r.returncode == 1 and 'is the input folder' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in src.rglob('*.png')} == before        # nothing written, nothing replaced
    one = src/'sub0'/'im000.png'                                               # one image, --out its own folder: same path
    r = run('segment', '--input', one, '--out', one.parent)
    assert r.returncode == 1 and 'would replace this input image' in r.stderr and one.read_bytes() == before[one]
    r = run('segment', '--input', src, '--out', src/'masks', '--refine', 'none')
    r = run('segment', '--input', src, '--out', src/'masks', '--refine', 'none')   # the second run must not segment its own masks
    assert r.returncode == 0 and set(_table(src/'masks')) == {str(p.relative_to(src)) for p in before}

def test_failed_write_names_the_file_and_fails(tmp_path):
    src = _images(tmp_path/'in', 2)
    out = tmp_path/'out'; (out/'sub0').mkdir(parents=True); (out/'sub0'/'im000.png').mkdir()   # a folder where a mask must go
    r = run('segment', '--input', src, '--out', out, '--refine', 'none')
    assert r.returncode == 1 and 'im000.png' in r.stderr and 'cannot write' in r.stderr
    t = _table(out)
    assert t['sub0/im000.png']['error'] and not t['sub1/im001.png']['error']

def test_resume_after_a_kill(tmp_path):
    src = _images(tmp_path/'in', 40, size=(160, 200))
    out = tmp_path/'out'
    p = subprocess.Popen(camnet('segment', '--input', src, '--out', out, '--refine', 'grabcut'), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len([q for q in out.rglob('*.png') if 'heatmaps' not in q.parts]) < 5: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    done = [q for q in out.rglob('*.png') if 'heatmaps' not in q.parts]
    assert 5 <= len(done) < 40, len(done)                                   # killed part-way
    r = run('segment', '--input', src, '--out', out, '--refine', 'grabcut')
    assert r.returncode == 0, r.stderr
    masks = [q for q in out.rglob('*.png') if 'heatmaps' not in q.parts]
    assert len(masks) == 40 and all(cv2.imread(str(q), 0) is not None for q in masks)
    assert not list(out.rglob('.tmp-*'))                                     # no half-written file survives
    t = _table(out)
    assert len(t) == 40 and not any(r['error'] for r in t.values())
    first = {q: q.stat().st_mtime_ns for q in masks}
    run('segment', '--input', src, '--out', out, '--refine', 'grabcut')      # complete: nothing redone
    assert {q: q.stat().st_mtime_ns for q in masks} == first
    run('segment', '--input', src, '--out', out, '--refine', 'grabcut', '--overwrite')
    assert all(q.stat().st_mtime_ns != first[q] for q in masks)

def test_json_rows_on_stdout_logs_on_stderr(tmp_path):
    import json
    src = _images(tmp_path/'in', 3)
    r = run('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none', '--json')
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert r.returncode == 0 and len(rows) == 3 and {'path', 'composite_rate', 'entropy', 'imp', 'heatmap_mean'} <= set(rows[0])
    assert 'segmented 3 of 3' in r.stderr and 'segmented' not in r.stdout

def test_shards_run_side_by_side_then_merge(tmp_path):
    src = _images(tmp_path/'in', 7)
    env = lambda rank: {**os.environ, 'RANK': str(rank), 'WORLD_SIZE': '3'}   # what torchrun gives each process
    procs = [subprocess.Popen(camnet('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none', '--shard', '0/3'),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    procs += [subprocess.Popen(camnet('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none'), env=env(rank),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in (1, 2)]
    for p in procs: assert p.wait(timeout=600) == 0, p.stderr.read()
    parts = sorted(p.name for p in (tmp_path/'out').glob('summary*.csv'))
    assert parts == [f'summary.shard-{i}-of-3.csv' for i in range(3)]
    sizes = [len(list(csv.DictReader(open(tmp_path/'out'/p)))) for p in parts]
    assert sizes == [3, 2, 2]                                    # every image once, in one shard
    r = run('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none', '--json')   # the merge
    assert r.returncode == 0 and r.stdout == '', r.stdout        # nothing segmented again
    assert [p.name for p in (tmp_path/'out').glob('summary*.csv')] == ['summary.csv'] and len(_table(tmp_path/'out')) == 7
    r = run('segment', '--input', src, '--out', tmp_path/'o2', '--shard', '3/3')
    assert r.returncode == 2 and '0 <= I < N' in r.stderr

def test_overlay_pictures_beside_the_masks(tmp_path):
    src = _images(tmp_path/'in', 3)
    r = run('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none', '--overlay')
    assert r.returncode == 0, r.stderr
    pics = sorted((tmp_path/'out'/'overlays').rglob('*.jpg'))
    assert [str(p.relative_to(tmp_path/'out'/'overlays')) for p in pics] == ['sub0/im000.jpg', 'sub1/im001.jpg', 'sub2/im002.jpg']
    assert cv2.imread(str(pics[0])).shape == (48, 64, 3)               # at the image's own size

def test_quiet_still_names_the_images_that_failed(tmp_path):
    "--quiet drops progress and notes, not errors: a failed image is named, and the exit code says it."
    src = _images(tmp_path/'in', 2)
    (src/'sub0'/'cut.jpg').write_bytes(b'\xff\xd8 a JPEG copied in part')
    r = run('segment', '--input', src, '--out', tmp_path/'out', '--refine', 'none', '-q')
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines() == [l for l in r.stderr.strip().splitlines() if 'cut.jpg' in l] and 'failed' in r.stderr, r.stderr
    assert not _table(tmp_path/'out')['sub1/im001.png']['error']

def test_a_failed_image_is_redone_even_where_an_older_mask_is(tmp_path):
    "An image that failed in the last run is redone by the next one, though a mask from a run before it is still there."
    src = _images(tmp_path/'in', 2)
    out = tmp_path/'out'
    assert run('segment', '--input', src, '--out', out, '--refine', 'none').returncode == 0
    img = src/'sub0'/'im000.png'
    good = img.read_bytes()
    img.write_bytes(good[:40])                                               # cut short: unreadable
    r = run('segment', '--input', src, '--out', out, '--refine', 'none', '--overwrite')
    assert r.returncode == 1 and _table(out)['sub0/im000.png']['error']
    assert (out/'sub0'/'im000.png').is_file()                                # the first run's mask is still there
    img.write_bytes(good)                                                    # the image mended
    r = run('segment', '--input', src, '--out', out, '--refine', 'none')
    assert r.returncode == 0, r.stderr
    t = _table(out)
    assert not t['sub0/im000.png']['error'] and not t['sub1/im001.png']['error']

def test_a_killed_runs_half_written_files_go(tmp_path):
    "What a killed run was writing (.tmp-*) is removed by the next run, which writes the image's outputs whole."
    src = _images(tmp_path/'in', 2)
    out = tmp_path/'out'
    (out/'sub0').mkdir(parents=True)
    (out/'sub0'/'.tmp-4242-im000.png').write_bytes(b'half a mask')
    assert run('segment', '--input', src, '--out', out, '--refine', 'none').returncode == 0
    assert not list(out.rglob('.tmp-*')) and cv2.imread(str(out/'sub0'/'im000.png')) is not None

def test_the_table_is_written_while_a_run_goes_on(tmp_path, monkeypatch):
    "summary.csv is rewritten every SUMMARY_EVERY_S seconds during a run, so that a killed run's finished images stay done."
    from camnet_nb import pipeline
    t = pipeline.SummaryTable(tmp_path/'summary.csv', {})
    t.record('a.png', dict(path='a.png', error=''))
    assert not (tmp_path/'summary.csv').exists()                           # not after every image
    monkeypatch.setattr(pipeline, 'SUMMARY_EVERY_S', 0.0)
    t.record('b.png', dict(path='b.png', error=''))
    assert set(_table(tmp_path)) == {'a.png', 'b.png'}                      # once the interval has passed
