// The study browser: filters, a page of studies, paging; a row opens the study.
import { getJSON, escapeHTML, personName, dicomDate } from "./api.js";

const pageSize = 25;

export async function showStudies(root, parameters) {
  const filters = {
    q: parameters.get("q") ?? "",
    patient_name: parameters.get("patient_name") ?? "",
    patient_id: parameters.get("patient_id") ?? "",
    modality: parameters.get("modality") ?? "",
    date_from: parameters.get("date_from") ?? "",
    date_to: parameters.get("date_to") ?? "",
  };
  const offset = Number(parameters.get("offset") ?? 0);
  root.innerHTML = `
    <h1>Studies</h1>
    <form class="filters" id="filters">
      <label>Search<input name="q" placeholder="name, ID, accession, description" size="28"></label>
      <label>Patient name<input name="patient_name"></label>
      <label>Patient ID<input name="patient_id" size="12"></label>
      <label>Modality<select name="modality">
        <option value="">any</option><option>CT</option><option>MR</option><option>CR</option><option>DX</option>
        <option>US</option><option>MG</option><option>PT</option><option>NM</option><option>XA</option><option>OT</option>
      </select></label>
      <label>From<input name="date_from" type="date"></label>
      <label>To<input name="date_to" type="date"></label>
      <button type="submit">Filter</button>
      <button type="reset" class="quiet">Clear</button>
    </form>
    <table id="studies"><thead><tr>
      <th>Patient</th><th>Patient ID</th><th>Date</th><th>Modality</th><th>Description</th><th>Accession</th>
      <th>Series</th><th>Images</th>
    </tr></thead><tbody></tbody></table>
    <div class="pager"><button id="previous">Previous</button><span id="range"></span><button id="next">Next</button></div>`;
  const form = root.querySelector("#filters");
  for (const [name, value] of Object.entries(filters)) form.elements[name].value = value;

  const go = (newOffset) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    if (newOffset) query.set("offset", newOffset);
    location.hash = `#/studies?${query}`;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of Object.keys(filters)) filters[name] = form.elements[name].value.trim();
    go(0);
  });
  form.addEventListener("reset", () => {
    for (const name of Object.keys(filters)) filters[name] = "";
    setTimeout(() => go(0));
  });

  const query = new URLSearchParams({ limit: pageSize, offset });
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  const { studies, total } = await getJSON(`/api/v1/dicom/studies?${query}`);

  const body = root.querySelector("#studies tbody");
  for (const study of studies) {
    const row = document.createElement("tr");
    row.className = "link";
    row.dataset.study = study.study_uid;
    row.innerHTML = `
      <td>${escapeHTML(personName(study.patient_name))}</td><td>${escapeHTML(study.patient_id)}</td>
      <td>${escapeHTML(dicomDate(study.study_date))}</td><td>${escapeHTML(study.modalities.join(", "))}</td>
      <td class="wrap">${escapeHTML(study.description)}</td><td>${escapeHTML(study.accession_number)}</td>
      <td>${study.series_count}</td><td>${study.instance_count}</td>`;
    row.addEventListener("click", () => { location.hash = `#/study/${encodeURIComponent(study.study_uid)}`; });
    body.append(row);
  }
  if (studies.length === 0) body.innerHTML = `<tr><td colspan="8" class="muted">No studies match.</td></tr>`;
  root.querySelector("#range").textContent = total ? `${offset + 1}–${offset + studies.length} of ${total}` : "";
  const previous = root.querySelector("#previous");
  const next = root.querySelector("#next");
  previous.disabled = offset === 0;
  next.disabled = offset + studies.length >= total;
  previous.addEventListener("click", () => go(Math.max(0, offset - pageSize)));
  next.addEventListener("click", () => go(offset + pageSize));
}
