// A study: its series as thumbnails; a thumbnail opens the series in the viewer.
import { getJSON, getImage, escapeHTML, personName, dicomDate } from "./api.js";

export async function showStudy(root, studyUID) {
  const [{ series }, study] = await Promise.all([
    getJSON(`/api/v1/dicom/studies/${encodeURIComponent(studyUID)}/series`),
    getJSON(`/api/v1/dicom/studies/${encodeURIComponent(studyUID)}`),
  ]);
  root.innerHTML = `
    <h1>${escapeHTML(personName(study.patient_name))} · ${escapeHTML(dicomDate(study.study_date))} ·
      ${escapeHTML(study.description ?? "")} <span class="muted">${escapeHTML(study.patient_id)}</span></h1>
    <p><a href="#/studies">← Studies</a></p>
    <div class="series-grid" id="series"></div>`;
  const grid = root.querySelector("#series");
  const urls = [];
  for (const item of series) {
    const card = document.createElement("div");
    card.className = "series-card";
    card.dataset.series = item.series_uid;
    card.innerHTML = `<img alt="series ${escapeHTML(item.series_number ?? "")}">
      <div class="caption">${escapeHTML(item.modality ?? "")} #${escapeHTML(item.series_number ?? "–")}
        ${escapeHTML(item.description ?? "")}<br><span class="muted">${item.image_count} images</span></div>`;
    card.addEventListener("click", () => { location.hash = `#/series/${encodeURIComponent(item.series_uid)}`; });
    grid.append(card);
    const path = `/dicomweb/studies/${encodeURIComponent(studyUID)}/series/${encodeURIComponent(item.series_uid)}/thumbnail?viewport=256,256`;
    getImage(path).then((image) => {
      urls.push(image.url);
      card.querySelector("img").src = image.url;
    }, () => card.querySelector("img").replaceWith(Object.assign(document.createElement("div"), { className: "muted", textContent: "no preview" })));
  }
  return () => urls.forEach((url) => URL.revokeObjectURL(url));
}
