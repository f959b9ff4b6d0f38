// dudl serve: the experiment page. Builds the form from the parameter schema, keeps the changed values and
// the seed in the URL, starts runs and follows them (Server-Sent Events), shows the result (display.py's
// HTML and figures), the spread over seeds, the export links, and a pinned run side by side with the last one.
"use strict";

const app = document.getElementById("app");
const experiment = app.dataset.experiment;
let schema = null;
let current = null; // {run, source}
let shown = null; // the run whose result is shown
let pinned = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  return { status: response.status, body };
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data || {}) });
}

// -- the form -------------------------------------------------------------------------------------
function input(param) {
  const id = "param-" + param.name;
  if (param.choices.length) {
    const select = el("select", { id, name: param.name });
    for (const choice of param.choices) select.append(el("option", { value: choice }, choice));
    return select;
  }
  return el("input", { id, name: param.name, type: "text", spellcheck: "false", autocomplete: "off" });
}

function buildForm() {
  const form = el("form", { id: "params", onsubmit: (event) => { event.preventDefault(); run(); } });
  for (const param of schema.params) {
    const field = input(param);
    field.value = param.default;
    field.addEventListener("input", () => markChanged(param.name));
    field.addEventListener("change", () => markChanged(param.name));
    const help = [param.type, param.bounds, "default " + param.default].filter(Boolean).join("; ");
    form.append(el("div", { class: "field", "data-name": param.name },
      el("label", { for: "param-" + param.name }, param.name), field,
      el("div", { class: "help" }, param.doc + " (" + help + ")"),
      el("div", { class: "error", id: "error-" + param.name, role: "alert" })));
  }
  const buttons = el("div", { class: "buttons" },
    el("button", { type: "submit", id: "run", form: "params" }, "Run"),
    el("button", { type: "button", id: "cancel", hidden: "", onclick: cancel }, "Cancel"),
    el("button", { type: "button", id: "reset", onclick: reset }, "Reset to course defaults"),
    el("button", { type: "button", id: "pin", disabled: "", onclick: pin }, "Pin this run"));
  const status = el("div", { id: "status", hidden: "" },
    el("progress", { id: "progress", max: "1", value: "0" }), el("span", { id: "status-text" }));
  app.replaceChildren(form, buttons, status, el("div", { id: "run-error", class: "error", role: "alert" }),
    el("div", { id: "compare" }), el("div", { id: "result" }));
}

function field(name) { return document.getElementById("param-" + name); }

function markChanged(name) {
  const param = schema.params.find((p) => p.name === name);
  field(name).classList.toggle("changed", field(name).value.trim() !== param.default);
}

function values() {
  // the changed values, and the seed (if the experiment has one), as text for the parser
  const out = {};
  for (const param of schema.params) {
    const value = field(param.name).value.trim();
    if (value !== param.default || param.name === "seed") out[param.name] = value;
  }
  return out;
}

function reset() {
  for (const param of schema.params) {
    field(param.name).value = param.default;
    markChanged(param.name);
  }
  clearErrors();
  history.replaceState(null, "", location.pathname);
}

function clearErrors() {
  for (const node of document.querySelectorAll(".error")) node.textContent = "";
}

function showErrors(errors) {
  for (const [name, message] of Object.entries(errors)) {
    const target = document.getElementById("error-" + name) || document.getElementById("run-error");
    target.textContent = message;
  }
}

function saveUrl(params) {
  const query = new URLSearchParams(params).toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
}

// -- runs -------------------------------------------------------------------------------------------
async function start(params, cachedOnly) {
  clearErrors();
  const { status, body } = await post("/api/runs", { experiment, params, cached_only: cachedOnly });
  if (status === 422) { showErrors(body.errors); return; }
  if (cachedOnly) {
    if (status === 200) showResult(body.run);
    return;
  }
  if (status >= 400) { showErrors({ run: (body && body.error) || "the server answered " + status }); return; }
  saveUrl(params);
  if (body.state === "done") { showResult(body.run); return; }
  follow(body);
}

function run() { start(values(), false); }

function follow(status) {
  if (current) current.source.close();
  const source = new EventSource("/api/runs/" + status.run + "/events");
  current = { run: status.run, source };
  setBusy(true);
  progress(status);
  source.addEventListener("status", (event) => {
    const update = JSON.parse(event.data);
    progress(update);
    if (["done", "error", "cancelled"].includes(update.state)) {
      source.close();
      current = null;
      setBusy(false);
      if (update.state === "done") showResult(update.run);
      else if (update.state === "error") showErrors({ run: update.message });
    }
  });
}

