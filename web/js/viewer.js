// The slice viewer: one series (every frame of every instance, in slice order) rendered by the server.
// Wheel, arrow keys or the slider scroll; right-drag changes window/level; preset buttons set it.
// Neighbouring slices are fetched ahead so that scrolling a cached series shows each slice at once.
import { getJSON, getImage, escapeHTML } from "./api.js";

const prefetchDistance = 4;
const keptImages = 300;

export async function showViewer(root, seriesUID) {
  const [{ images }, { presets }] = await Promise.all([
    getJSON(`/api/v1/dicom/series/${encodeURIComponent(seriesUID)}/images`),
    getJSON("/api/v1/dicom/presets"),
  ]);
  const slices = images.flatMap((image) => Array.from({ length: image.frames }, (_, index) => ({ image, frame: index + 1 })));

  root.innerHTML = `
    <div class="viewer">
      <div class="stage" id="stage">
        <img id="slice" alt="current slice">
        <div class="overlay top-left" id="where"></div>
        <div class="overlay top-right" id="timing"></div>
        <div class="overlay bottom-left" id="window"></div>
        <div class="overlay bottom-right muted">wheel/arrows: scroll · right-drag: window/level</div>
      </div>
      <aside class="side">
        <p><a href="#/study/${encodeURIComponent(images[0]?.study_uid ?? "")}">← Study</a></p>
        <h2>Slice</h2>
        <input type="range" class="slider" id="slider" min="0" max="${Math.max(0, slices.length - 1)}" value="0">
        <h2>Window presets</h2>
        <div class="presets" id="presets">
          ${presets.map((preset) => `<button data-preset="${escapeHTML(preset.id)}" class="${preset.id === "default" ? "active" : ""}" title="${escapeHTML(preset.description)}">${escapeHTML(preset.name)}</button>`).join("")}
        </div>
      </aside>
    </div>`;
  const stage = root.querySelector("#stage");
  const img = root.querySelector("#slice");
  const slider = root.querySelector("#slider");
  if (slices.length === 0) {
    root.querySelector("#where").textContent = "no images";
    return () => {};
  }

  const state = { index: 0, preset: "", window: null, shown: null };
  const cache = new Map(); // request path → Promise of an image from getImage

  function path(slice, voi = state) {
    const query = new URLSearchParams({ frame: slice.frame });
    if (voi.preset) query.set("preset", voi.preset);
    else if (voi.window) {
      query.set("window", Math.round(voi.window.width));
      query.set("level", Math.round(voi.window.center));
    }
    return `/api/v1/dicom/images/${encodeURIComponent(slice.image.image_uid)}/rendered?${query}`;
  }

  function fetchImage(requestPath) {
    let pending = cache.get(requestPath);
    if (pending) {
      cache.delete(requestPath); // re-inserted below: most recently used last
    } else {
      pending = getImage(requestPath);
      pending.catch(() => cache.delete(requestPath));
    }
    cache.set(requestPath, pending);
    while (cache.size > keptImages) {
      const [oldest, image] = cache.entries().next().value;
      cache.delete(oldest);
      if (oldest !== state.shown) image.then((loaded) => URL.revokeObjectURL(loaded.url), () => {});
    }
    return pending;
  }

  let generation = 0;
  let inFlight = false;
  let again = false;

  /** Shows the current slice with the current window; while one is loading, only the latest waits. */
  async function show() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const mine = ++generation;
    const slice = slices[state.index];
    const requestPath = path(slice);
    try {
      const image = await fetchImage(requestPath);
      if (mine === generation) display(slice, requestPath, image);
    } catch (error) {
      root.querySelector("#timing").textContent = error.message;
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        show();
      } else {
        prefetch();
      }
    }
  }

  function display(slice, requestPath, image) {
    state.shown = requestPath;
    img.src = image.url;
    img.dataset.path = requestPath;
    stage.dataset.index = state.index;
    // The window in effect (from the server), where a right-drag starts from, whatever chose it.
    if (image.center !== null && !drag) state.window = { center: image.center, width: image.width };
    slider.value = state.index;
    const frames = slice.image.frames > 1 ? ` · frame ${slice.frame}/${slice.image.frames}` : "";
    root.querySelector("#where").innerHTML =
      `slice ${state.index + 1}/${slices.length}<br>instance ${escapeHTML(slice.image.instance_number ?? "–")}${frames}` +
      `<br>${escapeHTML(slice.image.columns ?? "")}×${escapeHTML(slice.image.rows ?? "")}`;
    root.querySelector("#window").textContent = image.center !== null
      ? `W ${Math.round(image.width)}  L ${Math.round(image.center)}${state.preset ? ` (${state.preset})` : ""}`
      : "";
    root.querySelector("#timing").textContent =
      `${image.milliseconds.toFixed(1)} ms · ${(image.bytes / 1024).toFixed(0)} KB · ${image.cache ?? ""}`;
  }

  function prefetch() {
    for (let distance = 1; distance <= prefetchDistance; distance += 1) {
      for (const index of [state.index + distance, state.index - distance]) {
        if (index >= 0 && index < slices.length) {
          const requestPath = path(slices[index]);
          if (!cache.has(requestPath)) fetchImage(requestPath).catch(() => {});
        }
      }
    }
  }

  function go(index) {
    const clamped = Math.min(slices.length - 1, Math.max(0, index));
    if (clamped === state.index && state.shown) return;
    state.index = clamped;
    show();
  }

  function choosePreset(id) {
    state.preset = id;
    for (const button of root.querySelectorAll("#presets button")) button.classList.toggle("active", button.dataset.preset === id);
    show();
  }

  let wheelRemainder = 0;
  stage.addEventListener("wheel", (event) => {
    event.preventDefault();
    wheelRemainder += event.deltaY;
    const steps = Math.trunc(wheelRemainder / 40) || Math.sign(wheelRemainder);
    wheelRemainder = 0;
    go(state.index + steps);
  }, { passive: false });
  slider.addEventListener("input", () => go(Number(slider.value)));
  root.querySelector("#presets").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) choosePreset(button.dataset.preset);
  });

  // Right-drag: horizontal changes the width, vertical the level, in steps proportional to the width.
  let drag = null;
  stage.addEventListener("contextmenu", (event) => event.preventDefault());
  stage.addEventListener("mousedown", (event) => {
    if (event.button !== 2 || !state.window) return;
    drag = { x: event.clientX, y: event.clientY, center: state.window.center, width: state.window.width };
  });
  const onMove = (event) => {
    if (!drag) return;
    const step = Math.max(1, drag.width / 256);
    state.preset = "";
    state.window = {
      width: Math.max(1, drag.width + (event.clientX - drag.x) * step),
      center: drag.center + (event.clientY - drag.y) * step,
    };
    for (const button of root.querySelectorAll("#presets button")) button.classList.remove("active");
    show();
  };
  const onUp = () => { drag = null; };
  const onKey = (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type !== "range") return;
    const moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
    if (event.key in moves) go(state.index + moves[event.key]);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(slices.length - 1);
    else return;
    event.preventDefault();
  };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  document.addEventListener("keydown", onKey);

  show();
  return () => {
    window.removeEventListener("mousemove", onMove);
    window.removeEventListener("mouseup", onUp);
    document.removeEventListener("keydown", onKey);
    for (const image of cache.values()) image.then((loaded) => URL.revokeObjectURL(loaded.url), () => {});
  };
}
