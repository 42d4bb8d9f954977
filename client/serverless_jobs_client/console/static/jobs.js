// The jobs: a status filter (the API's), a search by name (over the pages loaded so far: the API has no
// name filter), paging with nextToken, and the runner switch.

import { api } from "./api.js";
import { announce, h, statusBadge } from "./dom.js";
import { describeSchedule, formatTime } from "./format.js";

const STATUSES = ["pending", "running", "paused", "completed", "failed", "cancelled"];

export function renderJobs(main) {
  let jobs = [];
  let nextToken = null;
  let generation = 0; // a newer filter makes the answers of older requests moot
  const title = h("h1", { tabindex: "-1" }, "Jobs");
  const runner = h("button", { type: "button", role: "switch", class: "switch", "aria-checked": "false", onclick: toggleRunner }, "Runner");
  const runnerNote = h("span", { class: "hint", id: "runner-note" });
  runner.setAttribute("aria-describedby", "runner-note");
  const status = h("select", { id: "filter-status", onchange: () => load(true) },
    h("option", { value: "" }, "any status"), STATUSES.map((value) => h("option", { value }, value)));
  const search = h("input", { id: "search", type: "search", autocomplete: "off", placeholder: "part of a name", oninput: show });
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
      h("thead", {}, h("tr", {}, ["Name", "Status", "Schedule", "Next run", "Last run"].map((c) => h("th", { scope: "col" }, c)))),
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
      const page = await api.jobs({ status: status.value, nextToken });
      if (mine !== generation) return;
      jobs = jobs.concat(page.jobs);
      nextToken = page.nextToken;
      error.textContent = "";
    } catch (failure) {
      if (mine === generation) error.textContent = `Could not list jobs: ${failure.message}`;
    }
    show();
  }

  function show() {
    const needle = search.value.trim().toLowerCase();
    const shown = needle ? jobs.filter((job) => job.name.toLowerCase().includes(needle)) : jobs;
    body.replaceChildren(...shown.map((job) => h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.name)),
      h("td", { "data-label": "Status" }, statusBadge(job.status)),
      h("td", { "data-label": "Schedule" }, job.schedule ? describeSchedule(job.schedule) : "once"),
      h("td", { "data-label": "Next run" }, formatTime(job.nextRunAt)),
      h("td", { "data-label": "Last run" }, formatTime(job.lastRunAt)))));
    const of = nextToken ? `${jobs.length} loaded so far` : `${jobs.length}`;
    count.textContent = needle ? `${shown.length} of ${of} jobs match “${search.value.trim()}”.` : `${of} jobs.`;
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
  return () => { generation += 1; };
}