function setBusy(busy) {
  document.getElementById("cancel").hidden = !busy;
  document.getElementById("run").disabled = busy;
  document.getElementById("status").hidden = false;
}

function progress(status) {
  const bar = document.getElementById("progress");
  const text = document.getElementById("status-text");
  const fraction = status.total ? status.done / status.total : 0;
  bar.value = status.state === "done" ? 1 : fraction;
  bar.dataset.state = status.state;
  const words = {
    queued: "waiting in the queue, position " + status.position,
    running: status.total ? "running: " + Math.round(100 * fraction) + "% of " + status.total + " model-epochs" : "running",
    drawing: "drawing the figures",
    done: "done",
    error: "failed",
    cancelled: "cancelled",
  };
  text.textContent = words[status.state] || status.state;
}

async function cancel() {
  if (current) await post("/api/runs/" + current.run + "/cancel");
}

// -- the result ---------------------------------------------------------------------------------------
function figureNode(run, figure) {
  return el("figure", { class: "dudl-figure", "data-name": figure.name },
    el("img", { src: figure.uri, alt: figure.name }),
    el("figcaption", {}, el("b", {}, figure.name), figure.caption && figure.caption !== figure.name ? ": " + figure.caption : ""));
}

async function showResult(run) {
  const { status, body } = await api("/api/runs/" + run + "/view");
  if (status !== 200) { showErrors({ run: body.error }); return; }
  shown = run;
  document.getElementById("pin").disabled = false;
  document.getElementById("status").hidden = false;
  progress({ state: "done" });
  const result = document.getElementById("result");
  const view = el("div", { class: "view" });
  view.innerHTML = body.html; // display.result_html: escaped by the server
  const figures = el("div", { class: "dudl-figures" }, ...body.figures.map((f) => figureNode(run, f)));
  const box = view.querySelector(".dudl-result") || view;
  box.append(spread(body.spread), scrubber(body.scrub), figures, exports(run, body), modelExports(run, body.models));
  result.replaceChildren(view);
  result.dataset.run = run;
  if (pinned && pinned.run !== run) compare(pinned.run, run);
}

function exports(run, body) {
  const links = [el("a", { href: "/api/runs/" + run + "/result", download: experiment + ".json" }, "result JSON")];
  for (const figure of body.figures) {
    links.push(el("a", { href: "/api/runs/" + run + "/figures/" + encodeURIComponent(figure.name) + ".png",
      download: experiment + "-" + figure.name + ".png" }, figure.name + ".png"));
  }
  const list = el("p", { class: "exports" }, "Download: ");
  links.forEach((link, i) => { if (i) list.append(" \u00b7 "); list.append(link); });
  return list;
}

function modelExports(run, calls) {
  // the trained models, one engine call per line: pick a model (repetition / sweep cell) and download it
  const box = el("div", { class: "models" });
  for (const call of calls.filter((c) => c.exportable)) {
    const number = el("input", { type: "number", min: "0", max: String(call.models - 1), value: "0",
      class: "model-index", "aria-label": "model index" });
    const link = el("a", {}, "download state_dict");
    const update = () => {
      const k = Math.max(0, Math.min(call.models - 1, parseInt(number.value, 10) || 0));
      link.href = `/api/runs/${run}/models/${call.call}/${k}.pt`;
      link.download = `${experiment}-call${call.call}-model${k}.pt`;
    };
    number.addEventListener("input", update);
    update();
    box.append(el("p", {}, `Trained model, engine call ${call.call} (${call.architecture}, ${call.models} models): model `,
      number, " ", link, el("span", { class: "muted" }, " (torch.load, then load_state_dict into the course's nn.Sequential)")));
  }
  return box;
}

const CLASS_COLOURS = ["#c6d7ff", "#d0d0d0", "#ffc6c6"]; // the course figure's decision-surface colours
const POINT_COLOURS = ["#1f4fd6", "#111111", "#d61f1f"];

