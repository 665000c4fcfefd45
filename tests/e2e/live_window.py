"""Real-window check of `camnet live` (`make e2e`, not part of `make test`).

The package installs OpenCV's headless build, so this check puts OpenCV's own window build (the `opencv-python` wheel
of the same version, Qt inside) in front of it for this one run (pip --target under outputs/, on PYTHONPATH), opens
`camnet live` on a virtual display (Debian's Xvfb) and teaches it with real X events (xdotool): a click, a right-click,
a shift-click, then the keys u (undo), l (layer), k (keep), f (forget) and q (quit). It checks each step's line on stderr and on the
picture, the clicks drawn there, the taught
model written to --taught, and the --json report; saves a screenshot (outputs/e2e_window.png).
"""
import json, os, shutil, subprocess, sys, time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT/'outputs'
GUI_CV2 = OUT/'e2e_opencv_gui'   # the window build of OpenCV, for this check only
CAMNET = str(Path(sys.executable).parent/'camnet')

def window_opencv() -> Path:
    "A folder holding OpenCV's window build at the installed headless build's version (installed once)."
    want = version('opencv-python-headless')
    if not (GUI_CV2/f'opencv_python-{want}.dist-info').is_dir():
        shutil.rmtree(GUI_CV2, ignore_errors=True)
        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target', str(GUI_CV2),
                        f'opencv-python=={want}'], check=True)
    return GUI_CV2

DISPLAY = ':97'   # the virtual display this check opens

def xdotool(*args) -> str:
    return subprocess.run(['xdotool', *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, 'DISPLAY': DISPLAY}).stdout.strip()

def find_window(name:str, timeout:float=60) -> str|None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        found = xdotool('search', '--name', name)
        if found: return found.splitlines()[0]
        time.sleep(0.5)
    return None

def kept_clicks(points:Path) -> tuple|None:
    "(feature, matrix) clicks in the points file k kept beside the model, each naming a frame that is there; None if not."
    try: images = json.loads(points.read_text())['images']
    except (OSError, ValueError, KeyError): return None
    if not all((points.parent/name).is_file() for name in images): return None
    return tuple(sum(len(v[side]) for v in images.values()) for side in ('feature', 'matrix'))

def main(display=DISPLAY):
    env = {**os.environ, 'DISPLAY': display, 'PYTHONPATH': str(window_opencv()), 'QT_QPA_PLATFORM': 'xcb'}
    xvfb = subprocess.Popen(['Xvfb', display, '-screen', '0', '800x600x24'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    taught = OUT/'e2e_window_taught.onnx'
    taught.unlink(missing_ok=True)
    shutil.rmtree(OUT/'e2e_window_taught_clicks', ignore_errors=True)
    try:
        time.sleep(1.5)
        live = subprocess.Popen([CAMNET, 'live', '--source', 'synthetic', '--size', '256x256', '--frames', '100000', '--json',
                                 '--display-hz', '20', '--taught', str(taught)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        win, status_drawn, click_drawn = find_window('camnet live'), False, False
        if win:
            time.sleep(3)   # the first frames, and the bank a click needs
            xdotool('mousemove', '--window', win, 128, 128, 'click', 1)
            time.sleep(1)
            xdotool('mousemove', '--window', win, 10, 10, 'click', 3)
            time.sleep(1)
            xdotool('mousemove', '--window', win, 240, 240, 'keydown', 'shift', 'click', 1, 'keyup', 'shift')
            time.sleep(1.5)
            import numpy as np
            from PIL import ImageGrab
            shot = ImageGrab.grab(xdisplay=display)
            shot.crop((0, 0, 320, 300)).save(OUT/'e2e_window.png')
            geo = dict(l.split('=', 1) for l in xdotool('getwindowgeometry', '--shell', win).splitlines() if '=' in l)
            x, y, w, h = (int(geo[k]) for k in ('X', 'Y', 'WIDTH', 'HEIGHT'))
            bottom = np.asarray(shot)[y + h - 14:y + h - 4, x:x + w]   # where the step's line is drawn
            status_drawn = bool((bottom.max(-1) == 0).mean() > 0.5 and bottom.max() > 200)
            near_click = np.asarray(shot)[y + 124:y + 133, x + 124:x + 133].reshape(-1, 3)   # the first click, 128, 128
            click_drawn = bool((near_click == (40, 220, 60)).all(-1).any())                 # draw_clicks' green
            for key in ('u', 'l', 'k', 'f', 'q'):
                xdotool('key', '--window', win, key)
                time.sleep(1.5)
        try: out, err = live.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            live.kill()
            out, err = live.communicate()
    finally:
        xvfb.terminate()
        xvfb.wait(10)   # the display is free for the next run
    # a step's line may go on with a hint or a warning, which depend on the frame the click fell on
    lines = [l.split('; ')[0] for l in err.splitlines()]
    report = json.loads(out) if out.strip().startswith('{') else {}
    steps = dict(window=bool(win),
                 click='1 click: click the other side too' in lines,
                 right_click='2 clicks: the loop now segments with them' in lines,
                 shift_click='3 clicks: the loop now segments with them' in lines,
                 undo='2 clicks: the loop now segments with them' in lines[lines.index('3 clicks: the loop now segments with them') + 1:]
                      if '3 clicks: the loop now segments with them' in lines else False,
                 layer='layer: outline' in lines,
                 status_on_picture=status_drawn,
                 click_on_picture=click_drawn,
                 kept=any(l.startswith(f'kept {taught} (1 + 1 clicks,') for l in lines) and taught.is_file(),
                 clicks_kept=kept_clicks(OUT/'e2e_window_taught_clicks'/'points.json') == (1, 1),
                 forgotten='clicks forgotten: the base model segments again' in lines,
                 quit=live.returncode == 0 and report.get('ended') == 'stopped' and report.get('kept') == str(taught),
                 # f came after k: the loop ends with no clicks, the file kept holds 1 + 1
                 report=(report.get('feature_clicks'), report.get('matrix_clicks'), report.get('kept_clicks')) == (0, 0, [1, 1]))
    print(json.dumps(dict(steps=steps, stderr=err.splitlines()[-8:], report=report)))
    ok = all(steps.values())
    print('e2e live window:', 'passed' if ok else 'FAILED')
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
