"""A JupyterLab server on loopback and headless Debian Chromium driving it (Selenium + chromedriver, both from Debian's
packages: nothing downloads a browser). Shared by the real-browser checks of `make e2e`."""
import contextlib, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT/'outputs'

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

@contextlib.contextmanager
def notebook_in_browser(notebook:Path, # the notebook to open (a copy is served: autosave never writes over the source)
                        name:str, # what the logs and the browser profile are called under outputs/
                        extra_files=(), # other files the notebook reads, copied beside it
                       ):
    "Yield a Selenium driver with `notebook` open in JupyterLab and its kernel started."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    OUT.mkdir(exist_ok=True)
    port, token = free_port(), 'camnet-e2e'
    served = Path(tempfile.mkdtemp())
    for f in (notebook, *extra_files): shutil.copy(f, served)
    lab = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ip=127.0.0.1',
                            f'--IdentityProvider.token={token}', '--LabApp.expose_app_in_browser=True', '--allow-root', '--ServerApp.root_dir', str(served)],
                           stdout=open(OUT/f'e2e_{name}_jupyter.log', 'w'), stderr=subprocess.STDOUT)
    driver = None
    try:
        for _ in range(120):   # wait for the server
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=1)
                break
            except Exception: time.sleep(0.5)
        else: raise RuntimeError(f'JupyterLab did not start (see outputs/e2e_{name}_jupyter.log)')
        opts = webdriver.ChromeOptions()
        opts.binary_location = '/usr/bin/chromium'
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--window-size=1280,1600', f'--user-data-dir={OUT/f"e2e_{name}_chromium"}'):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
        driver.get(f'http://127.0.0.1:{port}/lab/tree/{Path(notebook).name}?token={token}')
        t0 = time.time()
        while time.time() - t0 < 90:   # the app, the notebook panel and its kernel
            ready = driver.execute_script("const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
                                          "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel);")
            if ready: break
            time.sleep(1)
        else: raise RuntimeError('the notebook did not open with a kernel')
        time.sleep(2)
        yield driver
    finally:
        if driver is not None: driver.quit()
        lab.terminate()
        lab.wait(10)

def run_all(driver):
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

def labels(driver) -> list:
    "The texts of every ipywidgets Label on the page."
    return driver.execute_script("return Array.from(document.querySelectorAll('.widget-label')).map(e => e.textContent)")
