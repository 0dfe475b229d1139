// The page `dlg compile --web` writes: the compiled model on the browser's WebGPU adapter, with no compiler. An image
// classifier gets a drawing pad and its class probabilities; any model with a training step can be trained from a
// safetensors file with a live loss plot. `window.dlg` exposes the same operations to scripts (and tests).
import {
  bindInputs,
  browserDevice,
  checkTensorsMatch,
  CompiledModel,
  decodeCheckpoint,
  decodeSafetensors,
  hostTensor,
  resolveModelManifest,
  softmaxRows,
  trainSteps,
  type GpuContext,
  type HostTensor,
  type ModelManifest,
} from "../runtime/index.js";

interface Training {
  losses: number[];
  seconds: number;
  stepsPerSecond: number;
}

/** What scripts can call; every promise rejects with a one-line Error. */
interface PageApi {
  /** Resolves once the model is on the device (rejects with the reason it could not be). */
  ready: Promise<void>;
  adapter?: string;
  /** Class probabilities for one image given as row-major pixels in [0, 1], exactly as the model reads them. */
  classify(pixels: ArrayLike<number>): Promise<number[]>;
  /** The probabilities the page shows for what is on the drawing pad (after centring it like MNIST's digits). */
  classifyDrawing(): Promise<number[] | undefined>;
  /** The last training run started from the page. */
  lastTraining?: Training;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim().replace(/\s*\n\s*/g, " ");

function setStatus(text: string, error = false): void {
  const status = $("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}

/** The input the pad draws into: an f32 input of [B, H, W], [B, H, W, 1] or [B, H*W] (square), never the labels. */
function imageInput(manifest: ModelManifest): { name: string; height: number; width: number } | undefined {
  for (const input of manifest.inputs) {
    if (input.dtype !== "f32" || input.name === manifest.classifier?.labels) continue;
    const [, a, b, c] = input.shape;
    if (input.shape.length === 3) return { name: input.name, height: a!, width: b! };
    if (input.shape.length === 4 && c === 1) return { name: input.name, height: a!, width: b! };
    const side = Math.round(Math.sqrt(a ?? 0));
    if (input.shape.length === 2 && side * side === a && side >= 8) return { name: input.name, height: side, width: side };
  }
  return undefined;
}

/**
 * One image as a batch: a single row where the programs run any batch, else a full batch of the compiled size with
 * the image first and zeros after (labels 0).
 */
function oneImageBatch(manifest: ModelManifest, fill: Record<string, Float32Array>): Record<string, HostTensor> {
  return Object.fromEntries(manifest.inputs.map((input) => {
    const t = hostTensor(input.dtype, manifest.rows ? [1, ...input.shape.slice(1)] : input.shape);
    const given = fill[input.name];
    if (given) t.data.set(given.subarray(0, t.data.length));
    return [input.name, t];
  }));
}

class Page {
  private model: CompiledModel;
  private busy = false;

  constructor(private readonly manifest: ModelManifest, private readonly gpu: GpuContext, private readonly image = imageInput(manifest)) {
    this.model = new CompiledModel(manifest, { gpu, seed: manifest.page?.seed ?? 0 });
  }

  async loadWeights(bytes: Uint8Array, source: string): Promise<void> {
    const { tensors } = decodeCheckpoint(bytes);
    const params = new Map([...tensors].filter(([name]) => this.manifest.params.some((p) => p.name === name)));
    const problems = checkTensorsMatch(this.manifest.params, params);
    if (problems.length > 0) throw new Error(`${source}: ${problems.slice(0, 3).join("; ")}`);
    for (const [name, t] of params) this.model.params.set(name, t);
    // Running statistics (batch_norm) travel in the checkpoint beside the parameters.
    for (const [name, t] of tensors) if (this.model.state.has(name) && !params.has(name)) this.model.state.set(name, t);
  }

  async classify(pixels: ArrayLike<number>): Promise<number[]> {
    const image = this.image;
    if (!image) throw new Error(`${this.manifest.model} has no image input to classify`);
    const size = image.height * image.width;
    if (pixels.length !== size) throw new Error(`an image of ${image.height}x${image.width} needs ${size} pixels, got ${pixels.length}`);
    const outputs = await this.model.run(oneImageBatch(this.manifest, { [image.name]: Float32Array.from(pixels) }));
    const name = this.manifest.classifier?.output ?? this.manifest.outputs[0]!.name;
    const scores = outputs.get(name)!;
    const classes = scores.shape[scores.shape.length - 1]!;
    return Array.from(softmaxRows(scores.data.subarray(0, classes), classes));
  }

  async train(file: { name: string; bytes: Uint8Array }, steps: number, seed: number, fresh: boolean, onStep: (losses: number[]) => void): Promise<Training> {
    const tensors = decodeSafetensors(file.bytes);
    const fields = Object.fromEntries(tensors);
    const inputs = this.manifest.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: ["N", ...i.shape.slice(1)] }));
    const bound = bindInputs(inputs, { name: file.name, fieldOrder: [...tensors.keys()], train: fields, test: fields });
    const split = Object.fromEntries(Object.entries(bound).map(([name, b]) => [name, b.train]));
    if (fresh) {
      await this.model.destroy();
      this.model = new CompiledModel(this.manifest, { gpu: this.gpu, seed });
    }
    const losses: number[] = [];
    const started = performance.now();
    await trainSteps(this.model, split, {
      steps,
      batch: this.manifest.batch,
      seed,
      onStep: ({ loss }) => {
        losses.push(loss);
        onStep(losses);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    return { losses, seconds, stepsPerSecond: steps / seconds };
  }

  /** Runs `work` unless another operation is under way; the model is used by one operation at a time. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error("the model is busy; wait for the running operation to finish");
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }
}

// ---- drawing pad ---------------------------------------------------------------------------------------------------

/**
 * The pad's ink as the model's input, the way MNIST's digits were made: the drawing's bounding box scaled to fit 20/28
 * of the image (aspect kept), then moved so that its centre of mass sits at the centre.
 */
function padPixels(pad: HTMLCanvasElement, height: number, width: number): Float32Array | undefined {
  const source = pad.getContext("2d")!.getImageData(0, 0, pad.width, pad.height).data;
  let top = pad.height, left = pad.width, bottom = -1, right = -1;
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (source[4 * (y * pad.width + x)]! > 0) {
      top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
    }
  }
  if (bottom < 0) return undefined;
  const boxW = right - left + 1, boxH = bottom - top + 1;
  const scale = Math.min((20 / 28) * width / boxW, (20 / 28) * height / boxH);
  const small = document.createElement("canvas");
  small.width = width;
  small.height = height;
  const ctx = small.getContext("2d", { willReadFrequently: true })!;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const w = boxW * scale, h = boxH * scale;
  ctx.drawImage(pad, left, top, boxW, boxH, (width - w) / 2, (height - h) / 2, w, h);
  const scaled = ctx.getImageData(0, 0, width, height).data;
  const ink = new Float32Array(width * height);
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < ink.length; i++) {
    const v = scaled[4 * i]! / 255;
    ink[i] = v;
    mass += v;
    cx += v * (i % width);
    cy += v * Math.floor(i / width);
  }
  const dx = Math.round((width - 1) / 2 - cx / mass), dy = Math.round((height - 1) / 2 - cy / mass);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const sx = x - dx, sy = y - dy;
    if (sx >= 0 && sx < width && sy >= 0 && sy < height) out[y * width + x] = ink[sy * width + sx]!;
  }
  return out;
}

function showProbabilities(probs: number[] | undefined): void {
  const list = $("probs");
  list.replaceChildren();
  if (!probs) return;
  const top = probs.indexOf(Math.max(...probs));
  probs.forEach((p, c) => {
    const item = document.createElement("li");
    item.dataset["class"] = String(c);
    if (c === top) item.className = "top";
    const name = document.createElement("span");
    name.textContent = String(c);
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    const value = document.createElement("span");
    value.textContent = `${(100 * p).toFixed(1)}%`;
    item.append(name, bar, value);
    list.append(item);
  });
}

function wirePad(page: Page, api: PageApi, height: number, width: number): void {
  const pad = $<HTMLCanvasElement>("pad");
  const ctx = pad.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
    showProbabilities(undefined);
  };
  clear();
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 20;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  let drawing = false;
  const at = (e: PointerEvent) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)] as const;
  };
  let pending = Promise.resolve();
  api.classifyDrawing = async () => {
    const pixels = padPixels(pad, height, width);
    const probs = pixels ? await page.exclusive(() => page.classify(pixels)) : undefined;
    showProbabilities(probs);
    return probs;
  };
  const refresh = () => {
    pending = pending.then(() => api.classifyDrawing().then(() => undefined)).catch((e) => setStatus(message(e), true));
  };
  pad.addEventListener("pointerdown", (e) => {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    refresh();
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", clear);
}

// ---- training ------------------------------------------------------------------------------------------------------

function plotLosses(losses: readonly number[], steps: number): void {
  const svg = $("plot") as unknown as SVGSVGElement;
  const width = svg.width.baseVal.value, height = svg.height.baseVal.value, margin = 28;
  const max = Math.max(...losses), min = Math.min(0, ...losses);
  const x = (i: number) => margin + ((width - 2 * margin) * i) / Math.max(1, steps - 1);
  const y = (v: number) => height - margin - ((height - 2 * margin) * (v - min)) / (max - min || 1);
  const points = losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.innerHTML =
    `<line x1="${margin}" y1="${height - margin}" x2="${width - margin}" y2="${height - margin}" stroke="#889"/>` +
    `<line x1="${margin}" y1="${margin}" x2="${margin}" y2="${height - margin}" stroke="#889"/>` +
    `<text x="${margin}" y="${margin - 8}" font-size="11">loss ${max.toFixed(3)}</text>` +
    `<text x="${width - margin}" y="${height - 8}" font-size="11" text-anchor="end">step ${steps}</text>` +
    `<polyline fill="none" stroke="#2f5fc4" stroke-width="1.5" points="${points}"/>`;
}

function wireTraining(page: Page, api: PageApi): void {
  const status = $("train-status");
  $("train").addEventListener("click", () => {
    const file = $<HTMLInputElement>("data").files?.[0];
    const steps = Number($<HTMLInputElement>("steps").value);
    const seed = Number($<HTMLInputElement>("seed").value);
    status.className = "";
    delete status.dataset["state"];
    if (!file) return void (status.textContent = "choose a dataset file first");
    if (!(Number.isInteger(steps) && steps >= 1)) return void (status.textContent = "steps must be a positive integer");
    if (!(Number.isInteger(seed) && seed >= 0)) return void (status.textContent = "the seed must be a non-negative integer");
    status.textContent = `training ${steps} steps...`;
    void page.exclusive(async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      return page.train({ name: file.name, bytes }, steps, seed, $<HTMLInputElement>("fresh").checked, (losses) => plotLosses(losses, steps));
    }).then(async (run) => {
      api.lastTraining = run;
      const last = run.losses[run.losses.length - 1]!;
      status.textContent = `done: ${steps} steps, loss ${run.losses[0]!.toFixed(4)} -> ${last.toFixed(4)}, ${run.stepsPerSecond.toFixed(1)} steps/s`;
      status.dataset["state"] = "done";
      if (api.classifyDrawing) await api.classifyDrawing();
    }).catch((e) => {
      status.textContent = `training failed: ${message(e)}`;
      status.className = "error";
      status.dataset["state"] = "failed";
    });
  });
}

