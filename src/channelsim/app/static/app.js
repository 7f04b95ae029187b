// channelsim workshop page: levers on the left, key figures and the report's charts on the right.
// The page holds no model logic: it sends the levers' values to the server and shows the answers.
"use strict";

const state = { scenario: null, controls: [], lastKpis: null, busy: false };

const $ = (id) => document.getElementById(id);

function formatValue(control, value) {
  if (control.kind === "select") return value;
  const number = Number(value);
  if (control.step < 1) return number.toFixed(2);
  return number.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

function formatKpi(card, value) {
  if (value === null || value === undefined) return "—";  // no replication had a value (a share of no orders)
  if (card.share) return `${(100 * Number(value)).toFixed(1)}%`;  // a share in 0..1, shown in %
  const digits = Math.abs(value) >= 100 ? 0 : 1;
  const text = Number(value).toLocaleString("en-US", { maximumFractionDigits: digits });
  return card.unit ? `${text} ${card.unit}` : text;
}

// -- levers -------------------------------------------------------------------------------
function makeControl(control) {
  const row = document.createElement("label");
  row.className = "control";
  row.title = control.help || "";
  const name = document.createElement("span");
  name.className = "control-name";
  name.textContent = control.label;
  const shown = document.createElement("output");
  shown.className = "control-value";
  let input;
  if (control.kind === "select") {
    input = document.createElement("select");
    for (const option of control.options) {
      const item = document.createElement("option");
      item.value = option;
      item.textContent = option;
      input.appendChild(item);
    }
  } else {
    input = document.createElement("input");
    input.type = "range";
    input.min = control.minimum;
    input.max = control.maximum;
    input.step = control.step;
  }
  input.dataset.path = control.path;
  input.value = control.value;
  input.setAttribute("aria-label", `${control.label} (${control.unit || "level"})`);
  const unit = document.createElement("span");
  unit.className = "control-unit";
  unit.textContent = control.unit;
  const refresh = () => {
    shown.textContent = formatValue(control, input.value);
    row.classList.toggle("changed", String(input.value) !== String(control.value));
  };
  input.addEventListener("input", () => { refresh(); markStale(); });
  refresh();
  if (control.kind === "select") shown.hidden = true;  // the menu shows its own value
  row.append(name, shown, unit, input);
  row.refresh = refresh;
  return row;
}

function buildControls(controls) {
  const holder = $("controls");
  holder.replaceChildren();
  const groups = new Map();
  for (const control of controls) {
    if (!groups.has(control.group)) {
      const panel = document.createElement("section");
      panel.className = "panel";
      const title = document.createElement("h2");
      title.textContent = control.group;
      panel.appendChild(title);
      holder.appendChild(panel);
      groups.set(control.group, panel);
    }
    groups.get(control.group).appendChild(makeControl(control));
  }
}

function leverValues() {
  const values = {};
  for (const input of document.querySelectorAll("[data-path]")) values[input.dataset.path] = input.value;
  return values;
}

function setLeverValues(values) {
  for (const input of document.querySelectorAll("[data-path]")) {
    if (input.dataset.path in values) {
      // a plan's spend need not sit on the slider's grid: let the slider hold it exactly
      const control = state.controls.find((c) => c.path === input.dataset.path);
      if (input.type === "range") input.step = onGrid(control, values[input.dataset.path]) ? control.step : "any";
      input.value = values[input.dataset.path];
      input.closest(".control").refresh();
    }
  }
}

function onGrid(control, value) {
  const steps = (Number(value) - control.minimum) / control.step;
  return Math.abs(steps - Math.round(steps)) < 1e-6;
}

function markStale() {
  $("simulate").classList.add("stale");
  $("kpi-note").textContent = "levers changed: press Simulate to update";
}

// -- talking to the server -------------------------------------------------------------------
// The server puts a token for this run into the page and refuses a request without it: another
// web page open in the same browser cannot read it, so it cannot drive the app.
const TOKEN = document.querySelector('meta[name="channelsim-token"]').content;

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json", "X-Channelsim-Token": TOKEN },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.error || `HTTP ${response.status}`);
    error.status = response.status;  // 409: a save under a name already taken
    throw error;
  }
  return data;
}

async function busy(message, work) {
  if (state.busy) return;
  state.busy = true;
  document.body.classList.add("busy");
  for (const b of document.querySelectorAll("button")) b.disabled = true;
  $("status").textContent = message;
  $("status").classList.remove("error");
  try {
    await work();
  } catch (error) {
    $("status").textContent = error.message;
    $("status").classList.add("error");
  } finally {
    state.busy = false;
    document.body.classList.remove("busy");
    for (const b of document.querySelectorAll("button")) b.disabled = false;
  }
}

