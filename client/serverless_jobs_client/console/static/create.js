// The create form: every create field of the API (the rarer ones under "Advanced"), a live preview of the
// schedule as it is typed, and each of the API's error messages shown beside the field it names.

import { api, messagesByField } from "./api.js";
import { announce, h } from "./dom.js";
import { describeSchedule } from "./format.js";
import { capitalise, occurrencesTable } from "./job.js";

const PREVIEW_DELAY_MS = 300;
const NUMBER = { type: "number", inputmode: "numeric" };

// What runs: a registered handler, or one of the API's target types (docs/targets.md), with its inputs.
const RUNS_WITH = [
  ["handler", "a handler"],
  ["lambda", "a Lambda function"],
  ["http", "an HTTP webhook"],
  ["sqs", "an SQS queue"],
  ["eventbridge", "an EventBridge bus"],
  ["stepfunctions", "a Step Functions state machine"],
];
// input, label, hint, the target types it belongs to, input attributes
const TARGET_INPUTS = [
  ["arn", "ARN", "arn:aws:…; the stack's TargetArnPatterns must allow it", ["lambda", "sqs", "stepfunctions"], {}],
  ["url", "URL", "https://… (http:// too on make dev)", ["http"], { type: "url" }],
  ["method", "Method", "the run's data is the body", ["http"], { options: ["POST", "PUT", "PATCH"] }],
  ["headers", "Headers", "one Name: value per line (optional)", ["http"], { multiline: 2 }],
  ["busArn", "Bus ARN", "arn:aws:events:…:event-bus/NAME", ["eventbridge"], {}],
  ["detailType", "Detail type", "the events' detail-type", ["eventbridge"], {}],
];

// name, label, hint, input attributes; each sent as the API field of its name when it is not empty
const BASIC = [
  ["name", "Name", "1 to 200 characters", { required: true, maxlength: 200 }],
  ["schedule", "Schedule", "30s, 5m, 0 2 * * *, rate(1 hour), cron(0 9 ? * MON-FRI *); empty runs once", {}],
  ["timezone", "Time zone", "IANA name; the schedule runs in it", { value: "UTC", list: "zones" }],
  ["runAt", "Run at", "ISO time with offset, e.g. 2026-12-01T09:00:00Z; empty is now", {}],
  ["endAt", "End at", "no run starts after it (optional)", {}],
  ["maxAttempts", "Max attempts", "1 to 25; default 3", NUMBER],
  ["retryBackoffSeconds", "Retry backoff (s)", "0 to 86400; default 10", NUMBER],
  ["timeoutSeconds", "Timeout (s)", "1 to 900; default 300", NUMBER],
  ["labels", "Labels", "key=value, comma separated (optional)", {}],
  ["data", "Data", "a JSON object given to the handler or sent to the target", { multiline: 4, value: "{}" }],
];
const ADVANCED = [
  ["jitterSeconds", "Jitter (s)", "a random delay of each scheduled start, 0 to 86400", NUMBER],
  ["maxRuns", "Max runs", "complete the job after this many successful runs", NUMBER],
  ["catchupWindowSeconds", "Catch-up window (s)", "run occurrences missed up to this far back", NUMBER],
  ["overlap", "Overlap", "an occurrence due while a run runs", { options: [["buffer", "buffer: run it after (default)"], ["skip", "skip it"]] }],
  ["concurrencyKey", "Concurrency key", "jobs sharing it run at most “limit” at once", {}],
  ["concurrencyLimit", "Concurrency limit", "how many of the key's jobs may run at once", NUMBER],
  ["notify", "Notify", 'JSON, e.g. {"onFailure": {"type": "http", "url": "https://…"}}', { multiline: 3 }],
];
const RATE_INPUTS = [
  ["key", "Key", "shared by the jobs it limits", {}],
  ["limit", "Starts", "at most this many", NUMBER],
  ["periodSeconds", "Per (s)", "in any window this long", NUMBER],
];
// Every field the API may name in a refusal, each shown beside its input (or its group's).
const NAMES = ["name", "handler", "target", ...BASIC.slice(1).map(([name]) => name),
  ...ADVANCED.map(([name]) => name), "rateLimit"];
const IN_ADVANCED = new Set([...ADVANCED.map(([name]) => name), "rateLimit"]);
const PREVIEWED = ["schedule", "timezone", "runAt", "endAt"];

