// rasd demo page: POST the textarea to /predict and re-render the text with its spans.
// User text only ever reaches the page through text nodes and textContent, never innerHTML.
// Offsets from the API are Unicode code points, so the text is indexed as Array.from(text)
// (a JavaScript string is UTF-16 and would drift after every emoji).
"use strict";

const ROLE = { entities: "entity", claims: "claim", sources: "source" };
const state = { colours: {}, layers: [], definitions: {} };

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function roleOf(layer) {
  return ROLE[layer] || "entity";
}

function setStatus(message, isError) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", Boolean(isError));
}

async function loadModel() {
  const response = await fetch("/model");
  if (!response.ok) {
    setStatus("the model is not ready yet (" + response.status + "); reload the page shortly", true);
    return;
  }
  const model = await response.json();
  state.colours = model.colours;
  state.layers = Object.keys(model.schema.layers);
  for (const layer of state.layers) {
    for (const [label, spec] of Object.entries(model.schema.layers[layer].labels)) {
      state.definitions[label] = spec.definition;
    }
  }
  const base = model.base && (model.base.used || model.base.requested);
  $("model-info").textContent =
    "model " + model.name + (base ? " · base " + base : "") + " · " + model.device;
  renderLegend(model.schema.layers);
}

function renderLegend(layers) {
  const legend = $("legend");
  legend.replaceChildren();
  for (const [layer, body] of Object.entries(layers)) {
    const group = el("div", "legend-layer");
    group.appendChild(el("span", "legend-title", layer));
    for (const [label, spec] of Object.entries(body.labels)) {
      const item = el("span", "legend-item " + roleOf(layer), label);
      item.style.setProperty("--c", spec.colour);
      item.title = spec.definition;
      item.dataset.label = label;
      group.appendChild(item);
    }
    legend.appendChild(group);
  }
}

// Split the text at every span edge; each piece is wrapped in one element per layer covering it.
// Spans within one layer never overlap, so one pointer per layer finds the covering span.
function renderText(text, documentSpans) {
  const chars = Array.from(text);
  const layers = Object.keys(documentSpans);
  const sorted = {};
  const edges = new Set([0, chars.length]);
  for (const layer of layers) {
    sorted[layer] = [...documentSpans[layer]].sort((a, b) => a.start - b.start);
    for (const span of sorted[layer]) {
      edges.add(span.start);
      edges.add(span.end);
    }
  }
  const cuts = [...edges].sort((a, b) => a - b);
  const pointer = Object.fromEntries(layers.map((layer) => [layer, 0]));
  // Entities innermost, then sources, then claims outermost, so a claim's underline spans them all.
  const order = [...layers].sort((a, b) => rank(a) - rank(b));
  const fragment = document.createDocumentFragment();
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i];
    const to = cuts[i + 1];
    let node = document.createTextNode(chars.slice(from, to).join(""));
    for (const layer of order) {
      const spans = sorted[layer];
      while (pointer[layer] < spans.length && spans[pointer[layer]].end <= from) pointer[layer]++;
      const span = spans[pointer[layer]];
      if (span && span.start <= from && to <= span.end) {
        node = wrap(node, layer, span, from === span.start);
      }
    }
    fragment.appendChild(node);
  }
  $("rendered").replaceChildren(fragment);
}

function rank(layer) {
  return { entity: 0, source: 1, claim: 2 }[roleOf(layer)];
}

function wrap(child, layer, span, isFirst) {
  const role = roleOf(layer);
  const node = el(role === "entity" ? "mark" : "span", "hl " + role);
  node.style.setProperty("--c", state.colours[span.label] || "#cccccc");
  node.dataset.layer = layer;
  node.dataset.label = span.label;
  node.dataset.start = span.start;
  node.dataset.end = span.end;
  node.title = span.label + " · " + span.text + " (" + span.score.toFixed(2) + ")";
  if (isFirst) node.classList.add("first");
  node.appendChild(child);
  return node;
}

function renderTable(documentSpans) {
  const rows = [];
  for (const [layer, spans] of Object.entries(documentSpans)) {
    for (const span of spans) rows.push({ layer, span });
  }
  rows.sort((a, b) => a.span.start - b.span.start || rank(b.layer) - rank(a.layer));
  const body = $("spans").tBodies[0];
  body.replaceChildren();
  for (const { layer, span } of rows) {
    const row = el("tr");
    row.dataset.layer = layer;
    row.dataset.label = span.label;
    row.dataset.start = span.start;
    row.dataset.end = span.end;
    row.appendChild(el("td", null, layer));
    const label = el("td", "label");
    const chip = el("span", "chip " + roleOf(layer), span.label);
    chip.style.setProperty("--c", state.colours[span.label] || "#cccccc");
    chip.title = state.definitions[span.label] || "";
    label.appendChild(chip);
    row.appendChild(label);
    row.appendChild(el("td", "span-text", span.text));
    row.appendChild(el("td", "num", String(span.start)));
    row.appendChild(el("td", "num", String(span.end)));
    row.appendChild(el("td", "num", span.score.toFixed(2)));
    row.appendChild(el("td", "span-source", span.source ? span.source.label + ": " + span.source.text : ""));
    row.addEventListener("mouseenter", () => focusSpan(row.dataset, true));
    row.addEventListener("mouseleave", () => focusSpan(row.dataset, false));
    body.appendChild(row);
  }
}

function focusSpan(data, on) {
  for (const node of $("rendered").querySelectorAll(".hl")) {
    if (node.dataset.layer === data.layer && node.dataset.start === data.start && node.dataset.end === data.end) {
      node.classList.toggle("focus", on);
    }
  }
}

async function analyse() {
  const text = $("text").value;
  const button = $("analyse");
  button.disabled = true;
  setStatus("…جارٍ التحليل · analysing");
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  try {
    const response = await fetch("/predict", { method: "POST", headers, body: JSON.stringify({ text }) });
    const answer = await response.json().catch(() => ({ detail: "unreadable answer" }));
    if (!response.ok) {
      setStatus(response.status + ": " + (answer.detail || "request failed"), true);
      return;
    }
    const documentSpans = answer.documents[0];
    renderText(text, documentSpans);
    renderTable(documentSpans);
    const counts = Object.entries(documentSpans).map(([layer, spans]) => layer + " " + spans.length);
    setStatus("✓ " + counts.join(" · "));
    document.body.dataset.analysed = "true";
  } catch (error) {
    setStatus("the server could not be reached: " + error.message, true);
  } finally {
    button.disabled = false;
  }
}

$("analyse").addEventListener("click", analyse);
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
});
loadModel();
