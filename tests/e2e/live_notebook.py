"""Real-browser check of nbs/10_live.ipynb (`make e2e`, not part of `make test`).

Starts JupyterLab on loopback, opens the live notebook in headless Debian Chromium through Selenium and
chromedriver (both from Debian's packages; nothing downloads a browser), runs every cell, and watches the
image widget's frames change and the status line move while the loop runs. Saves a screenshot under outputs/.
"""
import socket, subprocess, sys, time, json, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT/'outputs'; OUT.mkdir(exist_ok=True)

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def main(timeout=180):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    import shutil, tempfile
    port, token = free_port(), 'camnet-e2e'
    # serve a copy: JupyterLab's autosave must never write the executed notebook over the committed source
    served = Path(tempfile.mkdtemp()); shutil.copy(ROOT/'nbs'/'10_live.ipynb', served)
    lab = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ip=127.0.0.1',
                            f'--IdentityProvider.token={token}', '--LabApp.expose_app_in_browser=True', '--allow-root', '--ServerApp.root_dir', str(served)],
                           stdout=open(OUT/'e2e_jupyter.log', 'w'), stderr=subprocess.STDOUT)
    driver = None
    try:
        for _ in range(120):   # wait for the server
            try: urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=1); break
            except Exception: time.sleep(0.5)
        else: raise RuntimeError('JupyterLab did not start (see outputs/e2e_jupyter.log)')
        opts = webdriver.ChromeOptions(); opts.binary_location = '/usr/bin/chromium'
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--window-size=1280,1600', f'--user-data-dir={OUT/"e2e_chromium"}'):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
        driver.get(f'http://127.0.0.1:{port}/lab/tree/10_live.ipynb?token={token}')
        t0 = time.time()
        while time.time() - t0 < 90:   # the app, the notebook panel and its kernel
            ready = driver.execute_script("const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
                                          "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel);")
            if ready: break
            time.sleep(1)
        else: raise RuntimeError('the notebook did not open with a kernel')
        time.sleep(2)
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        srcs, labels, t0 = set(), set(), time.time()
        while time.time() - t0 < timeout:
            srcs |= set(driver.execute_script("return Array.from(document.querySelectorAll('.jp-OutputArea img')).map(i => i.src).filter(s => s.startsWith('blob:'))"))
            labels |= {t for t in driver.execute_script("return Array.from(document.querySelectorAll('.widget-label')).map(e => e.textContent)") if 'fps' in t}
            if len(srcs) >= 10 and len(labels) >= 3: break
            time.sleep(0.25)
        driver.execute_script("const i = document.querySelector('.jp-OutputArea img'); if (i) i.scrollIntoView({block: 'start'});")
        time.sleep(0.5); driver.save_screenshot(str(OUT/'e2e_live.png'))
        result = dict(frames_seen=len(srcs), status_lines_seen=len(labels), last_status=sorted(labels)[-1] if labels else None)
        print(json.dumps(result))
        ok = len(srcs) >= 10 and len(labels) >= 3
        print('e2e live notebook:', 'passed' if ok else 'FAILED', f'(screenshot: {OUT/"e2e_live.png"})')
        return 0 if ok else 1
    finally:
        if driver is not None: driver.quit()
        lab.terminate(); lab.wait(10)

if __name__ == '__main__': sys.exit(main())
