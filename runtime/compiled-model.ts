// A model compiled ahead of time (`dlg compile`), trained and run from its manifest alone: what a web page ships,
// with no compiler. Programs compiled for a varying batch run any batch up to their size (padded, with the row mask
// the compiler added); others only their exact batch. Anything else is refused with the shapes named.
import type { GpuContext } from "./device.js";
import { ExecutionError } from "./errors.js";
import type { KernelTimings, ReadValue } from "./gpu-program.js";
import { GpuModel, type Batch, type DeviceTensors } from "./gpu-model.js";
import { checkModelManifest, ManifestError, type ManifestTensor, type ModelManifest, type ProgramKind, type ProgramManifest } from "./manifest.js";
import { hostTensor, type HostTensor } from "./tensor.js";

export interface CompiledModelOptions {
  gpu: GpuContext;
  seed: number;
  /** Read training losses back every this many steps (default 16). */
  readEvery?: number;
}

/**
 * Fills in the WGSL of kernels stored as files (`file`, relative to the manifest) with `readText`, then checks the
 * whole manifest: a missing or damaged artifact fails here, with its place named.
 */
export async function resolveModelManifest(json: unknown, source: string, readText: (file: string) => Promise<string>): Promise<ModelManifest> {
  const header = json as { format?: unknown; version?: unknown } | null;
  // Another format or version is named as such, before any of its files is looked for.
  if (header?.format !== "dlg-model" || header.version !== 1) return checkModelManifest(json, source);
  const programs = (json as { programs?: Record<string, { kernels?: { file?: unknown; wgsl?: unknown }[] }> } | null)?.programs;
  const texts = new Map<string, Promise<string>>();
  if (programs && typeof programs === "object") {
    for (const [kind, program] of Object.entries(programs)) {
      const kernels = Array.isArray(program?.kernels) ? program.kernels : [];
      await Promise.all(kernels.map(async (k, i) => {
        if (typeof k?.file !== "string" || k.wgsl !== undefined) return;
        const file = k.file;
        if (file.startsWith("/") || file.split(/[\\/]/).includes("..")) throw new ManifestError(`${source}: programs.${kind}.kernels[${i}] names the file ${file} outside its directory`);
        let text = texts.get(file);
        if (!text) texts.set(file, (text = readText(file)));
        try {
          k.wgsl = await text;
        } catch (e) {
          throw new ManifestError(`${source}: programs.${kind}.kernels[${i}]: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }));
    }
  }
  return checkModelManifest(json, source);
}

function describe(t: ManifestTensor): string {
  return `${t.dtype}[${t.shape.join(", ")}]`;
}

export class CompiledModel {
  private readonly model: GpuModel;
  private readonly lossNode: number | undefined;

  constructor(readonly manifest: ModelManifest, options: CompiledModelOptions) {
    const programs = manifest.programs;
    this.lossNode = programs.train?.values.find((v) => v.name === "loss")?.node;
    if (programs.train && this.lossNode === undefined) throw new ManifestError(`${manifest.model}: the training program keeps no loss`);
    this.model = new GpuModel({ program: (kind, shapes) => this.program(kind, shapes) }, manifest.params, {
      gpu: options.gpu,
      seed: options.seed,
      ...(options.readEvery !== undefined ? { readEvery: options.readEvery } : {}),
    });
  }

  get params(): DeviceTensors {
    return this.model.params;
  }

  get state(): DeviceTensors {
    return this.model.state;
  }

  get adapter(): string {
    return this.model.adapter;
  }

  /** Whether the model was compiled with a training step. */
  get trainable(): boolean {
    return this.manifest.programs.train !== undefined;
  }

  private program(kind: ProgramKind, shapes: ReadonlyMap<string, readonly number[]>): ProgramManifest {
    const program = kind === "forward" ? this.manifest.programs.forward : kind === "train" ? this.manifest.programs.train : undefined;
    if (!program) throw new ExecutionError(`${this.manifest.model} was compiled without a ${kind} program`);
    for (const input of this.manifest.inputs) {
      const shape = shapes.get(input.name);
      if (!shape || shape.length !== input.shape.length || shape.some((d, i) => d !== input.shape[i]))
        throw new ExecutionError(`internal: input \`${input.name}\` reached the device as [${shape?.join(", ")}], not ${describe(input)}`);
    }
    return program;
  }

  /** The batch's row count, after checking every input against what the programs accept (named on refusal). */
  private rowsOf(batch: Batch): number {
    const rows = this.manifest.rows;
    let n: number | undefined;
    for (const input of this.manifest.inputs) {
      if (!Object.hasOwn(batch, input.name)) throw new ExecutionError(`no value for input \`${input.name}\` (${this.accepted(input)})`);
      const shape = batch[input.name]!.shape;
      const fits = shape.length === input.shape.length && shape.every((d, i) => (i === 0 && rows ? d >= 1 && d <= input.shape[0]! : d === input.shape[i]));
      if (!fits || (n !== undefined && shape[0] !== n))
        throw new ExecutionError(`input \`${input.name}\` has shape [${shape.join(", ")}], but ${this.manifest.model} was compiled for ${this.accepted(input)}${fits ? ` with the same rows as the other inputs (${n})` : ""}`);
      n = shape[0];
    }
    return n ?? this.manifest.batch;
  }

  private accepted(t: ManifestTensor): string {
    if (!this.manifest.rows) return `${describe(t)} (batch ${this.manifest.batch})`;
    return `${t.dtype}[1..${t.shape[0]}${t.shape.slice(1).map((d) => `, ${d}`).join("")}] (any batch up to ${this.manifest.batch})`;
  }

  /** A batch of `n` rows as the programs take it: zero rows after the real ones, and the row mask and count. */
  private padded(batch: Batch, n: number): Batch {
    const rows = this.manifest.rows;
    if (!rows) return batch;
    const out: Record<string, HostTensor> = {};
    for (const input of this.manifest.inputs) {
      const t = batch[input.name]!;
      if (n === rows.max) {
        out[input.name] = t;
        continue;
      }
      const full = hostTensor(input.dtype, input.shape);
      full.data.set(t.data);
      out[input.name] = full;
    }
    out[rows.mask] = hostTensor("f32", [rows.max], Float32Array.from({ length: rows.max }, (_, i) => (i < n ? 1 : 0)));
    out[rows.count] = hostTensor("f32", [], Float32Array.of(n));
    return out;
  }

  /** One optimizer step; resolves to the batch loss once it is read back (see GpuModel.trainStep). */
  async trainStep(batch: Batch): Promise<number> {
    if (this.lossNode === undefined) throw new ExecutionError(`${this.manifest.model} was compiled without a training step`);
    const n = this.rowsOf(batch);
    return this.model.trainStep(this.padded(batch, n), this.lossNode, this.manifest.rows ? n : undefined);
  }

  /** The GPU time of each kernel of one training step on `batch` (`dlg profile`); changes no parameter. */
  async profileStep(batch: Batch): Promise<KernelTimings> {
    if (this.lossNode === undefined) throw new ExecutionError(`${this.manifest.model} was compiled without a training step`);
    const n = this.rowsOf(batch);
    return this.model.profileStep(this.padded(batch, n), this.lossNode, this.manifest.rows ? n : undefined);
  }

  flush(): Promise<void> {
    return this.model.flush();
  }

  /** The forward pass (no dropout): every output, and the loss when the model has one, by name (`logits`, `loss`). */
  async run(batch: Batch): Promise<Map<string, HostTensor>> {
    const n = this.rowsOf(batch);
    const values = this.manifest.programs.forward.values;
    const results = await this.model.run("forward", this.padded(batch, n), values.map((v) => v.node));
    return new Map(values.map((v) => {
      const r: ReadValue = results.get(v.node)!;
      const name = v.name.startsWith("output:") ? v.name.slice("output:".length) : v.name;
      // A padded batch's outputs: the real rows only.
      const perItem = this.manifest.rows?.outputs[name];
      if (perItem !== undefined && n !== this.manifest.batch) {
        const shape = [perItem * n, ...r.shape.slice(1)];
        const size = shape.reduce((a, b) => a * b, 1);
        return [name, hostTensor(v.dtype, shape, r.data.subarray(0, size))];
      }
      return [name, hostTensor(v.dtype, [...r.shape], r.data)];
    }));
  }

  destroy(): Promise<void> {
    return this.model.destroy();
  }
}

export { checkModelManifest, ManifestError };
