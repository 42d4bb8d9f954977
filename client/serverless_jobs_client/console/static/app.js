// The console's pages, one per address after "#": #/ (jobs), #/new (create), #/jobs/<id> (a job).

import { renderCreate } from "./create.js";
import { renderJob } from "./job.js";
import { renderJobs } from "./jobs.js";

let leave = () => {};

function route() {
  leave();
  const main = document.getElementById("main");
  const path = location.hash.replace(/^#/, "") || "/";
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === `#${path}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (job) leave = renderJob(main, decodeURIComponent(job[1]));
  else if (path === "/new") {
    document.title = "New job · serverless-jobs";
    leave = renderCreate(main);
  } else {
    document.title = "Jobs · serverless-jobs";
    leave = renderJobs(main);
  }
}

window.addEventListener("hashchange", route);
route();