// ---- start -----------------------------------------------------------------------------------------------------------

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function start(api: PageApi): Promise<void> {
  const response = await fetch("manifest.json");
  if (!response.ok) throw new Error(`cannot load manifest.json: HTTP ${response.status}`);
  const manifest = await resolveModelManifest(await response.json(), "manifest.json", async (file) => {
    const r = await fetch(file);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.text();
  });
  $("model").textContent = `${manifest.model} (batch ${manifest.batch})`;
  const gpu = await browserDevice();
  api.adapter = gpu.adapter;
  $("adapter").textContent = `WebGPU adapter: ${gpu.adapter}`;
  const page = new Page(manifest, gpu);
  if (manifest.page?.weights) await page.loadWeights(await fetchBytes(manifest.page.weights), manifest.page.weights);
  api.classify = (pixels) => page.exclusive(() => page.classify(pixels));
  const image = imageInput(manifest);
  if (image) {
    wirePad(page, api, image.height, image.width);
    $("classify").hidden = false;
  }
  if (manifest.programs.train) {
    wireTraining(page, api);
    $("training").hidden = false;
  }
  setStatus(manifest.page?.weights ? `weights: ${manifest.page.weights}` : `parameters drawn from seed ${manifest.page?.seed ?? 0} (no weights given)`);
}

const notReady = () => Promise.reject(new Error("the page is still starting"));
const api: PageApi = { ready: Promise.resolve(), classify: notReady, classifyDrawing: async () => undefined };
api.ready = start(api).catch((e: unknown) => {
  setStatus(message(e), true);
  $("adapter").textContent = "";
  throw new Error(message(e));
});
api.ready.catch(() => undefined);
(window as unknown as { dlg: PageApi }).dlg = api;
