"use strict";
// The clipsam page: posts an image to /v1/predict, shows the server's overlay, and redraws the mask from the
// final map (map.npy, fetched once) whenever the threshold slider moves.
const state = { image: null, map: null, grid: 0 };
const $ = (id) => document.getElementById(id);

fetch("/v1/models").then((r) => r.json()).then((m) => {
  $("model").textContent = `CLIP ${m.clip} · head ${m.head} · SAM ${m.sam} · ${m.precision}`;
  $("threshold").value = m.default_threshold;
  $("thrValue").textContent = Number(m.default_threshold).toFixed(2);
}).catch(() => { $("model").textContent = "models: unavailable"; });

function parseNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  const headerLength = bytes[8] | (bytes[9] << 8);
  const header = new TextDecoder("latin1").decode(bytes.subarray(10, 10 + headerLength));
  const shape = header.match(/\(([^)]*)\)/)[1].split(",").filter((s) => s.trim()).map(Number);
  return { shape, data: new Float32Array(buffer.slice(10 + headerLength)) };
}

function redraw() {
  const t = Number($("threshold").value);
  $("thrValue").textContent = t.toFixed(2);
  if (!state.image || !state.map) return;
  const canvas = $("maskView");
  canvas.width = state.image.naturalWidth;
  canvas.height = state.image.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(state.image, 0, 0);
  const grid = state.grid;
  const small = document.createElement("canvas");
  small.width = grid; small.height = grid;
  const sg = small.getContext("2d");
  const pixels = sg.createImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const on = state.map[i] > t;
    pixels.data[4 * i] = 255; pixels.data[4 * i + 1] = 40; pixels.data[4 * i + 2] = 40;
    pixels.data[4 * i + 3] = on ? 120 : 0;
  }
  sg.putImageData(pixels, 0, 0);
  g.imageSmoothingEnabled = true;
  g.drawImage(small, 0, 0, canvas.width, canvas.height);
}

async function send(file) {
  $("status").textContent = "predicting...";
  $("status").className = "";
  const form = new FormData();
  form.append("image", file);
  form.append("class_name", $("class").value);
  try {
    const response = await fetch("/v1/predict", { method: "POST", body: form });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    const npy = parseNpy(await (await fetch(answer.urls.map)).arrayBuffer());
    state.map = npy.data;
    state.grid = npy.shape[0];
    const image = new Image();
    image.onload = () => { state.image = image; redraw(); };
    image.src = URL.createObjectURL(file);
    $("overlay").src = answer.urls.overlay;
    $("score").textContent = `score ${answer.score.toFixed(3)} · threshold ${answer.threshold.toFixed(3)} · `
      + `defect ${(100 * answer.defect_fraction).toFixed(1)} % · ${answer.seconds.total.toFixed(2)} s`;
    const rows = $("regions").querySelector("tbody");
    rows.innerHTML = "";
    answer.regions.forEach((r, i) => {
      const tr = document.createElement("tr");
      [String(i + 1), r.box.map((v) => v.toFixed(0)).join(", "), r.sam_scores.map((v) => v.toFixed(3)).join(", ")]
        .forEach((text) => { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); });
      rows.appendChild(tr);
    });
    $("result").hidden = false;
    const thumb = document.createElement("img");
    thumb.src = answer.urls.overlay;
    thumb.title = `${file.name}: ${answer.score.toFixed(3)}`;
    $("history").prepend(thumb);
    $("status").textContent = "";
  } catch (e) {
    $("status").textContent = e.message;
    $("status").className = "error";
  }
}

$("file").addEventListener("change", (e) => { if (e.target.files[0]) send(e.target.files[0]); });
$("threshold").addEventListener("input", redraw);
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) send(e.dataTransfer.files[0]);
});