function scrubber(scrub) {
  // the decision surface of model 0 at saved epochs, with a slider
  const box = el("div", { class: "scrub" });
  if (!scrub) return box;
  const size = 360;
  const canvas = el("canvas", { width: String(size), height: String(size), id: "scrub-canvas" });
  const slider = el("input", { type: "range", id: "scrub-slider", min: "0", max: String(scrub.epochs.length - 1),
    value: String(scrub.epochs.length - 1), step: "1" });
  const label = el("span", { id: "scrub-epoch" });
  const [x0, x1, y0, y1] = scrub.extent;
  const draw = () => {
    const frame = Number(slider.value);
    const grid = scrub.surfaces[frame];
    const context = canvas.getContext("2d");
    const rows = grid.length, cols = grid[0].length;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        context.fillStyle = CLASS_COLOURS[grid[r][c]] || "#ffffff";
        context.fillRect((c * size) / cols, size - ((r + 1) * size) / rows, size / cols + 1, size / rows + 1);
      }
    }
    scrub.points.forEach(([x, y], i) => {
      context.fillStyle = POINT_COLOURS[scrub.labels[i]] || "#000";
      context.beginPath();
      context.arc(((x - x0) / (x1 - x0)) * size, size - ((y - y0) / (y1 - y0)) * size, 2.5, 0, 2 * Math.PI);
      context.fill();
    });
    label.textContent = "after " + scrub.epochs[frame] + " epochs";
    canvas.dataset.epoch = String(scrub.epochs[frame]);
  };
  slider.addEventListener("input", draw);
  box.append(el("h3", {}, "Scrub through training: the decision surface of model 0"), canvas,
    el("div", {}, slider, " ", label));
  draw();
  return box;
}

function spread(entries) {
  const box = el("div", { class: "spread" });
  if (!entries.length) return box;
  box.append(el("h3", {}, "Spread over repetitions (seeds)"));
  for (const entry of entries) box.append(histogram(entry));
  return box;
}

function histogram(entry) {
  const values = entry.values.filter((v) => v !== null);
  const width = 360, height = 120, bins = 20;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 30}`);
  svg.setAttribute("class", "histogram");
  svg.dataset.metric = entry.metric;
  const lo = Math.min(...values), hi = Math.max(...values);
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[hi > lo ? Math.min(bins - 1, Math.floor((v - lo) / (hi - lo) * bins)) : 0]++;
  const top = Math.max(...counts, 1);
  counts.forEach((count, i) => {
    const rect = document.createElementNS(ns, "rect");
    const h = (count / top) * height;
    rect.setAttribute("x", (i * width) / bins + 1);
    rect.setAttribute("y", height - h);
    rect.setAttribute("width", width / bins - 2);
    rect.setAttribute("height", h);
    svg.append(rect);
  });
  for (const [x, text, anchor] of [[0, lo.toPrecision(4), "start"], [width, hi.toPrecision(4), "end"]]) {
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", x);
    label.setAttribute("y", height + 20);
    label.setAttribute("text-anchor", anchor);
    label.textContent = text;
    svg.append(label);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  const missing = entry.values.length - values.length;
  const caption = `${entry.metric}: ${entry.values.length} repetitions, median ${median.toPrecision(4)}` +
    (missing ? `, ${missing} diverged` : "") + (entry.note ? ` (${entry.note})` : "");
  return el("figure", { class: "spread-item" }, svg, el("figcaption", {}, caption));
}

// -- compare ------------------------------------------------------------------------------------------
function pin() {
  pinned = { run: shown };
  document.getElementById("pin").textContent = "Pinned (" + shown.slice(0, 6) + ")";
  document.getElementById("compare").replaceChildren(
    el("p", { class: "muted" }, "Pinned. Change a parameter and run again to see both side by side."));
}

async function compare(a, b) {
  const { status, body } = await api("/api/compare?a=" + a + "&b=" + b);
  const box = document.getElementById("compare");
  if (status !== 200) { box.replaceChildren(el("p", { class: "error" }, body.error)); return; }
  const differ = el("table", { class: "differ" }, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "pinned"), el("th", {}, "this run")));
  for (const row of body.differ) {
    differ.append(el("tr", {}, el("td", {}, row.name), el("td", {}, JSON.stringify(row.a)), el("td", {}, JSON.stringify(row.b))));
  }
  const sides = body.runs.map((side, i) => {
    const table = el("table", {}, el("tr", {}, el("th", {}, "metric"), el("th", {}, "value / mean [min, max]")));
    for (const row of side.summary) table.append(el("tr", {}, el("td", {}, row[0]), el("td", {}, row[2])));
    return el("div", { class: "side", "data-run": side.run }, el("h3", {}, i ? "this run" : "pinned run"), table,
      side.figure ? figureNode(side.run, side.figure) : "");
  });
  box.replaceChildren(el("h2", {}, "Compare"), differ, el("div", { class: "sides" }, ...sides));
}

// -- start ------------------------------------------------------------------------------------------------
async function init() {
  const { status, body } = await api("/api/experiments/" + encodeURIComponent(experiment));
  if (status !== 200) { app.textContent = body.error; return; }
  schema = body;
  buildForm();
  const query = new URLSearchParams(location.search);
  let any = false;
  for (const [name, value] of query) {
    if (field(name)) { field(name).value = value; markChanged(name); any = true; }
  }
  if (any) start(values(), true); // a shared link: its result at once if it is cached
}

init();
