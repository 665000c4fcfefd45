"""Real-browser check of the click widget (`make e2e`, not part of `make test`).

A small notebook shows `camnet_nb.teach.ClickCanvas` on two synthetic sections; Chromium clicks the picture for real (a
plain click, then a shift-click, through ipyevents), and the widget's status line must count one feature and then one
matrix click with the mask redrawn each time (after the first, the status line asks for a matrix click); then its
*adapt* button is pressed, and the second image must be shown before | after. Saves screenshots under outputs/.
"""
import json, sys, tempfile, time
from pathlib import Path
from lab import OUT, notebook_in_browser, run_all, labels

CELLS = ["""import cv2
from pathlib import Path
from camnet_nb.synth import make_thin_section
from camnet_nb.teach import ClickCanvas
for k in range(2): cv2.imwrite(f'section{k}.png', make_thin_section('oolitic', (320, 320), seed=k)[0][..., ::-1])
canvas = ClickCanvas(['section0.png', 'section1.png'], points_file='points.json', side=320)
canvas.widget()"""]

def make_notebook(folder:Path) -> Path:
    nb = dict(cells=[dict(cell_type='code', execution_count=None, metadata={}, outputs=[], source=c) for c in CELLS],
              metadata={'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}}, nbformat=4, nbformat_minor=5)
    path = folder/'click_widget.ipynb'
    path.write_text(json.dumps(nb))
    return path

def wait_for(driver, text:str, timeout:float=60) -> str|None:
    "The first status line containing `text`, waited for."
    t0 = time.time()
    while time.time() - t0 < timeout:
        hit = next((t for t in labels(driver) if text in t), None)
        if hit: return hit
        time.sleep(0.25)
    return None

def main():
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    with notebook_in_browser(make_notebook(Path(tempfile.mkdtemp())), 'click') as driver:
        run_all(driver)
        first = wait_for(driver, '0 feature, 0 matrix clicks', 180)
        img = driver.find_element(By.CSS_SELECTOR, '.jp-OutputArea img')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", img)
        before = img.get_attribute('src')
        ActionChains(driver).move_to_element_with_offset(img, -60, -60).click().perform()
        one = wait_for(driver, '1 feature, 0 matrix clicks')
        hint = wait_for(driver, 'click the matrix too')   # the next click's side, said where the user looks
        ActionChains(driver).key_down(Keys.SHIFT).move_to_element_with_offset(img, 60, 60).click().key_up(Keys.SHIFT).perform()
        two = wait_for(driver, '1 feature, 1 matrix clicks')
        after = img.get_attribute('src')
        driver.save_screenshot(str(OUT/'e2e_click.png'))
        button = next(b for b in driver.find_elements(By.CSS_SELECTOR, '.jp-OutputArea button') if b.text.strip() == 'adapt')
        button.click()
        adapted = wait_for(driver, 'before | after', 120)
        pictures = driver.find_elements(By.CSS_SELECTOR, '.jp-OutputArea img')
        shown = [p for p in pictures if p.is_displayed()]
        # the before | after picture: the images side by side with a gap, wider than it is high
        wide = any(p.size['width'] > 1.5 * p.size['height'] for p in shown)
        if shown: driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", shown[-1])
        driver.save_screenshot(str(OUT/'e2e_adapt.png'))
    result = dict(shown=first, after_click=one, hint=hint, after_shift_click=two, picture_redrawn=before != after,
                  after_adapt=adapted, before_after_shown=wide)
    print(json.dumps(result))
    ok = bool(first and one and hint and two and adapted) and before != after and wide
    print('e2e click widget:', 'passed' if ok else 'FAILED', f'(screenshots: {OUT/"e2e_click.png"}, {OUT/"e2e_adapt.png"})')
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
