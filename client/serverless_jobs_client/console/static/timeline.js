// A job's runs on a time axis: one bar per run (length = duration, colour = outcome), one lane per attempt,
// and a line from each attempt to its retry (a retry keeps its occurrence's scheduledAt).

import { h, s } from "./dom.js";
import { clockTime, formatDuration, formatTime } from "./format.js";

const FINISHED = ["completed", "failed", "timed_out"];
const LANES = 4; // attempts 4 and later share the last lane
const LANE_HEIGHT = 30;
const LABEL_WIDTH = 78;
const AXIS_HEIGHT = 26;
const TICK_LABEL_WIDTH = 56; // "10:38:30" at the axis's 11 px, with room for a wider font
const TICK_GAP = 12;
const MAX_TICK_INTERVALS = 4;

/** Success rate and duration percentiles (nearest rank) of the finished runs among `runs`. */
export function runStats(runs) {
  const finished = runs.filter((run) => FINISHED.includes(run.status));
  const durations = finished.map((run) => run.duration).filter((d) => d !== null).sort((a, b) => a - b);
  const rank = (p) => (durations.length ? durations[Math.ceil(p * durations.length) - 1] : null);
  const succeeded = finished.filter((run) => run.status === "completed").length;
  return {
    runs: runs.length,
    finished: finished.length,
    successRate: finished.length ? succeeded / finished.length : null,
    p50: rank(0.5),
    p95: rank(0.95),
  };
}

export function statsView(stats) {
  const rate = stats.successRate === null ? "—" : `${Math.round(stats.successRate * 1000) / 10} %`;
  const item = (term, value, id) => h("div", {}, h("dt", {}, term), h("dd", { "data-stat": id }, value));
  return h("dl", { class: "stats" },
    item(`Success rate (last ${stats.finished} finished runs)`, rate, "success-rate"),
    item("Duration p50", formatDuration(stats.p50), "p50"),
    item("Duration p95", formatDuration(stats.p95), "p95"));
}

function describe(run, zone) {
  const parts = [
    `Attempt ${run.attempt} (${run.trigger}), ${run.status.replace("_", " ")}`,
    `started ${formatTime(run.startedAt, zone)}`,
    run.completedAt ? `took ${formatDuration(run.duration)}` : "still running",
  ];
  if (run.scheduledAt) parts.push(`occurrence ${formatTime(run.scheduledAt, zone)}`);
  if (run.error) parts.push(`error: ${run.error}`);
  return parts.join("; ");
}

/**
 * The timeline of `runs` (newest first, as history gives them) drawn `width` pixels wide at `now` (ms).
 * Keyboard: the newest bar is one tab stop; arrow keys, Home and End move between runs.
 */