export function renderCreate(main) {
  const inputs = {}; // by id
  const errors = {}; // by API field
  let previewTimer = null;
  let previewGeneration = 0;
  const title = h("h1", { tabindex: "-1" }, "New job");
  const formError = h("p", { class: "error", role: "alert", id: "form-error", tabindex: "-1" });
  const preview = h("section", { class: "preview", "aria-labelledby": "preview-title", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create job");

  /** One labelled input; `field` is the API field whose error it shows (its own, or its group's). */
  function control(id, label, hint, { multiline, options, value, ...attributes }, field = id) {
    const described = [`${id}-hint`, `${field}-error`].join(" ");
    const common = { id, name: id, "aria-describedby": described, oninput: PREVIEWED.includes(id) ? schedulePreview : () => clear(field) };
    const input = options
      ? h("select", { ...common, onchange: () => clear(field) },
        options.map((option) => (Array.isArray(option) ? h("option", { value: option[0] }, option[1]) : h("option", { value: option }, option))))
      : h(multiline ? "textarea" : "input", { ...common, autocomplete: "off", spellcheck: "false", rows: multiline, ...attributes });
    if (value !== undefined) input.value = value;
    inputs[id] = input;
    return [h("label", { for: id }, label), input, h("p", { class: "hint", id: `${id}-hint` }, hint)];
  }
  function errorOf(field) {
    errors[field] = h("p", { class: "field-error", id: `${field}-error` });
    return errors[field];
  }
  const field = ([name, label, hint, attributes]) =>
    h("div", { class: `field field-${name}` }, control(name, label, hint, attributes), errorOf(name));

  const runsWith = h("div", { class: "field field-runsWith" },
    control("runsWith", "Runs", "what each run calls", { options: RUNS_WITH }, "target"));
  inputs.runsWith.addEventListener("change", showTarget);
  const handler = h("div", { class: "field field-handler" },
    control("handler", "Handler", "a registered handler, e.g. echo", { value: "echo", list: "handlers" }), errorOf("handler"));
  const targetInputs = TARGET_INPUTS.map(([name, label, hint, types, attributes]) => {
    const element = h("div", { class: `field field-target-${name}`, dataset: { types: types.join(" ") } },
      control(`target-${name}`, label, hint, attributes, "target"));
    return element;
  });
  const target = h("div", { class: "target-inputs" }, targetInputs, errorOf("target"));
  const rateLimit = h("fieldset", { class: "group field-rateLimit", "aria-describedby": "rateLimit-hint rateLimit-error" },
    h("legend", {}, "Rate limit"),
    h("p", { class: "hint", id: "rateLimit-hint" }, "at most “starts” run starts of the jobs sharing the key in any window; all three, or none"),
    h("div", { class: "row" }, RATE_INPUTS.map(([name, label, hint, attributes]) =>
      h("div", { class: "field" }, control(`rateLimit-${name}`, label, hint, attributes, "rateLimit")))),
    errorOf("rateLimit"));
  const advanced = h("details", { class: "advanced" },
    h("summary", {}, "Advanced: jitter, max runs, catch-up, overlap, concurrency, rate limit, notify"),
    h("div", { class: "advanced-fields" }, ADVANCED.map(field), rateLimit));
  const [name, ...basic] = BASIC.map(field);

  const form = h("form", { class: "create", novalidate: true, onsubmit: create },
    formError, name, runsWith, handler, target, basic, advanced,
    h("div", { class: "buttons" }, submit, h("a", { href: "#/" }, "Back to jobs")),
    h("datalist", { id: "handlers" }, ["echo", "fail", "flaky", "sleep"].map((value) => h("option", { value }))),
    h("datalist", { id: "zones" }, Intl.supportedValuesOf("timeZone").map((value) => h("option", { value }))));
  main.replaceChildren(title, h("div", { class: "create-layout" }, form, preview));
  showTarget();
  title.focus();
  showPreview();

  function showTarget() {
    const kind = inputs.runsWith.value;
    handler.hidden = kind !== "handler";
    for (const element of targetInputs) element.hidden = !element.dataset.types.split(" ").includes(kind);
    clear("target");
    clear("handler");
  }

  function clear(name) {
    errors[name].textContent = "";
    for (const input of inputsOf(name)) input.removeAttribute("aria-invalid");
  }

  /** The inputs whose values make up the API field `name`. */
  function inputsOf(name) {
    if (name === "target") return TARGET_INPUTS.map(([part]) => inputs[`target-${part}`]);
    if (name === "rateLimit") return RATE_INPUTS.map(([part]) => inputs[`rateLimit-${part}`]);
    return [inputs[name]];
  }

  /** Shown beside the field; of a group's inputs, those the message names ("limit: ..."), else all shown. */
  function showError(name, message) {
    errors[name].textContent = message;
    const shown = inputsOf(name).filter((input) => !input.closest("[hidden]"));
    const named = shown.filter((input) => input.id !== name && message.startsWith(`${input.id.split("-")[1]}:`));
    for (const input of named.length ? named : shown) input.setAttribute("aria-invalid", "true");
    if (IN_ADVANCED.has(name)) advanced.open = true; // never an error out of sight
  }

  function showErrors(found) {
    for (const name of NAMES) {
      if (found[name]) showError(name, `${found[name]}`);
      else clear(name);
    }
  }

  function schedulePreview(event) {
    clear(event.target.name);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(showPreview, PREVIEW_DELAY_MS);
  }

  async function showPreview() {
    const mine = ++previewGeneration;
    const schedule = inputs.schedule.value.trim();
    const heading = h("h2", { id: "preview-title" }, "Preview");
    if (!schedule) {
      preview.replaceChildren(heading, h("p", {}, "No schedule: the job runs once, at “Run at” or as soon as it is created."));
      return;
    }
    const request = { schedule, timezone: inputs.timezone.value.trim() || "UTC", count: 5 };
    for (const name of ["runAt", "endAt"]) if (inputs[name].value.trim()) request[name] = inputs[name].value.trim();
    try {
      const { occurrences } = await api.preview(request);
      if (mine !== previewGeneration) return;
      preview.replaceChildren(heading, h("p", { class: "words" }, `${capitalise(describeSchedule(schedule))} (${request.timezone})`),
        occurrencesTable(occurrences, request.timezone));
    } catch (failure) {
      if (mine !== previewGeneration) return;
      const { found, rest } = messagesByField(failure.message, PREVIEWED);
      for (const name of PREVIEWED) if (found[name]) showError(name, found[name]);
      preview.replaceChildren(heading, h("p", {}, rest.length ? rest.join("; ") : "No preview: see the message beside the field."));
    }
  }

  const text = (id) => inputs[id].value.trim();

  /** The request body, or null after showing beside its field what cannot be sent as JSON at all. */
  function body() {
    const fields = {};
    const found = {};
    const json = (name, id = name) => {
      try {
        return JSON.parse(text(id));
      } catch (failure) {
        found[name] = `is not valid JSON (${failure.message})`;
        return undefined;
      }
    };
    for (const [name, , , attributes] of [...BASIC, ...ADVANCED]) {
      if (!text(name)) continue;
      if (attributes.type === "number") fields[name] = Number(text(name));
      else if (name === "data" || name === "notify") fields[name] = json(name);
      else if (name === "labels") {
        const pairs = text(name).split(",").map((pair) => pair.trim()).filter(Boolean).map((pair) => pair.split("="));
        if (pairs.some((pair) => pair.length !== 2)) found.labels = "write key=value pairs separated by commas";
        else fields.labels = Object.fromEntries(pairs.map(([key, value]) => [key.trim(), value.trim()]));
      } else fields[name] = text(name);
    }
    const kind = inputs.runsWith.value;
    if (kind === "handler") {
      if (text("handler")) fields.handler = text("handler");
    } else {
      fields.target = { type: kind };
      for (const [part, , , types] of TARGET_INPUTS) {
        if (!types.includes(kind) || !text(`target-${part}`)) continue;
        if (part === "headers") {
          const lines = text("target-headers").split("\n").map((line) => line.trim()).filter(Boolean);
          const pairs = lines.map((line) => line.split(/:(.*)/s).slice(0, 2).map((piece) => piece?.trim()));
          if (pairs.some(([key, value]) => !key || value === undefined)) found.target = "headers: write one Name: value per line";
          else fields.target.headers = Object.fromEntries(pairs);
        } else fields.target[part] = text(`target-${part}`);
      }
    }
    // Any of the three sends the rate limit as given: the API names a part that is missing or wrong.
    const rate = Object.fromEntries(RATE_INPUTS.filter(([part]) => text(`rateLimit-${part}`))
      .map(([part, , , attributes]) => [part, attributes.type === "number" ? Number(text(`rateLimit-${part}`)) : text(`rateLimit-${part}`)]));
    if (Object.keys(rate).length) fields.rateLimit = rate;
    showErrors(found);
    return Object.keys(found).length ? null : fields;
  }

  async function create(event) {
    event.preventDefault();
    formError.textContent = "";
    const fields = body();
    if (!fields) return focusFirstError();
    submit.disabled = true;
    try {
      const job = await api.create(fields, crypto.randomUUID?.());
      announce(`Created “${job.name}”.`);
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (failure) {
      const { found, rest } = messagesByField(failure.message, NAMES);
      showErrors(found);
      formError.textContent = rest.length ? rest.join("; ") : `The job was not created: ${Object.keys(found).length} field(s) to fix.`;
      focusFirstError();
    } finally {
      submit.disabled = false;
    }
  }

  function focusFirstError() {
    (form.querySelector("[aria-invalid='true']") ?? formError).focus(); // the first in the form's order
  }

  return () => { clearTimeout(previewTimer); previewGeneration += 1; };
}
