// The create form: a live preview of the schedule as it is typed, and each of the API's error messages shown
// beside the field it names.

import { api, messagesByField } from "./api.js";
import { announce, h } from "./dom.js";
import { describeSchedule } from "./format.js";
import { capitalise, occurrencesTable } from "./job.js";

const PREVIEW_DELAY_MS = 300;

// name, label, hint, input attributes
const FIELDS = [
  ["name", "Name", "1 to 200 characters", { required: true, maxlength: 200 }],
  ["handler", "Handler", "a registered handler, e.g. echo", { value: "echo", list: "handlers" }],
  ["schedule", "Schedule", "30s, 5m, 0 2 * * *, rate(1 hour), cron(0 9 ? * MON-FRI *); empty runs once", {}],
  ["timezone", "Time zone", "IANA name; the schedule runs in it", { value: "UTC", list: "zones" }],
  ["runAt", "Run at", "ISO time with offset, e.g. 2026-12-01T09:00:00Z; empty is now", {}],
  ["endAt", "End at", "no run starts after it (optional)", {}],
  ["maxAttempts", "Max attempts", "1 to 25; default 3", { type: "number", inputmode: "numeric" }],
  ["retryBackoffSeconds", "Retry backoff (s)", "0 to 86400; default 10", { type: "number", inputmode: "numeric" }],
  ["timeoutSeconds", "Timeout (s)", "1 to 900; default 300", { type: "number", inputmode: "numeric" }],
  ["labels", "Labels", "key=value, comma separated (optional)", {}],
  ["data", "Data", "a JSON object given to the handler", { multiline: true, value: "{}" }],
];
const NAMES = FIELDS.map(([name]) => name);
const PREVIEWED = ["schedule", "timezone", "runAt", "endAt"];

export function renderCreate(main) {
  const inputs = {};
  const errors = {};
  let previewTimer = null;
  let previewGeneration = 0;
  const title = h("h1", { tabindex: "-1" }, "New job");
  const formError = h("p", { class: "error", role: "alert", id: "form-error", tabindex: "-1" });
  const preview = h("section", { class: "preview", "aria-labelledby": "preview-title", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create job");
  const form = h("form", { class: "create", novalidate: true, onsubmit: create },
    formError,
    FIELDS.map(([name, label, hint, { multiline, value, ...attributes }]) => {
      errors[name] = h("p", { class: "field-error", id: `${name}-error` });
      const input = h(multiline ? "textarea" : "input", {
        id: name, name, autocomplete: "off", spellcheck: "false", "aria-describedby": `${name}-hint ${name}-error`,
        rows: multiline ? 4 : undefined, oninput: PREVIEWED.includes(name) ? schedulePreview : () => clear(name),
        ...attributes,
      });
      input.value = value ?? "";
      inputs[name] = input;
      return h("div", { class: `field field-${name}` },
        h("label", { for: name }, label), input, h("p", { class: "hint", id: `${name}-hint` }, hint), errors[name]);
    }),
    h("div", { class: "buttons" }, submit, h("a", { href: "#/" }, "Back to jobs")),
    h("datalist", { id: "handlers" }, ["echo", "fail", "flaky", "sleep"].map((value) => h("option", { value }))),
    h("datalist", { id: "zones" }, Intl.supportedValuesOf("timeZone").map((value) => h("option", { value }))));
  main.replaceChildren(title, h("div", { class: "create-layout" }, form, preview));
  title.focus();
  showPreview();

  function clear(name) {
    errors[name].textContent = "";
    inputs[name].removeAttribute("aria-invalid");
  }

  function showErrors(found) {
    for (const name of NAMES) {
      if (found[name]) {
        errors[name].textContent = `${found[name]}`;
        inputs[name].setAttribute("aria-invalid", "true");
      } else clear(name);
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
      for (const name of PREVIEWED) if (found[name]) {
        errors[name].textContent = found[name];
        inputs[name].setAttribute("aria-invalid", "true");
      }
      preview.replaceChildren(heading, h("p", {}, rest.length ? rest.join("; ") : "No preview: see the message beside the field."));
    }
  }

  /** The request body, or null after showing beside its field what cannot be sent as JSON at all. */
  function body() {
    const fields = {};
    const found = {};
    for (const name of NAMES) {
      const text = inputs[name].value.trim();
      if (!text) continue;
      if (inputs[name].type === "number") fields[name] = Number(text);
      else if (name === "data") {
        try {
          fields.data = JSON.parse(text);
        } catch (failure) {
          found.data = `is not valid JSON (${failure.message})`;
        }
      } else if (name === "labels") {
        const pairs = text.split(",").map((pair) => pair.trim()).filter(Boolean).map((pair) => pair.split("="));
        if (pairs.some((pair) => pair.length !== 2)) found.labels = "write key=value pairs separated by commas";
        else fields.labels = Object.fromEntries(pairs.map(([key, value]) => [key.trim(), value.trim()]));
      } else fields[name] = text;
    }
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
    const first = NAMES.find((name) => inputs[name].getAttribute("aria-invalid") === "true");
    (first ? inputs[first] : formError).focus();
  }

  return () => { clearTimeout(previewTimer); previewGeneration += 1; };
}