// -- results ---------------------------------------------------------------------------------
function showKpis(cards) {
  const holder = $("kpis");
  holder.replaceChildren();
  const previous = state.lastKpis;
  for (const card of cards) {
    const box = document.createElement("div");
    box.className = "kpi";
    box.dataset.key = card.key;
    box.dataset.mean = card.mean;
    const label = document.createElement("div");
    label.className = "kpi-label";
    label.textContent = card.label;
    const value = document.createElement("div");
    value.className = "kpi-value";
    value.textContent = formatKpi(card, card.mean);
    const range = document.createElement("div");
    range.className = "kpi-range";
    const bare = { ...card, unit: "" };  // the unit is on the value above
    range.textContent = `95% range ${formatKpi(bare, card.ci95[0])} to ${formatKpi(bare, card.ci95[1])}`;
    box.append(label, value, range);
    const before = previous ? previous[card.key] : undefined;
    if (before !== undefined && Math.abs(card.mean - before) > 1e-9) {
      const delta = document.createElement("div");
      const up = card.mean > before;
      const good = up === (card.better === "up");
      delta.className = `kpi-delta ${good ? "good" : "bad"}`;
      // a share moves in percentage points: 85% → 87% is "▲ 2.0 pp", not "▲ 2%"
      const change = card.share ? `${(100 * Math.abs(card.mean - before)).toFixed(1)} pp`
        : formatKpi(card, Math.abs(card.mean - before));
      delta.textContent = `${up ? "▲" : "▼"} ${change} vs last run`;
      box.appendChild(delta);
    }
    holder.appendChild(box);
  }
  state.lastKpis = Object.fromEntries(cards.map((c) => [c.key, c.mean]));
}

function showCharts(charts, holderId) {
  const holder = $(holderId);
  holder.replaceChildren();
  for (const chart of charts) {
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.src = chart.src;
    image.dataset.name = chart.name;
    image.alt = `chart: ${chart.name.replace(/_/g, " ")}`;
    figure.appendChild(image);
    holder.appendChild(figure);
  }
}

function showPlan(result) {
  const plan = $("plan");
  const sign = result.objective_value >= result.baseline_value ? "+" : "−";
  const gain = Math.abs(result.objective_value - result.baseline_value);
  const unit = result.objective === "profit" || result.objective === "revenue" ? ` ${state.scenario.currency}` : "";
  plan.replaceChildren();
  const text = document.createElement("p");
  const fmt = (v) => v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  text.textContent = `Optimizer (${result.status}): the planner forecasts ${result.objective} ` +
    `${fmt(result.objective_value)}${unit} with its plan against ${fmt(result.baseline_value)}${unit} with ` +
    `your settings (${sign}${fmt(gain)}). Forecasts are the planner's quick arithmetic, not the simulation: ` +
    "the levers now show the plan, press Simulate to check it.";
  const charts = document.createElement("div");
  charts.id = "plan-charts";
  charts.className = "charts";
  plan.append(text, charts);
  plan.hidden = false;
  showCharts(result.charts, "plan-charts");
}

// -- buttons ---------------------------------------------------------------------------------
async function simulate() {
  await busy("Simulating…", async () => {
    const replications = Number($("replications").value);
    const result = await call("/api/simulate", { values: leverValues(), replications });
    showKpis(result.kpis);
    showCharts(result.charts, "charts");
    $("simulate").classList.remove("stale");
    $("kpi-note").textContent = `mean of ${result.replications} runs over ${state.scenario.horizon_weeks} weeks`;
    $("status").textContent = `Simulated in ${result.seconds.toFixed(1)} s.`;
  });
}

async function optimize() {
  await busy("Optimizing…", async () => {
    const result = await call("/api/optimize", { values: leverValues() });
    setLeverValues(result.values);
    showPlan(result);
    markStale();
    $("status").textContent = "Plan found: the levers moved to it.";
  });
}

// A name already taken is refused (409) until the person says to replace it: nothing is lost unasked.
async function saveAsked(body) {
  try {
    return await call("/api/save", body);
  } catch (error) {
    if (error.status !== 409) throw error;
    const taken = error.message.replace(/^variant name: /, "").split("; send overwrite")[0];
    if (!window.confirm(`The name is taken: ${taken}.\n\nReplace it?`)) return null;
    return call("/api/save", { ...body, overwrite: true });
  }
}

async function save() {
  await busy("Saving…", async () => {
    const result = await saveAsked({
      name: $("variant-name").value.trim(),
      description: $("variant-description").value.trim(),
      values: leverValues(),
    });
    if (result === null) {
      $("save-status").textContent = "Not saved: choose another name, or save again and confirm.";
      $("status").textContent = "Not saved.";
      return;
    }
    const changed = Object.keys(result.set).length;
    $("save-status").textContent = `${result.replaced ? "Replaced" : "Saved"} variant “${result.variant}” ` +
      `(${changed} change${changed === 1 ? "" : "s"}) in ${result.path}.`;
    $("status").textContent = "Saved.";
  });
}

function reset() {
  setLeverValues(Object.fromEntries(state.controls.map((c) => [c.path, c.value])));
  markStale();
}

async function start() {
  state.scenario = await call("/api/scenario");
  state.controls = state.scenario.controls;
  $("scenario-name").textContent = state.scenario.name + (state.scenario.variant ? ` [${state.scenario.variant}]` : "");
  $("scenario-description").textContent = state.scenario.description;
  $("replications").value = state.scenario.replications;
  buildControls(state.controls);
  $("simulate").addEventListener("click", simulate);
  $("optimize").addEventListener("click", optimize);
  $("save").addEventListener("click", save);
  $("reset").addEventListener("click", reset);
  await simulate();
}

start().catch((error) => { $("status").textContent = error.message; $("status").classList.add("error"); });
