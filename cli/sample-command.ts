// `dlg sample`: text from a model trained on text. The model reads `tokens: i32[B, T]` and outputs next-token logits
// `[B, T, V]`; each new token is drawn from the logits at the last position of the context (the prompt and what was
// drawn so far, its last T tokens), at temperature X, from the K most likely when --top-k is given. A context shorter
// than T fills the window from the start and the rest is padding: the model must be causal (each position sees only
// the positions before it, as attention(causal: true) and the recurrent layers do), or padding would change the result.
import type { Graph } from "../compiler/ir/graph.js";
import { formatType } from "../compiler/ir/types.js";
import { encodeText, type TextEncoding } from "../runtime/data/text.js";
import { Random } from "../runtime/random.js";
import { hostTensor } from "../runtime/tensor.js";
import { UsageError, type CliIO } from "./io.js";
import { checkHostMemory, loadWeights, openSession, textEncodingOf, type BackendFlags } from "./train-commands.js";

export interface SampleFlags extends BackendFlags {
  weights: string;
  prompt: string;
  length: number;
  temperature: number;
  topK?: number;
  seed: number;
}

/** Index of the token drawn from `logits` (one position's), at `temperature` (0: the most likely), among the top `k`. */
export function drawToken(logits: ArrayLike<number>, temperature: number, k: number | undefined, random: Random): number {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return order[0]!;
  const candidates = order.slice(0, Math.min(k ?? logits.length, logits.length));
  const top = logits[candidates[0]!]!;
  const weights = candidates.map((i) => Math.exp((logits[i]! - top) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random.nextFloat() * total;
  for (let j = 0; j < candidates.length; j++) {
    u -= weights[j]!;
    if (u < 0) return candidates[j]!;
  }
  return candidates[candidates.length - 1]!;
}

function textModel(graph: Graph, modelName: string): { window: number; logits: number; vocab: number } {
  const tokens = graph.inputs.find((i) => i.name === "tokens");
  const window = tokens?.type.shape.length === 2 && tokens.type.dtype === "i32" ? tokens.type.shape[1]!.constValue() : undefined;
  if (window === undefined) throw new UsageError(`sample: model ${modelName} needs an input \`tokens: i32[B, T]\` with T a number, found ${tokens ? formatType(tokens.type) : "none"}`);
  const out = graph.outputs.find((o) => o.type.shape.length === 3 && o.type.shape[1]!.constValue() === window && o.type.shape[2]!.constValue() !== undefined);
  if (!out) throw new UsageError(`sample: model ${modelName} needs an output of next-token logits [B, ${window}, V]`);
  return { window, logits: out.node, vocab: out.type.shape[2]!.constValue()! };
}

export async function sampleCommand(graph: Graph, modelName: string, flags: SampleFlags, io: CliIO): Promise<number> {
  const { window, logits, vocab } = textModel(graph, modelName);
  checkHostMemory(graph, modelName, false);
  const session = await openSession(graph, flags, { seed: flags.seed }, io, true);
  const { metadata } = await loadWeights(session, flags.weights, false);
  const encoding: TextEncoding | undefined = textEncodingOf(metadata, flags.weights);
  if (!encoding) throw new UsageError(`sample: ${flags.weights} holds no text encoding (a model trained by dlg train --data FILE.txt saves it)`);
  const size = encoding.vocabulary?.length ?? 256;
  if (size > vocab) throw new UsageError(`sample: the text has ${size} tokens but the model's logits cover ${vocab}`);
  const start = flags.prompt !== "" ? flags.prompt : encoding.vocabulary && !encoding.vocabulary.includes("\n") ? encoding.vocabulary[0]! : "\n";
  const prompt = Array.from(encodeText(new TextEncoder().encode(start), encoding, "--prompt").ids);
  const random = new Random(flags.seed);
  const context = [...prompt];
  const decoder = new TextDecoder("utf-8");
  const emit = (ids: readonly number[]) => {
    const text = encoding.tokenization === "bytes" ? decoder.decode(Uint8Array.from(ids), { stream: true }) : ids.map((i) => encoding.vocabulary![i] ?? "").join("");
    if (text) io.stdout(text);
  };
  if (flags.prompt !== "") emit(prompt);
  const targets = hostTensor("i32", [1, window], new Int32Array(window));
  for (let n = 0; n < flags.length; n++) {
    const seen = context.slice(-window);
    const tokens = hostTensor("i32", [1, window], new Int32Array(window));
    tokens.data.set(seen);
    const out = (await session.run({ tokens, targets }, [logits])).get(logits)!;
    const row = Array.from(out.data.subarray((seen.length - 1) * vocab, seen.length * vocab)).slice(0, size);
    const next = drawToken(row, flags.temperature, flags.topK, random);
    context.push(next);
    emit([next]);
  }
  if (encoding.tokenization === "bytes") io.stdout(decoder.decode());
  io.stdout("\n");
  return 0;
}
