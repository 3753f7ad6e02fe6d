// Hash routes: #/studies, #/study/<uid>, #/series/<uid>, #/upload, #/ingestions, #/audit.
import { credential, setCredential } from "./api.js";
import { showStudies } from "./studies.js";
import { showStudy } from "./study.js";
import { showViewer } from "./viewer.js";
import { showUpload } from "./upload.js";
import { showIngestions, showAudit } from "./logs.js";

const app = document.getElementById("app");
const message = document.getElementById("message");
let leaveCurrent = null;

/** Shows an error (or, with kind "info", a note) above the page; null hides it. */
export function notify(text, kind = "error") {
  message.hidden = !text;
  message.textContent = text ?? "";
  message.className = kind === "info" ? "message info" : "message";
}

/** Explains a failed request: authentication and scope problems say what to do about them. */
export function reportError(error) {
  if (error.status === 401) notify(`${error.message}. Enter a token or API key above.`);
  else if (error.status === 403) notify(`${error.message}. This needs a credential with more scopes.`);
  else notify(error.message);
}

async function route() {
  if (leaveCurrent) leaveCurrent();
  leaveCurrent = null;
  notify(null);
  const [hashPath] = location.hash.split("?");
  const [, page = "studies", argument] = hashPath.split("/");
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("current", link.dataset.nav === page);
  app.replaceChildren();
  try {
    switch (page) {
      case "study": leaveCurrent = await showStudy(app, decodeURIComponent(argument)); break;
      case "series": leaveCurrent = await showViewer(app, decodeURIComponent(argument)); break;
      case "upload": leaveCurrent = showUpload(app); break;
      case "ingestions": await showIngestions(app); break;
      case "audit": await showAudit(app); break;
      default: await showStudies(app, new URLSearchParams(location.hash.split("?")[1] ?? ""));
    }
  } catch (error) {
    reportError(error);
  }
}

const tokenField = document.getElementById("token");
tokenField.value = credential();
document.getElementById("credentials").addEventListener("submit", (event) => {
  event.preventDefault();
  setCredential(tokenField.value.trim());
  route();
});
document.getElementById("forget").addEventListener("click", () => {
  tokenField.value = "";
  setCredential("");
  route();
});

window.addEventListener("hashchange", route);
route();
