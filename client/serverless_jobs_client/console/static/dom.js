// Building elements without innerHTML: every value from the API is text, never markup.

const SVG = "http://www.w3.org/2000/svg";

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("button", {class: "x", onclick: f}, "text", other). */
export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element, as h(). */
export function s(tag, attributes, ...children) {
  return build(document.createElementNS(SVG, tag), attributes, children);
}

let quiet = null;

/** Say something to every user, screen readers included (the page's live region), for a few seconds. */
export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  clearTimeout(quiet);
  // A change the live region notices even when the same text comes twice.
  requestAnimationFrame(() => { status.textContent = text; });
  quiet = setTimeout(() => { status.textContent = ""; }, 6000);
}

/** Ask before doing something; resolves true when the user confirms (Escape or "Keep as is" is false). */
export function confirmAction(question, verb) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = question;
  document.getElementById("confirm-yes").textContent = verb;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
    document.getElementById("confirm-no").focus();
  });
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${status}` }, status.replace("_", " "));
}
