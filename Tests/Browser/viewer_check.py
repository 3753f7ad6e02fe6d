#!/usr/bin/env python3
"""Drives the built-in viewer in headless Chromium (Debian's chromium + chromium-driver, Selenium) against a
running dicomserve with authentication on, and checks what a person would see.

usage: viewer_check.py BASE_URL API_KEY SCREENSHOT_DIR UPLOAD_FILE

Opens the study list (after entering the key), filters it, opens the demo CT study and series, scrolls 10
slices (arrow keys and the mouse wheel), applies the lung preset and checks that the image shown is exactly
what /rendered returns for the 11th slice in the series' order with that preset (SHA-256 of the bytes), that
a right-drag changes the window, that an upload through the page is stored, that the ingestion log shows
it, and that the browser console has no errors. Screenshots of each page go to SCREENSHOT_DIR.
"""
import hashlib
import json
import sys
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.mouse_button import MouseButton
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

base, key, screenshots, upload_file = sys.argv[1:5]


def api(path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)  # generous: make test runs everything in parallel on 2 cores


def until(condition, what):
    try:
        return wait.until(lambda _: condition())
    except TimeoutException:
        fail(f"timed out waiting for {what}")


try:
    # The upload page fetches nothing, so the key is in place before the first API request.
    driver.get(base + "/viewer/#/upload")
    driver.find_element(By.ID, "token").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#credentials button[type=submit]").click()

    # Study list, then a free-text filter.
    driver.find_element(By.CSS_SELECTOR, "nav a[data-nav=studies]").click()
    until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#studies tbody tr[data-study]")) >= 2, "the study list")
    driver.save_screenshot(f"{screenshots}/studies.png")
    search = driver.find_element(By.CSS_SELECTOR, "#filters input[name=q]")
    search.send_keys("DEMO-CT")
    search.send_keys(Keys.RETURN)
    until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#studies tbody tr[data-study]")) == 1
          and "DEMO-CT-001" in driver.find_element(By.ID, "studies").text, "the filtered study list")

    # The study's series as thumbnails.
    driver.find_element(By.CSS_SELECTOR, "#studies tbody tr[data-study]").click()
    until(lambda: any((image.get_attribute("src") or "").startswith("blob:")
                      for image in driver.find_elements(By.CSS_SELECTOR, ".series-card img")), "a series thumbnail")
    driver.save_screenshot(f"{screenshots}/study.png")
    card = driver.find_element(By.CSS_SELECTOR, ".series-card")
    series_uid = card.get_attribute("data-series")
    card.click()

    stage = until(lambda: driver.find_element(By.ID, "stage") if driver.find_elements(By.CSS_SELECTOR, "#stage[data-index='0']") else None,
                  "the first slice")

    # A freshly opened series shows the window in effect (the file's own, before any preset), and a
    # right-drag starts from it.
    until(lambda: driver.find_element(By.ID, "window").text.startswith("W "), "the file's window in the overlay")
    opened = driver.find_element(By.ID, "window").text
    first_drag = ActionBuilder(driver)
    first_drag.pointer_action.move_to(stage).pointer_down(MouseButton.RIGHT).move_by(0, 40).pointer_up(MouseButton.RIGHT)
    first_drag.perform()
    until(lambda: "window=" in (driver.find_element(By.ID, "slice").get_attribute("data-path") or "")
          and driver.find_element(By.ID, "window").text != opened, "a right-drag from the file's window")

    # Scroll 10 slices: five with the arrow key, five with the wheel.
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(5):
        body.send_keys(Keys.ARROW_DOWN)
    for _ in range(5):
        ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(stage), 0, 40).perform()
    until(lambda: stage.get_attribute("data-index") == "10", "slice 11")

    # The lung preset, then the bytes shown against /rendered for the 11th slice in the series' order.
    driver.find_element(By.CSS_SELECTOR, "#presets button[data-preset=lung]").click()
    image = driver.find_element(By.ID, "slice")
    until(lambda: "preset=lung" in (image.get_attribute("data-path") or "") and stage.get_attribute("data-index") == "10"
          and driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image), "the lung preset")
    shown = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0].src).then((r) => r.arrayBuffer()).then((b) => crypto.subtle.digest("SHA-256", b))
          .then((h) => done([...new Uint8Array(h)].map((x) => x.toString(16).padStart(2, "0")).join("")));
        """, image)
    images = json.loads(api(f"/api/v1/dicom/series/{series_uid}/images"))["images"]
    slices = [(item["image_uid"], frame) for item in images for frame in range(1, item["frames"] + 1)]
    uid, frame = slices[10]
    expected = hashlib.sha256(api(f"/api/v1/dicom/images/{uid}/rendered?frame={frame}&preset=lung")).hexdigest()
    if shown != expected:
        fail(f"the displayed image is not /rendered of slice 11 ({uid}) with the lung preset")
    overlay = driver.find_element(By.ID, "where").text
    if f"slice 11/{len(slices)}" not in overlay:
        fail(f"the overlay says {overlay!r}")
    if "W 1500" not in driver.find_element(By.ID, "window").text:
        fail(f"the window overlay says {driver.find_element(By.ID, 'window').text!r}")
    driver.save_screenshot(f"{screenshots}/viewer.png")

    # Scrolling from cache: back to slice 1, then 30 steps down, twice (the first pass fills the cache,
    # the second is what a person scrolling back sees); the time from key press to the image decoded.
    scroll_steps = """
        const [stage, image, steps, done] = arguments;
        const timings = [];
        const step = () => new Promise((resolve) => {
          const started = performance.now();
          const target = String(Number(stage.dataset.index) + 1);
          document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
          const check = () => {
            if (stage.dataset.index === target && image.complete) {
              image.decode().then(() => { timings.push(performance.now() - started); resolve(); }, resolve);
            } else {
              requestAnimationFrame(check);
            }
          };
          check();
        });
        (async () => { for (let i = 0; i < steps; i += 1) await step(); done(timings); })();
        """
    body.send_keys(Keys.HOME)
    until(lambda: stage.get_attribute("data-index") == "0", "slice 1")
    driver.execute_async_script(scroll_steps, stage, image, 30)
    body.send_keys(Keys.HOME)
    until(lambda: stage.get_attribute("data-index") == "0", "slice 1 again")
    cached_steps = sorted(driver.execute_async_script(scroll_steps, stage, image, 30))

    # Right-drag: wider to the right.
    drag = ActionBuilder(driver)
    drag.pointer_action.move_to(stage).pointer_down(MouseButton.RIGHT).move_by(60, 0).pointer_up(MouseButton.RIGHT)
    drag.perform()
    until(lambda: "W 1500" not in driver.find_element(By.ID, "window").text
          and "window=" in (image.get_attribute("data-path") or ""), "a window change by right-drag")

    # Upload through the page (STOW-RS), then the ingestion log.
    driver.find_element(By.CSS_SELECTOR, "nav a[data-nav=upload]").click()
    # The page is rendered after the click returns: wait for its file input (a race under load).
    until(lambda: driver.find_elements(By.ID, "files"), "the upload page")
    driver.find_element(By.ID, "files").send_keys(upload_file)
    until(lambda: "stored" in (driver.find_element(By.CSS_SELECTOR, "#uploads .result").text), "the upload result")
    driver.save_screenshot(f"{screenshots}/upload.png")
    driver.find_element(By.CSS_SELECTOR, "nav a[data-nav=ingestions]").click()
    until(lambda: "stow-rs" in driver.find_element(By.ID, "app").text, "the STOW-RS upload in the ingestion log")

    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    if errors:
        fail(f"console errors: {errors}")
    print(json.dumps({"slices": len(slices), "shown": shown, "expected": expected,
                      "cached_scroll_ms": {"median": round(cached_steps[len(cached_steps) // 2], 1), "max": round(cached_steps[-1], 1)}}))
finally:
    driver.quit()
