"""Real-browser check of nbs/10_live.ipynb (`make e2e`, not part of `make test`).

Opens the live notebook in JupyterLab in headless Chromium (tests/e2e/lab.py), runs every cell, and watches the
image widget's frames change and the status line move while the loop runs. Once every cell has run, it teaches the
stopped view for real: *forget clicks*, a click on the frame (one side: "click the other side too"), a shift-click
(both sides: the loop segments with them), *keep taught model* (the taught model written as a file). Saves screenshots under outputs/.
"""
import json, sys, time
from lab import ROOT, OUT, notebook_in_browser, run_all, labels

def wait_until(driver, script:str, timeout:float=120):
    "The first truthy value of a JavaScript expression, waited for (None after timeout)."
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = driver.execute_script(f"return {script}")
        if v: return v
        time.sleep(0.25)
    return None

def teach_by_clicks(driver) -> dict:
    "Real clicks on the live view's picture once the notebook has run: {what: the status line it led to, or None}."
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    done = wait_until(driver, "(() => { const w = window.jupyterapp.shell.currentWidget;"
                              " return w.sessionContext.session.kernel.status === 'idle' &&"
                              " w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount !== null); })()", 300)
    # the view's own picture: the one in the widget box that holds its 'forget clicks' button
    forget = wait_until(driver, "Array.from(document.querySelectorAll('button')).find(b => b.textContent.includes('forget clicks'))")
    img = driver.execute_script("let e = arguments[0]; while (e && !e.querySelector('img')) e = e.parentElement;"
                                " return e && e.querySelector('img');", forget)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", img)
    status = lambda text: wait_until(driver, "Array.from(document.querySelectorAll('.widget-label')).map(e => e.textContent)"
                                             f".find(t => t.includes({json.dumps(text)}))", 60)
    forget.click()
    forgotten = status('clicks forgotten')
    ActionChains(driver).move_to_element_with_offset(img, -40, -40).click().perform()
    one_side = status('1 click: click the other side too')
    ActionChains(driver).key_down(Keys.SHIFT).move_to_element_with_offset(img, 40, 40).click().key_up(Keys.SHIFT).perform()
    both = status('2 clicks: the loop now segments with them')
    keep = wait_until(driver, "Array.from(document.querySelectorAll('button')).find(b => b.textContent.includes('keep taught model'))")
    keep.click()
    kept = status('kept ')
    return dict(notebook_ran=bool(done), forgotten=forgotten, after_click=one_side, after_shift_click=both, kept=kept)

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
        taught = teach_by_clicks(driver)
        driver.save_screenshot(str(OUT/'e2e_live_clicks.png'))
    result = dict(frames_seen=len(srcs), status_lines_seen=len(seen), last_status=sorted(seen)[-1] if seen else None) | taught
    print(json.dumps(result))
    ok = len(srcs) >= 10 and len(seen) >= 3 and all(taught.values())
    print('e2e live notebook:', 'passed' if ok else 'FAILED', f'(screenshots: {OUT/"e2e_live.png"}, {OUT/"e2e_live_clicks.png"})')
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
