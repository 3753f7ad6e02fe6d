// The one place that talks to dicomserve: credentials, JSON, images as blob URLs, errors.

const tokenKey = "dicomserve.credential";

export function credential() {
  return sessionStorage.getItem(tokenKey) || "";
}

export function setCredential(value) {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
}

export function authHeaders(extra = {}) {
  const headers = { ...extra };
  const value = credential();
  if (value) headers["Authorization"] = `Bearer ${value}`;
  return headers;
}

/** An answer that was not 2xx, with the service's JSON error body when it sent one. */
export class APIError extends Error {
  constructor(status, body, path) {
    const reason = body?.details?.reason ? ` (${body.details.reason})` : "";
    super(`${status}: ${body?.error ?? "request failed"}${reason}`);
    this.status = status;
    this.body = body;
    this.path = path;
  }
}

async function failure(response, path) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: nginx or a proxy in between */ }
  return new APIError(response.status, body, path);
}

export async function getJSON(path) {
  const response = await fetch(path, { headers: authHeaders({ Accept: "application/json" }) });
  if (!response.ok) throw await failure(response, path);
  return response.json();
}

export async function postJSON(path) {
  const response = await fetch(path, { method: "POST", headers: authHeaders({ Accept: "application/json" }) });
  if (!response.ok) throw await failure(response, path);
  return response.json();
}

/**
 * An image fetched with the credentials (an <img src> cannot send them) as an object URL, with what the
 * server said about it. Callers revoke the URL when they drop the image.
 */
export async function getImage(path, { signal } = {}) {
  const started = performance.now();
  const response = await fetch(path, { headers: authHeaders({ Accept: "image/png" }), signal });
  if (!response.ok) throw await failure(response, path);
  const blob = await response.blob();
  return {
    url: URL.createObjectURL(blob),
    bytes: blob.size,
    milliseconds: performance.now() - started,
    cache: response.headers.get("X-Cache"),
    center: numberHeader(response, "X-Window-Center"),
    width: numberHeader(response, "X-Window-Width"),
  };
}

function numberHeader(response, name) {
  const value = response.headers.get(name);
  return value === null ? null : Number(value);
}

/**
 * One Part 10 file sent by STOW-RS with upload progress (fetch has none), resolving to the parsed
 * STOW response and the HTTP status.
 */
export function stow(file, onProgress) {
  return new Promise((resolve, reject) => {
    const boundary = `dicomserve-${crypto.randomUUID ? crypto.randomUUID() : Date.now()}`;
    const body = new Blob([
      `--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, file, `\r\n--${boundary}--\r\n`,
    ]);
    const request = new XMLHttpRequest();
    request.open("POST", "/dicomweb/studies");
    request.setRequestHeader("Content-Type", `multipart/related; type="application/dicom"; boundary=${boundary}`);
    request.setRequestHeader("Accept", "application/dicom+json");
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    request.onload = () => {
      let parsed = null;
      try { parsed = JSON.parse(request.responseText); } catch { /* empty or not JSON */ }
      resolve({ status: request.status, body: parsed });
    };
    request.onerror = () => reject(new Error("network error"));
    request.send(body);
  });
}

export function escapeHTML(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** DICOM PN `Family^Given` as "Family, Given"; DA `20240131` as 2024-01-31. */
export function personName(value) {
  const [family, given] = String(value ?? "").split("^");
  return given ? `${family}, ${given}` : family;
}

export function dicomDate(value) {
  const text = String(value ?? "");
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text;
}
