// Initial parameter values, drawn in parameter order from one seeded stream: the same seed gives the same weights.
// Fan computation follows Keras/PyTorch: dense [in, out]; conv [k, k, in, out] has receptive field k*k.
import { Random } from "./random.js";
import { hostTensor, type HostTensor } from "./tensor.js";

function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** A parameter as initialization needs it: concrete shape, initializer name and arguments. */
export interface ParamSpec {
  name: string;
  dtype: "f32" | "i32";
  shape: readonly number[];
  init: string;
  initArgs: readonly number[];
}

export function initialValue(param: ParamSpec, random: Random): HostTensor {
  const shape = [...param.shape];
  const t = hostTensor(param.dtype, shape);
  const out = t.data as Float32Array;
  const { fanIn, fanOut } = fans(shape);
  const [a = 0, b = 0] = param.initArgs;
  switch (param.init) {
    case "zeros":
      break;
    case "ones":
      out.fill(1);
      break;
    case "normal": // args: std, mean
      random.fillNormal(out, b, a);
      break;
    case "uniform": // args: low, high
      random.fillUniform(out, a, b);
      break;
    case "glorot_uniform": {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      random.fillUniform(out, -limit, limit);
      break;
    }
    case "glorot_normal":
      random.fillNormal(out, 0, Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case "he_normal":
      random.fillNormal(out, 0, Math.sqrt(2 / fanIn));
      break;
    case "he_uniform": {
      const limit = Math.sqrt(6 / fanIn);
      random.fillUniform(out, -limit, limit);
      break;
    }
    default:
      throw new Error(`internal: unknown initializer ${param.init}`);
  }
  return t;
}

/** Every parameter's initial value; each draws from its own fork, so its values do not depend on the sizes of those before it. */
export function initializeParams(params: readonly ParamSpec[], seed: number): Map<string, HostTensor> {
  const root = new Random(seed);
  const out = new Map<string, HostTensor>();
  for (const p of params) out.set(p.name, initialValue(p, root.fork()));
  return out;
}