export function timeline(runs, width, now, zone) {
  const figure = h("figure", { class: "timeline" });
  if (!runs.length) {
    figure.append(h("p", { class: "empty" }, "No runs yet: bars appear here as runs start."));
    return figure;
  }
  const ordered = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const start = (run) => Date.parse(run.startedAt);
  const end = (run) => (run.completedAt ? Date.parse(run.completedAt) : now);
  const first = Math.min(...ordered.map(start));
  const span = Math.max(1000, Math.max(...ordered.map(end)) - first);
  const t0 = first - span * 0.01; // a little room at either end for the first and last bar
  const t1 = first + span * 1.03;
  const plot = width - LABEL_WIDTH - 12;
  const x = (t) => LABEL_WIDTH + ((t - t0) / (t1 - t0)) * plot;
  const lanes = Math.min(LANES, Math.max(...ordered.map((run) => run.attempt)));
  const height = lanes * LANE_HEIGHT + AXIS_HEIGHT;
  const laneOf = (run) => Math.min(run.attempt, LANES) - 1;
  const y = (run) => laneOf(run) * LANE_HEIGHT + 6;

  const svg = s("svg", {
    width, height, viewBox: `0 0 ${width} ${height}`, role: "group",
    "aria-label": `Timeline of the last ${runs.length} runs, oldest left; arrow keys move between runs`,
  });
  for (let lane = 0; lane < lanes; lane += 1) {
    const label = lane === 0 ? "attempt 1" : lane === LANES - 1 ? `retry ${lane + 1}+` : `retry ${lane + 1}`;
    svg.append(s("text", { x: 4, y: lane * LANE_HEIGHT + 20, class: "lane" }, label));
    svg.append(s("line", { x1: LABEL_WIDTH, x2: width - 12, y1: (lane + 1) * LANE_HEIGHT, y2: (lane + 1) * LANE_HEIGHT, class: "grid" }));
  }
  // As many axis labels as fit without touching: a label is centred on its tick, the first and last are
  // flush with the ends, so neighbours need a label and a half (and a gap) between their ticks.
  const intervals = Math.max(1, Math.min(MAX_TICK_INTERVALS, Math.floor(plot / (TICK_LABEL_WIDTH * 1.5 + TICK_GAP))));
  let shown = null;
  for (let i = 0; i <= intervals; i += 1) {
    const t = t0 + ((t1 - t0) * i) / intervals;
    const anchor = i === 0 ? "start" : i === intervals ? "end" : "middle";
    const label = clockTime(t, zone);
    if (label === shown) continue; // a span of seconds: one label per second
    shown = label;
    svg.append(s("text", { x: x(t), y: height - 6, class: "tick", "text-anchor": anchor }, label));
  }
  // Each retry linked to the attempt before it of the same occurrence.
  const byOccurrence = new Map();
  for (const run of ordered) {
    const previous = run.scheduledAt && byOccurrence.get(run.scheduledAt);
    if (previous && run.attempt > previous.attempt) {
      svg.append(s("line", {
        class: "retry-link", "data-occurrence": run.scheduledAt,
        x1: x(end(previous)), y1: y(previous) + 9, x2: x(start(run)), y2: y(run) + 9,
      }));
    }
    if (run.scheduledAt) byOccurrence.set(run.scheduledAt, run);
  }

  const tip = h("div", { class: "tip", role: "tooltip", id: "timeline-tip", hidden: true });
  const bars = ordered.map((run) => s("rect", {
    class: `bar bar-${run.status}`, x: x(start(run)), y: y(run), height: 18, rx: 2,
    width: Math.max(4, x(end(run)) - x(start(run))),
    tabindex: -1, role: "img", "aria-label": describe(run, zone), "aria-describedby": "timeline-tip",
    dataset: { run: run.id, occurrence: run.scheduledAt ?? "" },
  }));
  bars[bars.length - 1].setAttribute("tabindex", "0");
  svg.append(...bars);

  const show = (bar) => {
    tip.textContent = bar.getAttribute("aria-label");
    tip.hidden = false;
    const box = bar.getBBox();
    tip.style.left = `${Math.min(box.x, width - 260)}px`;
    tip.style.top = `${box.y + box.height + 6}px`;
    const occurrence = bar.dataset.occurrence;
    for (const other of svg.querySelectorAll("[data-occurrence]")) {
      other.classList.toggle("linked", Boolean(occurrence) && other.dataset.occurrence === occurrence);
    }
  };
  const hide = () => {
    tip.hidden = true;
    for (const other of svg.querySelectorAll(".linked")) other.classList.remove("linked");
  };
  for (const bar of bars) {
    bar.addEventListener("mouseenter", () => show(bar));
    bar.addEventListener("mouseleave", hide);
    bar.addEventListener("focus", () => show(bar));
    bar.addEventListener("blur", hide);
  }
  svg.addEventListener("keydown", (event) => {
    const index = bars.indexOf(document.activeElement);
    if (index < 0) return;
    const next = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: bars.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = bars[Math.max(0, Math.min(bars.length - 1, next))];
    bars[index].setAttribute("tabindex", "-1");
    target.setAttribute("tabindex", "0");
    target.focus();
  });
  figure.append(svg, tip, legend());
  return figure;
}

function legend() {
  const entries = [["completed", "completed"], ["failed", "failed"], ["timed_out", "timed out"],
    ["running", "running"], ["skipped", "skipped"]];
  return h("figcaption", { class: "legend" },
    entries.map(([status, label]) => h("span", {}, h("span", { class: `swatch bar-${status}`, "aria-hidden": "true" }), label)),
    h("span", {}, h("span", { class: "swatch link", "aria-hidden": "true" }), "retry of an occurrence"));
}
