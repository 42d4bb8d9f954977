// The API, on the page's own origin: `make dev` serves both, and so does `serverless-jobs ui`, which signs
// each call for a deployed stack (the header below is how that server knows a call comes from its pages).

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", "X-Serverless-Jobs-Console": "1", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `the API did not answer (${error.message})`);
  }
  const text = await response.text();
  let reply = null;
  if (text) {
    try {
      reply = JSON.parse(text);
    } catch {
      reply = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, reply?.message ?? `HTTP ${response.status}`);
  return reply;
}

// RFC 3986, as SigV4 signs it: a space is %20 (URLSearchParams writes "+", which API Gateway reads as an
// encoded space, failing the signature the console's forwarder made), and !'()* are escaped too.
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function query(parameters) {
  const present = Object.entries(parameters).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return present.length ? `?${present.map(([name, value]) => `${encode(name)}=${encode(String(value))}`).join("&")}` : "";
}

const job = (id) => `/jobs/${encodeURIComponent(id)}`;

export const api = {
  // newest first; `name`: the jobs whose name contains it, ignoring case (the API's filter)
  jobs: ({ status, name, nextToken, limit = 50 }) => call("GET", `/jobs${query({ status, name, limit, nextToken })}`),
  job: (id) => call("GET", job(id)),
  history: (id, limit = 100) => call("GET", `${job(id)}/history${query({ limit })}`),
  act: (id, action) => call("POST", `${job(id)}/${action}`),
  remove: (id) => call("DELETE", job(id)),
  create: (fields, idempotencyKey) =>
    call("POST", "/jobs", fields, idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {}),
  preview: (request) => call("POST", "/schedules/preview", request),
  runner: () => call("GET", "/jobs/runner"),
  setRunner: (running) => call("POST", `/jobs/runner/${running ? "start" : "stop"}`),
};

// Everything a 400 from POST /jobs or POST /schedules/preview may name, beyond the form's own fields.
const OTHER_FIELDS = ["body", "count", "target", "notify", "jitterSeconds", "maxRuns", "catchupWindowSeconds",
  "concurrencyKey", "concurrencyLimit", "Idempotency-Key"];

/**
 * The API's 400 message split by the field each part names: "name: is required; timezone: 'x' is not ..."
 * gives {name: "is required", timezone: "'x' is not ..."} (a nested field counts for its top one, which keeps
 * the rest of its path: "target.url: ..." gives {target: "url: ..."}). A part
 * that names no field continues the one before: "schedule: cron minute field '61' is not valid; allowed: ...".
 */
export function messagesByField(message, fields) {
  const found = {};
  const rest = [];
  let last = null;
  for (const part of message.split("; ")) {
    const match = /^([A-Za-z][\w.[\]-]*): (.*)$/s.exec(part);
    const field = match && match[1].split(/[.[]/)[0];
    if (field && fields.includes(field)) {
      const within = match[1].slice(field.length).replace(/^\./, "");
      const said = within ? `${within}: ${match[2]}` : match[2];
      found[field] = found[field] ? `${found[field]}; ${said}` : said;
      last = field;
    } else if (last && !(field && OTHER_FIELDS.includes(field))) {
      found[last] = `${found[last]}; ${part}`;
    } else {
      rest.push(part);
      last = null;
    }
  }
  return { found, rest };
}
