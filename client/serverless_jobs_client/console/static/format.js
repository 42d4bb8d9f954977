// Times in a given zone, durations, and a schedule in words.

export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

const formats = new Map();

/** "2026-11-29 14:05:00 GMT+9" for an ISO time, in `zone` (the viewer's by default). */
export function formatTime(iso, zone = viewerZone()) {
  if (!iso) return "—";
  if (!formats.has(zone)) {
    formats.set(zone, new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
    }));
  }
  const part = Object.fromEntries(formats.get(zone).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
}

/** "14:05:07", for axis labels. */
export function clockTime(millis, zone = viewerZone()) {
  return formatTime(new Date(millis).toISOString(), zone).split(" ")[1];
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const UNITS = { s: "second", m: "minute", h: "hour", d: "day" };
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
  "November", "December"];
const MACROS = {
  "@hourly": "every hour, on the hour",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@monthly": "on day 1 of every month at 00:00",
  "@yearly": "every 1 January at 00:00",
  "@annually": "every 1 January at 00:00",
};

const every = (count, unit) => (count === 1 ? `every ${unit}` : `every ${count} ${unit}s`);
const pad = (value) => String(value).padStart(2, "0");
const isNumber = (field) => /^\d+$/.test(field);
const wild = (field) => field === "*" || field === "?";

/** A schedule as a sentence ("every 5 minutes", "at 02:30 on Monday to Friday"); the expression when unsure. */
export function describeSchedule(schedule) {
  const text = schedule.trim();
  let match = /^(\d+)([smhd])$/.exec(text);
  if (match) return every(Number(match[1]), UNITS[match[2]]);
  match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(text);
  if (match) return every(Number(match[1]), match[2]);
  match = /^at\((.+)\)$/.exec(text);
  if (match) return `once, at ${match[1].replace("T", " ")}`;
  if (MACROS[text]) return MACROS[text];
  match = /^cron\((.+)\)$/.exec(text);
  const fields = (match ? match[1] : text).split(/\s+/);
  if (fields.length === 5 && !match) return describeCron(fields, (day) => day % 7);
  if (fields.length === 6 && match && wild(fields[5])) return describeCron(fields.slice(0, 5), (day) => day - 1);
  return `on the schedule ${text}`;
}

function describeCron([minute, hour, dayOfMonth, month, dayOfWeek], dayIndex) {
  let when;
  if (isNumber(minute) && isNumber(hour)) when = `at ${pad(hour)}:${pad(minute)}`;
  else if (isNumber(minute) && wild(hour)) when = Number(minute) === 0 ? "every hour, on the hour" : `every hour at minute ${minute}`;
  else if (/^\*\/\d+$/.test(minute) && wild(hour)) when = every(Number(minute.slice(2)), "minute");
  else if (wild(minute) && wild(hour)) when = "every minute";
  else when = `at minute ${minute} of hour ${hour}`;
  const days = [];
  if (!wild(dayOfWeek)) days.push(`on ${describeList(dayOfWeek, (day) => DAYS[dayIndex(Number(day))] ?? day)}`);
  if (!wild(dayOfMonth)) days.push(`on day ${dayOfMonth} of the month`);
  if (!wild(month)) days.push(`in ${describeList(month, (m) => MONTHS[Number(m) - 1] ?? m)}`);
  if (days.length) return `${when} ${days.join(", ")}`;
  return isNumber(hour) ? `${when} every day` : when;
}

function describeList(field, name) {
  const named = (value) => (isNumber(value) ? name(value) : value);
  return field.split(",").map((part) => part.split("-").map(named).join(" to ")).join(", ");
}
