// The ingestion log (what was imported or uploaded, and why anything was rejected) and, for admins,
// the audit log of every access to patient data.
import { getJSON, escapeHTML } from "./api.js";

export async function showIngestions(root) {
  const { ingestions } = await getJSON("/api/v1/dicom/ingestions?limit=200");
  root.innerHTML = `<h1>Ingestion log</h1>
    <table><thead><tr><th>Time</th><th>Source</th><th>Outcome</th><th>Reason</th><th>SOP Instance UID</th></tr></thead>
    <tbody>${ingestions.map((entry) => `<tr>
      <td>${escapeHTML(new Date(entry.time).toLocaleString())}</td><td class="wrap">${escapeHTML(entry.source)}</td>
      <td class="${entry.outcome === "rejected" ? "bad" : "ok"}">${escapeHTML(entry.outcome)}</td>
      <td class="wrap">${escapeHTML(entry.reason ?? "")}</td><td>${escapeHTML(entry.sop_instance_uid ?? "")}</td></tr>`).join("")
    || `<tr><td colspan="5" class="muted">Nothing ingested yet.</td></tr>`}</tbody></table>`;
}

export async function showAudit(root) {
  const parameters = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const query = new URLSearchParams({ limit: 200 });
  for (const name of ["principal", "client", "uid", "status"]) if (parameters.get(name)) query.set(name, parameters.get(name));
  const { entries } = await getJSON(`/api/v1/audit?${query}`);
  root.innerHTML = `<h1>Audit log</h1>
    <form class="filters" id="filters">
      <label>Principal<input name="principal" placeholder="key:viewer"></label>
      <label>Client<input name="client" placeholder="10.0.0.7"></label>
      <label>Study, series or instance UID<input name="uid" size="40"></label>
      <label>Status<input name="status" size="5"></label>
      <button type="submit">Filter</button>
    </form>
    <table><thead><tr><th>Time</th><th>Principal</th><th>Client</th><th>Request</th><th>Study</th><th>Instance</th><th>Status</th></tr></thead>
    <tbody>${entries.map((entry) => `<tr>
      <td>${escapeHTML(new Date(entry.time).toLocaleString())}</td><td>${escapeHTML(entry.principal ?? "–")}</td>
      <td>${escapeHTML(entry.client_address ?? "")}</td>
      <td class="wrap">${escapeHTML(entry.method)} ${escapeHTML(entry.route)}${entry.query ? `?${escapeHTML(entry.query)}` : ""}</td>
      <td>${escapeHTML(entry.study_instance_uid ?? "")}</td><td>${escapeHTML(entry.sop_instance_uid ?? "")}</td>
      <td class="${entry.status >= 400 ? "bad" : "ok"}">${entry.status}</td></tr>`).join("")
    || `<tr><td colspan="7" class="muted">No accesses match.</td></tr>`}</tbody></table>`;
  const form = root.querySelector("#filters");
  for (const name of ["principal", "client", "uid", "status"]) form.elements[name].value = parameters.get(name) ?? "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of ["principal", "client", "uid", "status"]) if (form.elements[name].value.trim()) next.set(name, form.elements[name].value.trim());
    location.hash = `#/audit?${next}`;
  });
}
