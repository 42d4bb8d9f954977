// One job: its fields, its schedule in words with the next occurrences, its actions, and its runs.

import { api } from "./api.js";
import { announce, confirmAction, h, statusBadge } from "./dom.js";
import { describeSchedule, formatDuration, formatTime, viewerZone } from "./format.js";
import { runStats, statsView, timeline } from "./timeline.js";

const REFRESH_MS = 2000;

// What each action may do to a job in each status (the API answers 409 otherwise), and how to ask first.
const ACTIONS = [
  { action: "trigger", label: "Trigger", allowed: ["pending", "completed", "failed"], ask: "Run this job now, out of schedule?" },
  { action: "pause", label: "Pause", allowed: ["pending", "running"], ask: "Pause this job? It runs no more until resumed." },
  { action: "resume", label: "Resume", allowed: ["paused"], ask: "Resume this job? Missed occurrences are skipped." },
  { action: "cancel", label: "Cancel", allowed: ["pending", "running", "paused"], ask: "Cancel this job for good?" },
  { action: "delete", label: "Delete", allowed: null, ask: "Delete this job and all its history? This cannot be undone." },
];

export function renderJob(main, id) {
  let job = null;
  let timer = null;
  let stopped = false;
  let shownRuns = null;
  const title = h("h1", { tabindex: "-1" }, "Loading job…");
  const badge = h("span", {});
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const fields = h("section", { "aria-labelledby": "fields-title" });
  const schedule = h("section", { "aria-labelledby": "schedule-title" });
  const runs = h("section", { "aria-labelledby": "runs-title" });
  const error = h("p", { class: "error", role: "alert" });
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← All jobs")),
    h("div", { class: "title" }, title, badge), error, actions, runs, schedule, fields);
  title.focus();

  async function refresh() {
    try {
      const [fresh, history] = await Promise.all([api.job(id), api.history(id, 100)]);
      if (stopped) return;
      const scheduleChanged = !job || fresh.schedule !== job.schedule || fresh.timezone !== job.timezone;
      // Redrawn only when it changed: a redraw replaces the nodes a reader or a screen reader is on.
      const jobChanged = !job || JSON.stringify(fresh) !== JSON.stringify(job);
      job = fresh;
      error.textContent = "";
      if (jobChanged) showJob();
      showRuns(history.history);
      if (scheduleChanged) showSchedule();
    } catch (failure) {
      if (stopped) return;
      error.textContent = failure.status === 404 ? `No job ${id}: it was deleted or never existed.` : failure.message;
      if (failure.status === 404) stopped = true;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  function showJob() {
    title.textContent = job.name;
    document.title = `${job.name} · serverless-jobs`;
    badge.replaceChildren(statusBadge(job.status));
    // Not allowed now is aria-disabled, not disabled: a button that a refresh disables would drop the focus.
    const focused = document.activeElement?.dataset?.action;
    actions.replaceChildren(...ACTIONS.map(({ action, label, allowed, ask }) => {
      const refused = allowed !== null && !allowed.includes(job.status);
      return h("button", {
        type: "button", class: action === "delete" || action === "cancel" ? "danger" : "",
        "aria-disabled": String(refused), dataset: { action },
        onclick: () => (refused ? announce(`${label}: not while the job is ${job.status}.`) : act(action, label, ask)),
      }, label);
    }));
    actions.querySelector(`[data-action="${focused}"]`)?.focus();
    const row = (term, value) => [h("dt", {}, term), h("dd", {}, value ?? "—")];
    fields.replaceChildren(h("h2", { id: "fields-title" }, "Fields"), h("dl", { class: "fields" },
      row("id", h("code", {}, job.id)),
      row(job.target ? "target" : "handler", job.target ? h("code", {}, JSON.stringify(job.target)) : job.handler),
      row("attempts", `${job.attempts} of ${job.maxAttempts}, ${job.retryBackoffSeconds} s backoff`),
      row("timeout", `${job.timeoutSeconds} s`),
      row("successful runs", String(job.successfulRuns) + (job.maxRuns ? ` of at most ${job.maxRuns}` : "")),
      row("next run", formatTime(job.nextRunAt)),
      row("last run", formatTime(job.lastRunAt)),
      row("last error", job.lastError),
      row("labels", Object.entries(job.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none"),
      row("created", formatTime(job.createdAt)),
      row("updated", formatTime(job.updatedAt)),
      row("data", h("pre", {}, JSON.stringify(job.data, null, 2)))));
  }

  async function showSchedule() {
    const heading = h("h2", { id: "schedule-title" }, "Schedule");
    if (!job.schedule) {
      schedule.replaceChildren(heading, h("p", {}, job.runAt ? `Once, at ${formatTime(job.runAt, job.timezone)}.` : "Once, at creation."));
      return;
    }
    const words = h("p", { class: "words" }, `${capitalise(describeSchedule(job.schedule))} (${job.timezone})`,
      h("br"), h("code", {}, job.schedule));
    schedule.replaceChildren(heading, words);
    const request = { schedule: job.schedule, timezone: job.timezone, count: 5 };
    if (job.runAt && Date.parse(job.runAt) > Date.now()) request.runAt = job.runAt;
    if (job.endAt) request.endAt = job.endAt;
    try {
      const { occurrences } = await api.preview(request);
      schedule.append(occurrencesTable(occurrences, job.timezone));
    } catch (failure) {
      schedule.append(h("p", {}, `No next occurrences: ${failure.message}`));
    }
  }

  function showRuns(history) {
    // Redrawn when a run comes or ends (or grows: a running bar), so a hovered bar keeps its tooltip otherwise.
    const key = JSON.stringify(history.map((run) => [run.id, run.status]));
    if (key === shownRuns && !history.some((run) => run.status === "running")) return;
    shownRuns = key;
    const zone = viewerZone();
    const focusedRun = document.activeElement?.dataset?.run;
    const width = Math.max(300, runs.clientWidth || main.clientWidth || 900);
    const figure = timeline(history, width, Date.now(), zone);
    const recent = history.slice(0, 10);
    runs.replaceChildren(
      h("h2", { id: "runs-title" }, `Runs (last ${history.length})`),
      statsView(runStats(history)),
      figure,
      h("h3", {}, "Latest runs"),
      h("div", { class: "scroll" }, h("table", { class: "runs" },
        h("thead", {}, h("tr", {}, ["Started", "Outcome", "Attempt", "Trigger", "Duration", "Error"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, recent.map((run) => h("tr", {},
          h("td", {}, formatTime(run.startedAt, zone)), h("td", {}, statusBadge(run.status)),
          h("td", {}, String(run.attempt)), h("td", {}, run.trigger), h("td", {}, formatDuration(run.duration)),
          h("td", { class: "run-error" }, run.error ?? "")))))));
    if (focusedRun) {
      const bar = figure.querySelector(`[data-run="${focusedRun}"]`);
      if (bar) {
        for (const other of figure.querySelectorAll(".bar")) other.setAttribute("tabindex", "-1");
        bar.setAttribute("tabindex", "0");
        bar.focus();
      }
    }
  }

  async function act(action, label, ask) {
    if (!(await confirmAction(`${ask}\n“${job.name}”`, label))) {
      actions.querySelector(`[data-action="${action}"]`)?.focus();
      return;
    }
    try {
      if (action === "delete") {
        await api.remove(id);
        stopped = true;
        announce(`Deleted “${job.name}”.`);
        location.hash = "#/";
        return;
      }
      await api.act(id, action);
      announce(`${label}: done for “${job.name}”.`);
    } catch (failure) {
      error.textContent = `${label} failed: ${failure.message}`;
    }
    clearTimeout(timer);
    refresh();
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The next occurrences in the job's zone and the viewer's, side by side. */
export function occurrencesTable(occurrences, zone) {
  const viewer = viewerZone();
  return h("div", { class: "scroll" }, h("table", { class: "occurrences" },
    h("caption", {}, `Next ${occurrences.length} occurrences`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, `In ${zone}`), h("th", { scope: "col" }, `In your zone (${viewer})`))),
    h("tbody", {}, occurrences.map((at) => h("tr", {}, breakable(formatTime(at, zone)), breakable(formatTime(at, viewer)))))));
}

/** A time's cell that may wrap between its date and its clock ("2026-11-29" / "14:05:00 GMT+9"). */
function breakable(time) {
  const [date, ...clock] = time.split(" ");
  return h("td", {}, h("span", {}, date), " ", h("span", {}, clock.join(" ")));
}

export const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
