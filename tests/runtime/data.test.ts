// Host tensors, the built-in datasets, CSV and safetensors data files, and binding model inputs to dataset fields.
import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindInputs, type ModelInput } from "../../runtime/data/bind.js";
import { csvDataset, forEachCsvRecord, parseCsvSources } from "../../runtime/data/csv.js";
import { loadCsv } from "../../runtime/node/data/csv.js";
import { DataError, describeFields, splitHoldout, type Dataset } from "../../runtime/data/dataset.js";
import { loadDataset } from "../../runtime/node/data/index.js";
import { IRIS_FEATURES } from "../../runtime/data/iris.js";
import { MNIST_TEST_ROWS, MNIST_TRAIN_ROWS } from "../../runtime/node/data/mnist.js";
import { loadSafetensorsData } from "../../runtime/node/data/safetensors-data.js";
import { encodeSafetensors } from "../../runtime/checkpoint.js";
import { writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { elementCount, formatHostType, hostTensor, sliceRows, takeRows, type HostTensor } from "../../runtime/tensor.js";
import { escapeRegExp, expectRejects, expectThrows } from "../helpers.js";

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "dlg-data-"));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const csv = (text: string, source = "t.csv") => ({ text, source });

/** A cheap fingerprint of an image row, to check that train and test share no image. */
function rowKey(t: HostTensor, r: number, width: number): string {
  let h = 2166136261;
  const bits = new Uint32Array(t.data.buffer, t.data.byteOffset + r * width * 4, width);
  for (const b of bits) h = Math.imul(h ^ b, 16777619);
  return `${h}:${bits[400]}:${bits[300]}`;
}

describe("host tensors", () => {
  it("creates zero-filled or given tensors and checks the element count", () => {
    expect(hostTensor("f32", [2, 3]).data).toEqual(new Float32Array(6));
    expect(hostTensor("i32", [], [4]).data).toEqual(new Int32Array([4]));
    expect(elementCount([])).toBe(1);
    expect(elementCount([3, 0])).toBe(0);
    expectThrows(() => hostTensor("f32", [2], [1, 2, 3]), RangeError, "hostTensor: shape [2] has 2 elements but the data has 3");
    expectThrows(() => hostTensor("i32", [1], [1.5]), RangeError, "hostTensor: 1.5 is not an i32 value");
    expectThrows(() => hostTensor("i32", [1], new Float32Array(1)), TypeError, "hostTensor: i32 tensor given a Float32Array");
    expectThrows(() => hostTensor("f32", [-1]), RangeError, "invalid shape [-1]: dims must be non-negative integers");
  });

  it("gathers rows in any order, with repeats, and slices contiguous rows", () => {
    const t = hostTensor("i32", [3, 2], [0, 1, 10, 11, 20, 21]);
    expect(takeRows(t, [2, 0, 2])).toEqual(hostTensor("i32", [3, 2], [20, 21, 0, 1, 20, 21]));
    expect(takeRows(t, new Int32Array([]))).toEqual(hostTensor("i32", [0, 2]));
    expect(sliceRows(t, 1, 3)).toEqual(hostTensor("i32", [2, 2], [10, 11, 20, 21]));
    expectThrows(() => takeRows(t, [3]), RangeError, "takeRows: row 3 is out of range for 3 rows");
    expectThrows(() => takeRows(hostTensor("f32", []), [0]), RangeError, "takeRows: a scalar tensor has no rows");
    expectThrows(() => sliceRows(t, 2, 1), RangeError, "sliceRows: [2, 1) is out of range for 3 rows");
  });

  it("formats types with an optional batch name", () => {
    expect(formatHostType("f32", [8000, 28, 28], "N")).toBe("f32[N, 28, 28]");
    expect(formatHostType("i32", ["N", 4])).toBe("i32[N, 4]");
  });
});

