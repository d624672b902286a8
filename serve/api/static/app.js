// rasd demo page: POST the textarea (and the publication date, if set) to /predict and
// re-render the text: entities coloured, sources outlined, each claim sentence underlined once
// with chips for its claim types and scores; then a table of claim sentences with their source
// and event record, and a table of spans.
// User text only ever reaches the page through text nodes and textContent, never innerHTML.
// Offsets from the API are Unicode code points, so the text is indexed as Array.from(text)
// (a JavaScript string is UTF-16 and would drift after every emoji).
"use strict";

const ROLE = { entities: "entity", sources: "source" };
// units: layer -> "span" | "sentence" (claims), from the model's schema.
const state = { colours: {}, definitions: {}, units: {} };

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function isSentenceLayer(layer) {
  return state.units[layer] === "sentence";
}

function roleOf(layer) {
  return isSentenceLayer(layer) ? "claim" : ROLE[layer] || "entity";
}

function colourOf(label) {
  return state.colours[label] || "#cccccc";
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
  for (const [layer, body] of Object.entries(model.schema.layers)) {
    state.units[layer] = body.unit;
    for (const [label, spec] of Object.entries(body.labels)) state.definitions[label] = spec.definition;
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

// One chip per claim type: its label and score, in the type's colour.
function typeChips(types) {
  const chips = el("span", "chips");
  for (const type of types) {
    const chip = el("span", "chip type", type.label + " " + type.score.toFixed(2));
    chip.style.setProperty("--c", colourOf(type.label));
    chip.title = state.definitions[type.label] || "";
    chip.dataset.label = type.label;
    chips.appendChild(chip);
  }
  return chips;
}

// Split the text at every span and sentence edge; each piece is wrapped in one element per span
// layer covering it (entities innermost), and pieces inside a claim sentence go into that
// sentence's one underlined element, which opens with its type chips. Spans within one layer
// never overlap, nor do claim sentences, so one pointer per layer finds the covering one.
function renderText(text, documentLayers) {
  const chars = Array.from(text);
  const layers = Object.keys(documentLayers);
  const spanLayers = layers.filter((layer) => !isSentenceLayer(layer)).sort((a, b) => rank(a) - rank(b));
  const claims = layers.filter(isSentenceLayer)
    .flatMap((layer) => documentLayers[layer].map((sentence) => ({ layer, sentence, node: null })))
    .sort((a, b) => a.sentence.start - b.sentence.start);
  const sorted = {};
  const edges = new Set([0, chars.length]);
  for (const layer of spanLayers) {
    sorted[layer] = [...documentLayers[layer]].sort((a, b) => a.start - b.start);
  }
  for (const span of [...spanLayers.flatMap((layer) => sorted[layer]), ...claims.map((claim) => claim.sentence)]) {
    edges.add(span.start);
    edges.add(span.end);
  }
  const cuts = [...edges].sort((a, b) => a - b);
  const pointer = Object.fromEntries(spanLayers.map((layer) => [layer, 0]));
  let next = 0;
  const fragment = document.createDocumentFragment();
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i];
    const to = cuts[i + 1];
    let node = document.createTextNode(chars.slice(from, to).join(""));
    for (const layer of spanLayers) {
      const spans = sorted[layer];
      while (pointer[layer] < spans.length && spans[pointer[layer]].end <= from) pointer[layer]++;
      const span = spans[pointer[layer]];
      if (span && span.start <= from && to <= span.end) node = wrap(node, layer, span, from === span.start);
    }
    while (next < claims.length && claims[next].sentence.end <= from) next++;
    const claim = claims[next];
    if (claim && claim.sentence.start <= from && to <= claim.sentence.end) {
      if (!claim.node) claim.node = fragment.appendChild(claimNode(claim.layer, claim.sentence));
      claim.node.appendChild(node);
    } else {
      fragment.appendChild(node);
    }
  }
  $("rendered").replaceChildren(fragment);
}

function rank(layer) {
  return { entity: 0, source: 1, claim: 2 }[roleOf(layer)];
}

function wrap(child, layer, span, isFirst) {
  const role = roleOf(layer);
  const node = el(role === "entity" ? "mark" : "span", "hl " + role);
  node.style.setProperty("--c", colourOf(span.label));
  node.dataset.layer = layer;
  node.dataset.label = span.label;
  node.dataset.start = span.start;
  node.dataset.end = span.end;
  node.title = span.label + " · " + span.text + " (" + span.score.toFixed(2) + ")";
  if (isFirst) node.classList.add("first");
  node.appendChild(child);
  return node;
}

