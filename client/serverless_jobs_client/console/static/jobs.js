// The jobs, newest first (the API's order): a status filter and a search by part of the name (both the API's,
// so a search finds a job however many were created after it), paging with nextToken, and the runner switch.

import { api } from "./api.js";
import { announce, h, statusBadge } from "./dom.js";
import { describeSchedule, formatTime } from "./format.js";

const STATUSES = ["pending", "running", "paused", "completed", "failed", "cancelled"];
const SEARCH_DELAY_MS = 300;
const PAGE = 50;
// A page the API filtered (by name) may come back short, even empty, with a nextToken: one load asks for
// more until it has a page's worth or has asked this often.
const MAX_REQUESTS_PER_LOAD = 5;

export function renderJobs(main) {
  let jobs = [];
  let nextToken = null;
  let generation = 0; // a newer filter makes the answers of older requests moot
  let searchTimer = null;
  let searched = ""; // the name the jobs shown were listed with
  const title = h("h1", { tabindex: "-1" }, "Jobs");
  const runner = h("button", { type: "button", role: "switch", class: "switch", "aria-checked": "false", onclick: toggleRunner }, "Runner");
  const runnerNote = h("span", { class: "hint", id: "runner-note" });
  runner.setAttribute("aria-describedby", "runner-note");
  const status = h("select", { id: "filter-status", onchange: () => load(true) },
    h("option", { value: "" }, "any status"), STATUSES.map((value) => h("option", { value }, value)));
  const search = h("input", { id: "search", type: "search", autocomplete: "off", placeholder: "part of a name", oninput: searchSoon });
  const count = h("p", { class: "hint", role: "status", id: "count" });
  const body = h("tbody");
  const more = h("button", { type: "button", onclick: () => load(false), hidden: true }, "Load more jobs");
  const error = h("p", { class: "error", role: "alert" });
  main.replaceChildren(
    h("div", { class: "heading" }, title, h("div", { class: "runner" }, runner, runnerNote)),
    h("form", { class: "filters", role: "search", onsubmit: (event) => event.preventDefault() },
      h("label", {}, "Status ", status), h("label", {}, "Name ", search),
      h("button", { type: "button", onclick: () => load(true) }, "Refresh")),
    error, count,
    h("div", { class: "scroll" }, h("table", { class: "jobs" },
      h("thead", {}, h("tr", {}, ["Name", "Status", "Schedule", "Created", "Next run", "Last run"].map((c) => h("th", {
        scope: "col", "aria-sort": c === "Created" ? "descending" : undefined }, c === "Created" ? "Created ↓" : c)))),
      body)),
    more);
  title.focus();

  async function load(fresh) {
    const mine = ++generation;
    if (fresh) {
      jobs = [];
      nextToken = null;
    }
    try {
      const name = search.value.trim();
      let [found, requests] = [0, 0];
      do {
        const page = await api.jobs({ status: status.value, name, nextToken, limit: PAGE });
        if (mine !== generation) return;
        jobs = jobs.concat(page.jobs);
        nextToken = page.nextToken;
        [found, requests] = [found + page.jobs.length, requests + 1];
      } while (nextToken && found < PAGE && requests < MAX_REQUESTS_PER_LOAD);
      searched = name;
      error.textContent = "";
    } catch (failure) {
      if (mine === generation) error.textContent = `Could not list jobs: ${failure.message}`;
    }
    show();
  }

  function searchSoon() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => load(true), SEARCH_DELAY_MS);
  }

  function show() {
    body.replaceChildren(...jobs.map((job) => h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.name)),
      h("td", { "data-label": "Status" }, statusBadge(job.status)),
      h("td", { "data-label": "Schedule" }, job.schedule ? describeSchedule(job.schedule) : "once"),
      h("td", { "data-label": "Created" }, formatTime(job.createdAt)),
      h("td", { "data-label": "Next run" }, formatTime(job.nextRunAt)),
      h("td", { "data-label": "Last run" }, formatTime(job.lastRunAt)))));
    const jobsText = `${jobs.length} ${jobs.length === 1 ? "job" : "jobs"}${nextToken ? " loaded so far" : ""}`;
    const matching = searched ? ` whose name contains “${searched}”` : "";
    count.textContent = `${jobsText}${matching}, newest first.`;
    more.hidden = !nextToken;
  }

  async function showRunner(request) {
    try {
      const { running } = await request();
      runner.setAttribute("aria-checked", String(running));
      runnerNote.textContent = running ? "on: due jobs run" : "off: nothing runs until it is on again";
      return running;
    } catch (failure) {
      runnerNote.textContent = `runner: ${failure.message}`;
      return null;
    }
  }

  async function toggleRunner() {
    const running = await showRunner(() => api.setRunner(runner.getAttribute("aria-checked") !== "true"));
    if (running !== null) announce(running ? "The runner is on." : "The runner is off: no job runs.");
  }

  showRunner(api.runner);
  load(true);
  return () => { generation += 1; clearTimeout(searchTimer); };
}