describe("the built-in mnist dataset", () => {
  it("loads 8,000 train and 2,000 held-out real digits quickly, then from the cache", async () => {
    const start = performance.now();
    const ds = await loadDataset("mnist");
    const ms = performance.now() - start;
    console.log(`mnist: first load ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(3000);
    expect(ds.train.image!.shape).toEqual([MNIST_TRAIN_ROWS, 28, 28]);
    expect(ds.train.label!.shape).toEqual([MNIST_TRAIN_ROWS]);
    expect(ds.test.image!.shape).toEqual([MNIST_TEST_ROWS, 28, 28]);
    expect(ds.test.label!.shape).toEqual([MNIST_TEST_ROWS]);
    expect(describeFields(ds)).toBe("image: f32[N, 28, 28], label: i32[N]");
    const again = performance.now();
    expect(await loadDataset("mnist")).toBe(ds);
    expect(performance.now() - again).toBeLessThan(50);
  });

  it("holds pixels in [0, 1] with the MNIST mean intensity, and labels 0..9", async () => {
    const ds = await loadDataset("mnist");
    for (const split of [ds.train, ds.test]) {
      const px = split.image!.data;
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const v of px) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      expect(sum / px.length).toBeGreaterThan(0.12); // MNIST's mean pixel is 0.1307
      expect(sum / px.length).toBeLessThan(0.14);
      expect(split.label!.data.every((l) => l >= 0 && l <= 9)).toBe(true);
    }
  });

  it("splits deterministically: the same labels in the same order every time", async () => {
    const ds = await loadDataset("mnist");
    // Pinned: a change here changes every reported MNIST accuracy.
    expect(Array.from(ds.train.label!.data.subarray(0, 12))).toEqual([0, 2, 3, 6, 4, 3, 1, 3, 7, 0, 6, 8]);
    expect(Array.from(ds.test.label!.data.subarray(0, 12))).toEqual([1, 1, 6, 6, 7, 3, 8, 7, 4, 4, 3, 6]);
  });

  it("keeps every class in both splits in proportion, and no image in both", async () => {
    const ds = await loadDataset("mnist");
    const count = (labels: HostTensor) => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels.data) c[l]!++;
      return c;
    };
    const train = count(ds.train.label!);
    const test = count(ds.test.label!);
    // The package's per-class totals.
    expect(train.map((n, d) => n + test[d]!)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    for (let d = 0; d < 10; d++) expect(Math.abs(test[d]! / MNIST_TEST_ROWS - train[d]! / MNIST_TRAIN_ROWS)).toBeLessThan(0.02);
    // Shuffled, not grouped by class: the first 100 training rows hold every digit.
    expect(new Set(ds.train.label!.data.subarray(0, 100)).size).toBe(10);
    const trainKeys = new Set(Array.from({ length: MNIST_TRAIN_ROWS }, (_, r) => rowKey(ds.train.image!, r, 784)));
    const shared = Array.from({ length: MNIST_TEST_ROWS }, (_, r) => rowKey(ds.test.image!, r, 784)).filter((k) => trainKeys.has(k));
    expect(shared.length).toBeLessThanOrEqual(1); // the source may hold a duplicate digit or two, never a copied split
  });
});

describe("the built-in iris dataset", () => {
  it("has 120 train and 30 test flowers, 10 of each class held out, in a fixed order", async () => {
    const ds = await loadDataset("iris");
    expect(describeFields(ds)).toBe("features: f32[N, 4], label: i32[N]");
    expect(ds.train.features!.shape).toEqual([120, 4]);
    expect(ds.test.features!.shape).toEqual([30, 4]);
    expect(ds.classNames).toEqual({ label: ["setosa", "versicolor", "virginica"] });
    const perClass = [0, 0, 0];
    for (const l of ds.test.label!.data) perClass[l]!++;
    expect(perClass).toEqual([10, 10, 10]);
    expect(Array.from(ds.train.label!.data.subarray(0, 12))).toEqual([1, 1, 0, 0, 2, 1, 0, 2, 0, 1, 1, 1]);
    expect(IRIS_FEATURES).toHaveLength(4);
    // Fisher's measurements lie between 0.1 cm (petal width) and 7.9 cm (sepal length).
    for (const v of [...ds.train.features!.data, ...ds.test.features!.data]) {
      expect(v).toBeGreaterThanOrEqual(0.1 - 1e-6);
      expect(v).toBeLessThanOrEqual(7.9 + 1e-6);
    }
  });
});

describe("CSV records", () => {
  const records = (text: string) => {
    const out: [number, string[]][] = [];
    forEachCsvRecord(text, "t.csv", (fields, line) => out.push([line, fields]));
    return out;
  };

  it("parses quoted fields with commas, doubled quotes and line breaks, CRLF, a BOM and blank lines", () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",3\n  \n4,\n';
    expect(records(text)).toEqual([
      [1, ["a", "b"]],
      [2, ["x, y", 'say "hi"']],
      [4, ["two\nlines", "3"]],
      [7, ["4", ""]],
    ]);
  });

  it("counts lines inside quoted fields when reporting errors", () => {
    expectThrows(() => parseCsvSources([csv('a,b\n"1\n2",3\n4,5,6\n')]), DataError, "t.csv: line 4 has 3 fields but the header has 2");
  });

  it("rejects malformed quoting, naming the line and column", () => {
    expectThrows(() => records('a,b\n1,"open\n'), DataError, "t.csv: line 2, column 2: quoted field is never closed");
    expectThrows(() => records('a,b\n1,"x"y\n'), DataError, 't.csv: line 2, column 2: unexpected text after a closing quote (a quote inside a quoted field is written "")');
    expectThrows(() => records('a,b\n1,x"y\n'), DataError, 't.csv: line 2, column 2: a quote inside an unquoted field (quote the whole field and write the quote as "")');
  });
});

describe("CSV datasets", () => {
  const iris = [
    "sepal_length,sepal_width,petal_length,petal_width,species",
    "5.1,3.5,1.4,0.2,setosa",
    "7.0,3.2,4.7,1.4,versicolor",
    "6.3,3.3,6.0,2.5,virginica",
    "4.9,3.0,1.4,0.2,setosa",
    "6.4,3.2,4.5,1.5,versicolor",
  ].join("\n");

  it("makes a field per column: f32 numbers, and class indices for a text column in sorted order", () => {
    const { header, fields, classNames, notes } = parseCsvSources([csv(iris)]);
    expect(header).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]);
    expect(fields[0]!.sepal_length).toEqual(hostTensor("f32", [5], [5.1, 7.0, 6.3, 4.9, 6.4]));
    expect(fields[0]!.species).toEqual(hostTensor("i32", [5], [0, 1, 2, 0, 1]));
    expect(classNames).toEqual({ species: ["setosa", "versicolor", "virginica"] });
    expect(notes).toEqual(["column `species` is categorical, 3 classes: setosa=0, versicolor=1, virginica=2"]);
  });

  it("sorts categories by code point, not by first appearance or locale", () => {
    const { fields, classNames } = parseCsvSources([csv("c\nb\nZ\na\nb\n")]);
    expect(classNames.c).toEqual(["Z", "a", "b"]);
    expect(Array.from(fields[0]!.c!.data)).toEqual([2, 0, 1, 2]);
  });

  it("makes integer columns named label, target, class or y i32, and other integer columns f32", () => {
    const { fields, notes } = parseCsvSources([csv("x,Label,count\n1.5,0,3\n2,2,4\n")]);
    expect(fields[0]!.Label).toEqual(hostTensor("i32", [2], [0, 2]));
    expect(fields[0]!.count).toEqual(hostTensor("f32", [2], [3, 4]));
    expect(notes).toEqual(["column `Label` holds integer class labels (i32)"]);
    // A fractional target is a regression target: f32.
    expect(parseCsvSources([csv("y\n0.5\n1\n")]).fields[0]!.y!.dtype).toBe("f32");
  });

  it("reports a non-numeric value in a numeric column with its line and column", () => {
    const text = "a,b\n1,2\n3,4\n5,NA\n";
    expectThrows(() => parseCsvSources([csv(text)]), DataError,
      't.csv: line 4, column 2 (`b`): expected a number, got "NA" (the column is numeric: 2 of its 3 values are numbers)');
  });

  it("reports empty values, a missing header and duplicate column names", () => {
    expectThrows(() => parseCsvSources([csv("a,b\n1,\n")]), DataError, "t.csv: line 2, column 2 (`b`): empty value (dlg does not fill in missing values)");
    expectThrows(() => parseCsvSources([csv("1,2\n3,4\n")]), DataError, "t.csv: line 1 looks like data (all numbers); the first row must name the columns");
    expectThrows(() => parseCsvSources([csv("a,a\n1,2\n")]), DataError, "t.csv: line 1: column name `a` appears twice in the header");
    expectThrows(() => parseCsvSources([csv("")]), DataError, "t.csv: the file is empty; a CSV needs a header row naming its columns");
    expectThrows(() => parseCsvSources([csv("a,b\n")]), DataError, "t.csv: no data rows after the header");
    expectThrows(() => parseCsvSources([csv("a\n1e39\n")]), DataError, 't.csv: line 2, column 1 (`a`): "1e39" is too large for f32');
  });

  it("holds out a fifth of the rows by a seeded shuffle, keeping file order within each split", () => {
    const lines = ["i,v"];
    for (let i = 0; i < 50; i++) lines.push(`${i},${i % 3 === 0 ? "a" : "b"}`);
    const ds = csvDataset("t.csv", csv(lines.join("\n")), undefined);
    expect(ds.train.i!.shape).toEqual([40]);
    expect(ds.test.i!.shape).toEqual([10]);
    const train = Array.from(ds.train.i!.data);
    const test = Array.from(ds.test.i!.data);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(test).toEqual([...test].sort((a, b) => a - b));
    expect(csvDataset("t.csv", csv(lines.join("\n")), undefined).test.i!.data).toEqual(ds.test.i!.data);
    expect(ds.fieldOrder).toEqual(["i", "v"]);
    expect(csvDataset("t.csv", csv(lines.join("\n")), undefined, 0).test.i!.shape).toEqual([0]);
    expectThrows(() => csvDataset("t.csv", csv("a\n1\n"), undefined, 0.5), DataError, "t.csv: holding out 0.5 of 1 rows leaves no rows to train on");
  });

  it("shares column types and the class mapping with a separate test file", async () => {
    await withDir(async (dir) => {
      const train = join(dir, "train.csv");
      const test = join(dir, "test.csv");
      await writeFile(train, "x,kind\n1,b\n2,c\n");
      await writeFile(test, "x,kind\n3,a\n");
      const ds = await loadDataset(train, { testFile: test });
      expect(ds.classNames).toEqual({ kind: ["a", "b", "c"] });
      expect(Array.from(ds.train.kind!.data)).toEqual([1, 2]);
      expect(Array.from(ds.test.kind!.data)).toEqual([0]);
      await writeFile(test, "x,other\n3,a\n");
      await expectRejects(loadCsv(train, { testFile: test }), DataError, `${test}: header (x, other) differs from ${train} (x, kind)`);
      await expectRejects(loadCsv(join(dir, "none.csv")), DataError, `cannot read data file ${join(dir, "none.csv")}: no such file`);
    });
  });
});

describe("safetensors datasets", () => {
  it("splits one file by holdout, or pairs it with a test file", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "d.safetensors");
      const x = hostTensor("f32", [10, 2], Array.from({ length: 20 }, (_, i) => i));
      const y = hostTensor("i32", [10], Array.from({ length: 10 }, (_, i) => i));
      await writeCheckpoint(path, new Map([["x", x], ["y", y]]));
      const ds = await loadDataset(path, { holdout: 0.3 });
      expect(ds.train.x!.shape).toEqual([7, 2]);
      expect(ds.test.y!.shape).toEqual([3]);
      // Rows stay together: x row r is [2r, 2r + 1] and y row r is r.
      for (const split of [ds.train, ds.test]) {
        split.y!.data.forEach((r, i) => expect([split.x!.data[2 * i], split.x!.data[2 * i + 1]]).toEqual([2 * r, 2 * r + 1]));
      }
      const testPath = join(dir, "t.safetensors");
      await writeCheckpoint(testPath, new Map([["x", hostTensor("f32", [2, 2])], ["y", hostTensor("i32", [2])]]));
      const paired = await loadDataset(path, { testFile: testPath });
      expect(paired.train.x!.shape).toEqual([10, 2]);
      expect(paired.test.x!.shape).toEqual([2, 2]);
    });
  });

  it("rejects mismatched row counts, scalars, a disagreeing test file and a corrupt file", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "d.safetensors");
      await writeCheckpoint(path, new Map([["x", hostTensor("f32", [4, 2])], ["y", hostTensor("i32", [3])]]));
      await expectRejects(loadDataset(path), DataError, `${path}: field \`y\` has 3 rows but \`x\` has 4`);
      await writeCheckpoint(path, new Map([["s", hostTensor("f32", [])]]));
      await expectRejects(loadDataset(path), DataError, `${path}: field \`s\` is a scalar; every field needs a row dim`);
      await writeCheckpoint(path, new Map([["x", hostTensor("f32", [4, 2])]]));
      const testPath = join(dir, "t.safetensors");
      await writeCheckpoint(testPath, new Map([["x", hostTensor("f32", [4, 3])]]));
      await expectRejects(loadSafetensorsData(path, { testFile: testPath }), DataError, `field \`x\` is f32[N, 2] in ${path} but f32[N, 3] in ${testPath}`);
      await writeFile(path, encodeSafetensors(new Map([["x", hostTensor("f32", [4, 2])]])).subarray(0, 40));
      await expectRejects(loadDataset(path), DataError, new RegExp(`^${escapeRegExp(path)}: header length \\d+ runs past the end of the file`));
    });
  });
});

