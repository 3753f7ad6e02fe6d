// Upload: files or folders dropped (or chosen) are sent one by one by STOW-RS, a few at a time, each
// with its progress and what the server said.
import { stow, escapeHTML } from "./api.js";

const parallelUploads = 3;

const failureReasons = {
  0x0110: "processing failure",
  0x0122: "not a DICOM file (SOP class not supported)",
  0xa700: "out of resources",
  0xa900: "belongs to another study",
  0xc000: "cannot be read",
};

export function showUpload(root) {
  root.innerHTML = `
    <h1>Upload</h1>
    <div class="drop" id="drop">Drop DICOM files or folders here, or
      <label><u>choose files</u><input type="file" id="files" multiple hidden></label>.</div>
    <p class="muted" id="summary"></p>
    <table id="uploads"><thead><tr><th>File</th><th>Size</th><th>Progress</th><th>Result</th></tr></thead><tbody></tbody></table>`;
  const drop = root.querySelector("#drop");
  const body = root.querySelector("#uploads tbody");
  const counts = { stored: 0, rejected: 0 };
  const queue = [];
  let running = 0;

  function summary() {
    root.querySelector("#summary").textContent =
      `${counts.stored} stored, ${counts.rejected} rejected, ${queue.length + running} waiting or sending`;
  }

  function enqueue(files) {
    for (const file of files) {
      const row = document.createElement("tr");
      row.innerHTML = `<td>${escapeHTML(file.webkitRelativePath || file.name)}</td><td>${(file.size / 1024).toFixed(0)} KB</td>
        <td><progress max="1" value="0"></progress></td><td class="result muted">waiting</td>`;
      body.append(row);
      queue.push({ file, row });
    }
    summary();
    pump();
  }

  function pump() {
    while (running < parallelUploads && queue.length) {
      const { file, row } = queue.shift();
      running += 1;
      const result = row.querySelector(".result");
      result.textContent = "sending";
      stow(file, (fraction) => { row.querySelector("progress").value = fraction; })
        .then(({ status, body: answer }) => {
          row.querySelector("progress").value = 1;
          const outcome = describe(status, answer);
          result.className = `result ${outcome.stored ? "ok" : "bad"}`;
          result.textContent = outcome.text;
          counts[outcome.stored ? "stored" : "rejected"] += 1;
        }, (error) => {
          result.className = "result bad";
          result.textContent = error.message;
          counts.rejected += 1;
        })
        .finally(() => {
          running -= 1;
          summary();
          pump();
        });
    }
  }

  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    enqueue(entries.length ? (await Promise.all(entries.map(filesIn))).flat() : [...event.dataTransfer.files]);
  });
  root.querySelector("#files").addEventListener("change", (event) => enqueue([...event.target.files]));
  return () => { queue.length = 0; };
}

/** Every file under a dropped entry (folders recursively). */
async function filesIn(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  const reader = entry.createReader();
  const children = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(filesIn))).flat();
}

/** The STOW-RS answer for one file: Referenced SOP Sequence (00081199) or Failed SOP Sequence (00081198). */
function describe(status, answer) {
  const referenced = answer?.["00081199"]?.Value?.[0];
  if ((status === 200 || status === 202) && referenced) {
    return { stored: true, text: `stored ${referenced["00081155"]?.Value?.[0] ?? ""}` };
  }
  const failed = answer?.["00081198"]?.Value?.[0];
  if (failed) {
    const code = failed["00081197"]?.Value?.[0];
    return { stored: false, text: `rejected: ${failureReasons[code] ?? `failure 0x${Number(code).toString(16)}`}` };
  }
  return { stored: false, text: `rejected: ${answer?.error ?? `HTTP ${status}`}${answer?.details?.reason ? ` (${answer.details.reason})` : ""}` };
}
