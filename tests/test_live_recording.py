"camnet live's recording and stop: a bad destination refused first, SIGTERM like Ctrl-C, a hard kill loses at most a second."
import contextlib, json, signal, subprocess, sys, time
from pathlib import Path
import cv2, pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
LIVE = ['live', '--source', 'synthetic', '--size', '96x96', '--headless', '--json', '--still-frames', '3']

def run(*a): return subprocess.run([str(BIN/'camnet'), *map(str, a)], capture_output=True, text=True, timeout=600)
def frames_in(p):
    cap = cv2.VideoCapture(str(p)); n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)); read = 0
    while cap.read()[0]: read += 1
    cap.release(); return n, read

def _ctrl_c_as_at_a_terminal():
    "A child of a shell's background job (`make test &`) inherits SIGINT ignored, so Python would never raise KeyboardInterrupt."
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def _started(rec, seconds):
    "A live run that records into `rec`, once it has recorded for about `seconds`."
    p = subprocess.Popen([str(BIN/'camnet'), *LIVE, '--record', str(rec), '--display-hz', '50'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=_ctrl_c_as_at_a_terminal)
    t = time.time() + 120
    while (not rec.exists() or rec.stat().st_size < 1000) and time.time() < t and p.poll() is None: time.sleep(0.05)
    time.sleep(seconds)
    return p

@contextlib.contextmanager
def live_recording(rec, seconds):
    "`_started`, and whatever the test's outcome no endless live loop is left running after it."
    p = _started(rec, seconds)
    try: yield p
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()

def test_record_destination_checked_before_the_loop(tmp_path):
    (tmp_path/'f').write_text('a file where a folder should be')
    r = run(*LIVE, '--frames', '5', '--record', tmp_path/'f'/'rec.avi')
    assert r.returncode == 1 and 'cannot be written' in r.stderr and len(r.stderr.strip().splitlines()) == 1 and r.stdout == '', r.stderr
    r = run(*LIVE, '--frames', '5', '--record', tmp_path/'rec.mp4')
    assert r.returncode == 1 and 'give a .avi file name' in r.stderr

@pytest.mark.parametrize('sig,code', [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_stop_cleanly(tmp_path, sig, code):
    with live_recording(tmp_path/'rec.avi', 1.0) as p:
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    stats = json.loads(out)                                       # the statistics still come out
    assert stats['ended'] == 'interrupted'
    n, read = frames_in(tmp_path/'rec.avi')
    # finalised: the displayed frames, counted (the signal may land between writing a frame and counting it)
    assert n > 0 and read >= n and abs(n - stats['frames']) <= 1

def test_a_hard_kill_keeps_all_but_the_last_second(tmp_path):
    with live_recording(tmp_path/'rec.avi', 2.5) as p:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    n, read = frames_in(tmp_path/'rec.avi')
    assert n > 0 and read >= n                                    # the header counts what is there, all of it decodes
    assert n >= 20                                                # 3.5 s at up to 50 frames/s: all but the last second, even on a slow machine

def test_a_truncated_video_says_it_ended_early(tmp_path):
    src = (ROOT/'data_samples'/'stream.avi').read_bytes()
    (tmp_path/'cut.avi').write_bytes(src[:len(src) // 2])
    r = run('live', '--source', tmp_path/'cut.avi', '--size', '64x64', '--headless', '--json')
    assert r.returncode == 0 and 'ended early' in json.loads(r.stdout)['ended'], r.stdout + r.stderr