describe("loadDataset", () => {
  it("names the sources it knows when given another", async () => {
    await expectRejects(loadDataset("cifar10"), DataError, "unknown data source `cifar10`: use mnist, iris, a .safetensors, .csv or .txt file");
  });

  it("refuses a split option for a built-in dataset rather than ignoring it", async () => {
    await expectRejects(loadDataset("mnist", { holdout: 0.1 }), DataError,
      "the built-in dataset mnist has a fixed train/test split; holdout and test files apply to data files only");
  });

  it("refuses a holdout together with a test file", async () => {
    await expectRejects(loadDataset("x.csv", { holdout: 0.1, testFile: "y.csv" }), DataError, "give either a holdout fraction or a test file, not both");
  });
});

describe("bindInputs", () => {
  const mnistInputs: ModelInput[] = [
    { name: "image", dtype: "f32", shape: ["N", 28, 28] },
    { name: "label", dtype: "i32", shape: ["N"] },
  ];

  it("binds mnist's image and label by name", async () => {
    const ds = await loadDataset("mnist");
    const bound = bindInputs(mnistInputs, ds);
    expect(Object.keys(bound)).toEqual(["image", "label"]);
    expect(bound.image!.train).toBe(ds.train.image);
    expect(bound.label!.test.shape).toEqual([2000]);
    expect(bound.label!.fields).toEqual(["label"]);
  });

  it("names the missing input and everything the dataset provides", async () => {
    const ds = await loadDataset("mnist");
    expectThrows(() => bindInputs([{ name: "pixels", dtype: "f32", shape: ["N", 28, 28] }], ds), DataError,
      "model input `pixels` has no field in dataset mnist (it provides image: f32[N, 28, 28], label: i32[N])");
  });

  it("names both types when the dtype, the rank or a fixed dim differs", async () => {
    const ds = await loadDataset("mnist");
    expectThrows(() => bindInputs([{ name: "image", dtype: "i32", shape: ["N", 28, 28] }], ds), DataError,
      "model input `image` is i32[N, 28, 28] but dataset mnist provides `image` as f32[N, 28, 28]: dtype f32 is not i32");
    expectThrows(() => bindInputs([{ name: "image", dtype: "f32", shape: ["N", 784] }], ds), DataError,
      "model input `image` is f32[N, 784] but dataset mnist provides `image` as f32[N, 28, 28]: rank 3 is not 2 (same values per row: reshape or flatten inside the model)");
    expectThrows(() => bindInputs([{ name: "image", dtype: "f32", shape: ["N", 28, 32] }], ds), DataError,
      "model input `image` is f32[N, 28, 32] but dataset mnist provides `image` as f32[N, 28, 28]: dim 2 is 28, not 32");
  });

  const tokens = (t: number, u: number): Dataset => ({
    name: "toy",
    train: { tokens: hostTensor("i32", [2, t]), targets: hostTensor("i32", [2, u]) },
    test: { tokens: hostTensor("i32", [1, t]), targets: hostTensor("i32", [1, u]) },
  });
  const tokenInputs: ModelInput[] = [
    { name: "tokens", dtype: "i32", shape: ["B", "T"] },
    { name: "targets", dtype: "i32", shape: ["B", "T"] },
  ];

  it("lets symbolic dims take any size, but the same size wherever the same name appears", () => {
    expect(Object.keys(bindInputs(tokenInputs, tokens(16, 16)))).toEqual(["tokens", "targets"]);
    expectThrows(() => bindInputs(tokenInputs, tokens(16, 15)), DataError,
      "model input `targets` is i32[B, T] but dataset toy provides `targets` as i32[N, 15]: dim 1 (T) is 15, but T is 16 in input `tokens`");
  });

  it("refuses scalar inputs and the batch dim used elsewhere", () => {
    expectThrows(() => bindInputs([{ name: "t", dtype: "f32", shape: [] }], tokens(1, 1)), DataError,
      "model input `t` is a scalar, but data comes in rows; give it a batch dim, e.g. f32[N]");
    expectThrows(() => bindInputs([{ name: "tokens", dtype: "i32", shape: ["B", "B"] }], tokens(2, 2)), DataError,
      "model input `tokens: i32[B, B]` uses the batch dim B at position 1; data rows are split into batches only along dim 0");
  });

  const table = () =>
    csvDataset(
      "flowers.csv",
      csv("sepal_length,sepal_width,species,petal_length,petal_width\n5.1,3.5,setosa,1.4,0.2\n7.0,3.2,versicolor,4.7,1.4\n6.3,3.3,virginica,6.0,2.5\n4.9,3.0,setosa,1.4,0.2\n6.4,3.2,versicolor,4.5,1.5\n"),
      undefined,
    );

  it("stacks the numeric columns no other input claims into an f32[N, K] input, in file order", () => {
    const ds = table();
    const bound = bindInputs([{ name: "x", dtype: "f32", shape: ["N", 4] }, { name: "species", dtype: "i32", shape: ["N"] }], ds);
    expect(bound.x!.fields).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(bound.x!.train.shape).toEqual([4, 4]);
    const firstRow = ds.train.sepal_length!.data[0]!;
    expect(bound.x!.train.data[0]).toBe(firstRow);
    expect(Array.from(bound.x!.test.data)).toEqual(
      ["sepal_length", "sepal_width", "petal_length", "petal_width"].map((c) => ds.test[c]!.data[0]),
    );
    // A symbolic width takes all of them; a column bound by name is not reused.
    const named = bindInputs([{ name: "x", dtype: "f32", shape: ["N", "D"] }, { name: "petal_width", dtype: "f32", shape: ["N"] }], ds);
    expect(named.x!.fields).toEqual(["sepal_length", "sepal_width", "petal_length"]);
  });

  it("says which leftover columns there are when their count does not fit", () => {
    expectThrows(() => bindInputs([{ name: "x", dtype: "f32", shape: ["N", 3] }, { name: "species", dtype: "i32", shape: ["N"] }], table()), DataError,
      "model input `x` has no field in dataset flowers.csv (it provides sepal_length: f32[N], sepal_width: f32[N], species: i32[N], petal_length: f32[N], petal_width: f32[N]); " +
        "the 4 numeric columns no other input uses (`sepal_length`, `sepal_width`, `petal_length`, `petal_width`) would make f32[N, 4], not f32[N, 3]",
    );
    expectThrows(() => bindInputs([{ name: "a", dtype: "f32", shape: ["N", 2] }, { name: "b", dtype: "f32", shape: ["N", 2] }], table()), DataError,
      /; only one input can be made of the leftover numeric columns, and `b` has no field either$/);
  });
});

describe("splitHoldout", () => {
  it("rejects a fraction outside [0, 1)", () => {
    const fields = { x: hostTensor("f32", [4]) };
    expectThrows(() => splitHoldout(fields, 1, "d"), DataError, "holdout must be a fraction in [0, 1), got 1");
    expectThrows(() => splitHoldout(fields, -0.1, "d"), DataError, "holdout must be a fraction in [0, 1), got -0.1");
    expect(splitHoldout(fields, 0.01, "d").test.x!.shape).toEqual([1]); // a positive fraction holds out at least one row
  });
});