// A claim sentence: underlined once in the colour of its most likely type.
function claimNode(layer, sentence) {
  const node = el("span", "claim");
  node.style.setProperty("--c", colourOf(sentence.types[0].label));
  node.dataset.layer = layer;
  node.dataset.start = sentence.start;
  node.dataset.end = sentence.end;
  node.dataset.types = sentence.types.map((type) => type.label).join(" ");
  node.title = sentence.types.map((type) => type.label + " " + type.score.toFixed(2)).join(" · ") +
    (sentence.source ? " · " + sentence.source.text : "");
  node.appendChild(typeChips(sentence.types));
  return node;
}

function mentions(items, describe) {
  const cell = el("td", "mentions");
  for (const item of items) {
    const mention = el("span", "mention", item.text);
    mention.dataset.start = item.start;
    if (describe) {
      const detail = describe(item);
      if (detail) mention.appendChild(el("bdi", "resolved", detail));
    }
    cell.appendChild(mention);
  }
  return cell;
}

function quantityDetail(quantity) {
  const value = quantity.value === null ? "" : String(quantity.value);
  const qualifier = quantity.qualifier === "exact" ? "" : quantity.qualifier;
  return [value, qualifier].filter(Boolean).join(" ");
}

function renderClaims(documentLayers) {
  const body = $("claims").tBodies[0];
  body.replaceChildren();
  for (const [layer, sentences] of Object.entries(documentLayers)) {
    if (!isSentenceLayer(layer)) continue;
    for (const sentence of sentences) {
      const row = el("tr");
      row.dataset.layer = layer;
      row.dataset.start = sentence.start;
      row.dataset.end = sentence.end;
      const text = el("td", "sentence-text", sentence.text);
      text.appendChild(el("bdi", "offsets", sentence.start + "–" + sentence.end));
      row.appendChild(text);
      const types = el("td", "types");
      types.appendChild(typeChips(sentence.types));
      row.appendChild(types);
      const event = sentence.event;
      const source = el("td", "claim-source", sentence.source ? sentence.source.text : "—");
      if (event.source_kind) source.appendChild(el("span", "kind", event.source_kind));
      row.appendChild(source);
      row.appendChild(mentions(event.dates, (item) => item.value));
      row.appendChild(mentions(event.places));
      row.appendChild(mentions(event.actors));
      row.appendChild(mentions(event.quantities, quantityDetail));
      row.appendChild(mentions(event.weapons));
      row.addEventListener("mouseenter", () => emphasise(".claim", row.dataset, true));
      row.addEventListener("mouseleave", () => emphasise(".claim", row.dataset, false));
      body.appendChild(row);
    }
  }
}

function renderTable(documentLayers) {
  const rows = [];
  for (const [layer, spans] of Object.entries(documentLayers)) {
    if (isSentenceLayer(layer)) continue;
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
    chip.style.setProperty("--c", colourOf(span.label));
    chip.title = state.definitions[span.label] || "";
    label.appendChild(chip);
    row.appendChild(label);
    row.appendChild(el("td", "span-text", span.text));
    row.appendChild(el("td", "num", String(span.start)));
    row.appendChild(el("td", "num", String(span.end)));
    row.appendChild(el("td", "num", span.score.toFixed(2)));
    row.addEventListener("mouseenter", () => emphasise(".hl", row.dataset, true));
    row.addEventListener("mouseleave", () => emphasise(".hl", row.dataset, false));
    body.appendChild(row);
  }
}

function emphasise(selector, data, on) {
  for (const node of $("rendered").querySelectorAll(selector)) {
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
  const request = { text };
  if ($("date").value) request.date = $("date").value; // an <input type=date> gives YYYY-MM-DD
  try {
    const response = await fetch("/predict", { method: "POST", headers, body: JSON.stringify(request) });
    const answer = await response.json().catch(() => ({ detail: "unreadable answer" }));
    if (!response.ok) {
      setStatus(response.status + ": " + (answer.detail || "request failed"), true);
      return;
    }
    const documentLayers = answer.documents[0];
    renderText(text, documentLayers);
    renderClaims(documentLayers);
    renderTable(documentLayers);
    const counts = Object.entries(documentLayers).map(([layer, items]) => layer + " " + items.length);
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
