"""Real-browser check of nbs/10_live.ipynb (`make e2e`, not part of `make test`).

Opens the live notebook in JupyterLab in headless Chromium (tests/e2e/lab.py), runs every cell, and watches the
image widget's frames change and the status line move while the loop runs. Saves a screenshot under outputs/.
"""
import json, sys, time
from lab import ROOT, OUT, notebook_in_browser, run_all, labels

def main(timeout=180):
    with notebook_in_browser(ROOT/'nbs'/'10_live.ipynb', 'live') as driver:
        run_all(driver)
        srcs, seen, t0 = set(), set(), time.time()
        while time.time() - t0 < timeout:
            srcs |= set(driver.execute_script("return Array.from(document.querySelectorAll('.jp-OutputArea img')).map(i => i.src).filter(s => s.startsWith('blob:'))"))
            seen |= {t for t in labels(driver) if 'fps' in t}
            if len(srcs) >= 10 and len(seen) >= 3: break
            time.sleep(0.25)
        driver.execute_script("const i = document.querySelector('.jp-OutputArea img'); if (i) i.scrollIntoView({block: 'start'});")
        time.sleep(0.5)
        driver.save_screenshot(str(OUT/'e2e_live.png'))
    result = dict(frames_seen=len(srcs), status_lines_seen=len(seen), last_status=sorted(seen)[-1] if seen else None)
    print(json.dumps(result))
    ok = len(srcs) >= 10 and len(seen) >= 3
    print('e2e live notebook:', 'passed' if ok else 'FAILED', f'(screenshot: {OUT/"e2e_live.png"})')
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
