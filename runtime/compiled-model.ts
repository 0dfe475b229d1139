// A model compiled ahead of time (`dlg compile`), trained and run from its manifest alone: what a web page ships,
// with no compiler. The programs are fixed to the batch size they were compiled for; anything else is refused with
// the shapes named, never run on the wrong sizes.
import type { GpuContext } from "./device.js";
import { ExecutionError } from "./errors.js";
import type { ReadValue } from "./gpu-program.js";
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
      if (!shape) throw new ExecutionError(`no value for input \`${input.name}\` (${describe(input)})`);
      if (shape.length !== input.shape.length || shape.some((d, i) => d !== input.shape[i]))
        throw new ExecutionError(`input \`${input.name}\` has shape [${shape.join(", ")}], but ${this.manifest.model} was compiled for ${describe(input)} (batch ${this.manifest.batch})`);
    }
    return program;
  }

  private checkInputs(batch: Batch): void {
    for (const input of this.manifest.inputs) if (!Object.hasOwn(batch, input.name)) throw new ExecutionError(`no value for input \`${input.name}\` (${describe(input)})`);
  }

  /** One optimizer step; resolves to the batch loss once it is read back (see GpuModel.trainStep). */
  async trainStep(batch: Batch): Promise<number> {
    if (this.lossNode === undefined) throw new ExecutionError(`${this.manifest.model} was compiled without a training step`);
    this.checkInputs(batch);
    return this.model.trainStep(batch, this.lossNode);
  }

  flush(): Promise<void> {
    return this.model.flush();
  }

  /** The forward pass (no dropout): every output, and the loss when the model has one, by name (`logits`, `loss`). */
  async run(batch: Batch): Promise<Map<string, HostTensor>> {
    this.checkInputs(batch);
    const values = this.manifest.programs.forward.values;
    const results = await this.model.run("forward", batch, values.map((v) => v.node));
    return new Map(values.map((v) => {
      const r: ReadValue = results.get(v.node)!;
      const name = v.name.startsWith("output:") ? v.name.slice("output:".length) : v.name;
      return [name, hostTensor(v.dtype, [...r.shape], r.data)];
    }));
  }

  destroy(): Promise<void> {
    return this.model.destroy();
  }
}

export { checkModelManifest, ManifestError };
