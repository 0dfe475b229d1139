// Safetensors checkpoints: the byte format (golden), round trips, every malformation as a CheckpointError, atomic
// files, and that another implementation (Python with numpy, or safetensors if installed) reads what we write and we
// read what it writes. That needs numpy for the interpreter the PyTorch parity tests use (`/usr/bin/python3`, where
// Debian's python3-torch brings numpy; DLG_TORCH_PYTHON overrides it). Without it those tests are skipped with a
// warning, except in CI (CI=true), where they fail.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CheckpointError,
  checkTensorsMatch,
  decodeCheckpoint,
  decodeSafetensors,
  encodeSafetensors,
  halfToFloat,
} from "../../runtime/checkpoint.js";
import { readCheckpoint, writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";

const SEED = 20261125;

/** A safetensors file from a header (object or raw text) and data bytes, without any of the encoder's checks. */
function rawFile(header: unknown, data: ArrayLike<number> = [], headerLengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckpointError) return e;
    throw new Error(`expected a CheckpointError, got ${String(e)}`);
  }
  throw new Error("expected a CheckpointError, but nothing was thrown");
}

function bytesOf(t: HostTensor): number[] {
  return Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

const tiny = (): Map<string, HostTensor> =>
  new Map([
    ["a", hostTensor("f32", [2], [1, -2])],
    ["b", hostTensor("i32", [], [7])],
  ]);

describe("encodeSafetensors", () => {
  it("writes the exact bytes the format specifies for a tiny checkpoint", () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
    expect(header.length).toBe(138);
    const expected = [
      ...[0x90, 0, 0, 0, 0, 0, 0, 0], // header length 144 = 138 + 6 spaces, u64 little-endian
      ...Array.from(header, (c) => c.charCodeAt(0)),
      ...[0x20, 0x20, 0x20, 0x20, 0x20, 0x20], // pad to a multiple of 8
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f  = 0x3f800000
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f = 0xc0000000
      ...[0x07, 0x00, 0x00, 0x00], // 7
    ];
    expect(Array.from(encodeSafetensors(tiny(), { format: "pt" }))).toEqual(expected);
  });

  it("omits __metadata__ when there is none and still pads the header to 8 bytes", () => {
    const bytes = encodeSafetensors(tiny());
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n))).not.toContain("__metadata__");
  });

  it("is deterministic and keeps insertion order", () => {
    const m = new Map([
      ["z", hostTensor("f32", [1], [1])],
      ["a", hostTensor("f32", [1], [2])],
    ]);
    expect(encodeSafetensors(m)).toEqual(encodeSafetensors(m));
    expect([...decodeSafetensors(encodeSafetensors(m)).keys()]).toEqual(["z", "a"]);
  });

  it("refuses a tensor whose data does not fill its shape, or named __metadata__", () => {
    const bad: HostTensor = { dtype: "f32", shape: [3], data: new Float32Array(2) };
    expect(errorOf(() => encodeSafetensors(new Map([["w", bad]]))).message).toBe("tensor `w`: shape [3] has 3 elements but the data has 2");
    expect(errorOf(() => encodeSafetensors(new Map([["__metadata__", hostTensor("f32", [1])]]))).message).toMatch(/cannot be named/);
    const wrongArray = { dtype: "i32", shape: [1], data: new Float32Array(1) } as HostTensor;
    expect(errorOf(() => encodeSafetensors(new Map([["w", wrongArray]]))).message).toBe("tensor `w` is i32 but holds a Float32Array");
  });

  it("keeps a tensor named __proto__ as an ordinary tensor", () => {
    const m = new Map([["__proto__", hostTensor("i32", [1], [5])]]);
    const back = decodeSafetensors(encodeSafetensors(m, { __proto__: "x" } as unknown as Record<string, string>));
    expect([...back.keys()]).toEqual(["__proto__"]);
    expect(Array.from(back.get("__proto__")!.data)).toEqual([5]);
  });
});

describe("round trips", () => {
  const tensorArb: fc.Arbitrary<HostTensor> = fc
    .record({ dtype: fc.constantFrom("f32" as const, "i32" as const), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
    .chain(({ dtype, shape }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = dtype === "f32" ? fc.array(fc.float(), { minLength: n, maxLength: n }) : fc.array(fc.integer({ min: -2147483648, max: 2147483647 }), { minLength: n, maxLength: n });
      return values.map((v) => hostTensor(dtype, shape, v));
    });
  const checkpointArb = fc.record({
    entries: fc.uniqueArray(fc.tuple(fc.string({ unit: "binary", maxLength: 12 }).filter((s) => s !== "__metadata__"), tensorArb), { selector: ([name]) => name, maxLength: 6 }),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  });

  it("decodes every encoded checkpoint to identical names, dtypes, shapes, bytes and metadata", () => {
    fc.assert(
      fc.property(checkpointArb, ({ entries, metadata }) => {
        const tensors = new Map(entries);
        const bytes = encodeSafetensors(tensors, metadata);
        const back = decodeCheckpoint(bytes);
        expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
        for (const [name, t] of tensors) {
          const u = back.tensors.get(name)!;
          expect(u.dtype).toBe(t.dtype);
          expect(u.shape).toEqual(t.shape);
          expect(bytesOf(u)).toEqual(bytesOf(t)); // bytes, so NaN and -0 count too
        }
        expect(back.metadata).toEqual(metadata);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("throws only CheckpointError for every strict prefix of a file", () => {
    fc.assert(
      fc.property(checkpointArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ entries }, cut) => {
        const bytes = encodeSafetensors(new Map(entries));
        const at = Math.min(bytes.length - 1, Math.floor(cut * bytes.length));
        expect(() => decodeSafetensors(bytes.subarray(0, at))).toThrow(CheckpointError);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("answers a file with corrupted bytes with tensors or a CheckpointError, never another exception", () => {
    fc.assert(
      fc.property(checkpointArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), ({ entries }, edits) => {
        const bytes = encodeSafetensors(new Map(entries));
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        try {
          decodeSafetensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
          expect((e as Error).message).not.toContain("\n");
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("survives every cut of a small file, byte by byte", () => {
    const bytes = encodeSafetensors(tiny(), { format: "pt" });
    for (let at = 0; at < bytes.length; at++) expect(() => decodeSafetensors(bytes.subarray(0, at))).toThrow(CheckpointError);
  });

  it("decodes from a Node Buffer, whose slice() shares memory", () => {
    const bytes = Buffer.concat([Buffer.from([1, 2, 3]), encodeSafetensors(tiny())]).subarray(3);
    expect(decodeSafetensors(bytes)).toEqual(tiny());
  });

  it("decodes from an unaligned view of a larger buffer", () => {
    const bytes = encodeSafetensors(tiny());
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(Array.from(decodeSafetensors(padded.subarray(3)).get("a")!.data)).toEqual([1, -2]);
  });
});

describe("decodeSafetensors rejects malformed files with one-line messages", () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: "F32", shape, data_offsets: [begin, end] });
  const cases: [string, Uint8Array, RegExp][] = [
    ["a file shorter than 8 bytes", new Uint8Array(5), /^file is 5 bytes long; a safetensors file starts with an 8-byte header length$/],
    ["a header length beyond the file", rawFile({}, [], 1000), /^header length 1000 runs past the end of the file \(10 bytes; at most 2 available\)$/],
    ["a header that is not JSON", rawFile("{not json"), /^header is not valid JSON \(/],
    ["a header that is not UTF-8", rawFile("", [0xff, 0xfe], 2), /^header is not valid UTF-8$/],
    ["a header that is a JSON array", rawFile("[1,2]"), /^header must be a JSON object, got an array$/],
    ["an entry that is not an object", rawFile({ w: 3 }), /^tensor `w`: entry must be an object with dtype, shape and data_offsets, got a number$/],
    ["an unsupported dtype", rawFile({ w: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)), /^tensor `w` has dtype C64, which dlg cannot load \(supported: F32, F64, F16, BF16, I32, I64/],
    ["a dtype that is not a string", rawFile({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /^tensor `w`: dtype must be a string, got a number$/],
    ["a negative dim", rawFile({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /^tensor `w`: shape must be a list of non-negative integers, got \[-1\]$/],
    ["a missing shape", rawFile({ w: { dtype: "F32", data_offsets: [0, 4] } }, [0, 0, 0, 0]), /^tensor `w`: shape must be a list of non-negative integers, got nothing$/],
    ["reversed data_offsets", rawFile({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, [0, 0, 0, 0]), /^tensor `w`: data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]$/],
    ["a shape that disagrees with the offsets", rawFile({ w: f32(0, 8, [3]) }, new Array(8).fill(0)), /^tensor `w`: shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8$/],
    ["offsets past the end of the data", rawFile({ w: f32(0, 8) }, [0, 0, 0, 0]), /^tensor `w`: data_offsets \[0, 8\] run past the end of the data \(4 bytes\)$/],
    ["overlapping tensors", rawFile({ a: f32(0, 8), b: f32(4, 12) }, new Array(12).fill(0)), /^tensors `a` \[0, 8\] and `b` \[4, 12\] overlap$/],
    ["a gap between tensors", rawFile({ a: f32(0, 4), b: f32(8, 12) }, new Array(12).fill(0)), /^4 unused bytes between tensor `a` and tensor `b` \(data_offsets \[8, 12\]\)$/],
    ["data that does not start at offset 0", rawFile({ a: f32(4, 8) }, new Array(8).fill(0)), /^4 unused bytes between the start of the data and tensor `a`/],
    ["trailing garbage", rawFile({ a: f32(0, 4) }, new Array(7).fill(0)), /^3 bytes of trailing data after the last tensor \(data ends at 4, file has 7\)$/],
    ["metadata that is not an object", rawFile({ __metadata__: [1] }), /^`__metadata__` must be an object of strings, got an array$/],
    ["a metadata value that is not a string", rawFile({ __metadata__: { step: 3 } }), /^`__metadata__` value `step` must be a string, got a number$/],
    ["an I64 value outside i32", rawFile({ ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 1, 0, 0, 0]), /^tensor `ids` \(I64\) holds 4294967296 at element 0, which does not fit in i32$/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      const e = errorOf(() => decodeSafetensors(bytes));
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain("\n");
    });
  }
});

describe("decodeSafetensors reads other dtypes as f32 or i32", () => {
  it("converts F64, F16, BF16, I64, I16, U8, U32 and BOOL", () => {
    const data: number[] = [];
    const header: Record<string, unknown> = {};
    const add = (name: string, dtype: string, shape: number[], bytes: number[]) => {
      header[name] = { dtype, shape, data_offsets: [data.length, data.length + bytes.length] };
      data.push(...bytes);
    };
    const f64 = new Uint8Array(new Float64Array([0.1, -3]).buffer);
    add("f64", "F64", [2], Array.from(f64));
    add("f16", "F16", [4], [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // 1, -2, smallest subnormal, inf
    add("bf16", "BF16", [1], [0x80, 0x3f]); // 1.0
    add("i64", "I64", [2], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x05, 0, 0, 0, 0, 0, 0, 0]); // -1, 5
    add("i16", "I16", [1], [0x00, 0x80]); // -32768
    add("u8", "U8", [2], [0, 255]);
    add("u32", "U32", [1], [0xff, 0xff, 0xff, 0x7f]);
    add("bool", "BOOL", [3], [0, 1, 2]);
    const t = decodeSafetensors(rawFile(header, data));
    expect(Array.from(t.get("f64")!.data)).toEqual([Math.fround(0.1), -3]);
    expect(Array.from(t.get("f16")!.data)).toEqual([1, -2, Math.fround(2 ** -24), Infinity]);
    expect(Array.from(t.get("bf16")!.data)).toEqual([1]);
    expect(t.get("i64")).toEqual({ dtype: "i32", shape: [2], data: new Int32Array([-1, 5]) });
    expect(Array.from(t.get("i16")!.data)).toEqual([-32768]);
    expect(Array.from(t.get("u8")!.data)).toEqual([0, 255]);
    expect(Array.from(t.get("u32")!.data)).toEqual([2147483647]);
    expect(Array.from(t.get("bool")!.data)).toEqual([0, 1, 1]);
  });

  it("decodes half floats: normals, subnormals, signed zero, infinities and NaN", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it("accepts a header without padding, with whitespace and with metadata last", () => {
    const text = '{ "w" : {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": {"k": "v"} }';
    const back = decodeCheckpoint(rawFile(text, [9, 0, 0, 0]));
    expect(Array.from(back.tensors.get("w")!.data)).toEqual([9]);
    expect(back.metadata).toEqual({ k: "v" });
  });
});

describe("checkTensorsMatch", () => {
  it("lists missing, unexpected, dtype and shape problems, naming each tensor and both values", () => {
    const actual = new Map([
      ["h.weight", hostTensor("f32", [784, 64])],
      ["h.bias", hostTensor("i32", [128])],
      ["extra", hostTensor("f32", [3])],
    ]);
    const expected = [
      { name: "h.weight", dtype: "f32" as const, shape: [784, 128] },
      { name: "h.bias", dtype: "f32" as const, shape: [128] },
      { name: "out.weight", dtype: "f32" as const, shape: [128, 10] },
    ];
    expect(checkTensorsMatch(expected, actual)).toEqual([
      "tensor `h.weight` has shape [784, 64] in the checkpoint but the model expects [784, 128]",
      "tensor `h.bias` has dtype i32 in the checkpoint but the model expects f32",
      "missing tensor `out.weight` (the model expects f32[128, 10])",
      "unexpected tensor `extra` (f32[3]): the model has no parameter of that name",
    ]);
  });

  it("finds nothing wrong with a matching checkpoint", () => {
    expect(checkTensorsMatch([{ name: "a", dtype: "f32", shape: [2] }, { name: "b", dtype: "i32", shape: [] }], tiny())).toEqual([]);
  });
});

describe("checkpoint files", () => {
  async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), "dlg-ckpt-"));
    try {
      return await f(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("writes atomically, leaving only the checkpoint and no temporary file", () =>
    withDir(async (dir) => {
      const path = join(dir, "model.safetensors");
      await writeCheckpoint(path, tiny(), { step: "1" });
      await writeCheckpoint(path, new Map([["c", hostTensor("f32", [1], [3])]]), { step: "2" }); // replaces the old one
      expect(await readdir(dir)).toEqual(["model.safetensors"]);
      const back = await readCheckpoint(path);
      expect(back.tensors).toEqual(new Map([["c", hostTensor("f32", [1], [3])]]));
      expect(back.metadata).toEqual({ step: "2" });
      expect(new Uint8Array(await readFile(path))).toEqual(encodeSafetensors(new Map([["c", hostTensor("f32", [1], [3])]]), { step: "2" }));
    }));

  it("reports a directory that does not exist, naming the path, and leaves nothing behind", () =>
    withDir(async (dir) => {
      const path = join(dir, "missing", "model.safetensors");
      await expect(writeCheckpoint(path, tiny())).rejects.toThrow(new CheckpointError(`cannot write checkpoint ${path}: no such file or directory`));
      expect(await readdir(dir)).toEqual([]);
    }));

  it("refuses to encode a bad tensor before touching the disk", () =>
    withDir(async (dir) => {
      const bad: HostTensor = { dtype: "f32", shape: [2], data: new Float32Array(1) };
      await expect(writeCheckpoint(join(dir, "x.safetensors"), new Map([["w", bad]]))).rejects.toThrow(CheckpointError);
      expect(await readdir(dir)).toEqual([]);
    }));

  it("wraps a missing file, a directory and a truncated file into CheckpointErrors with the path", () =>
    withDir(async (dir) => {
      const missing = join(dir, "nope.safetensors");
      await expect(readCheckpoint(missing)).rejects.toThrow(new CheckpointError(`${missing}: cannot read checkpoint: no such file or directory`));
      const sub = join(dir, "sub.safetensors");
      await mkdir(sub);
      await expect(readCheckpoint(sub)).rejects.toThrow(new CheckpointError(`${sub}: is a directory, not a checkpoint file`));
      const cut = join(dir, "cut.safetensors");
      const bytes = encodeSafetensors(tiny());
      await writeFile(cut, bytes.subarray(0, bytes.length - 2));
      await expect(readCheckpoint(cut)).rejects.toThrow(`${cut}: tensor \`b\`: data_offsets [8, 12] run past the end of the data (10 bytes)`);
    }));
});

// ---------------------------------------------------------------------------------------------------------------
// Another implementation: Python's `safetensors` if installed, else a reader and writer on plain numpy written from
// the format description (json + struct + numpy.frombuffer), which shares no code or assumptions with ours.

// The parity tests' interpreter: the one CI provisions, rather than whichever `python3` comes first on PATH.
const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const IN_CI = process.env["CI"] === "true";
const PYTHON_PROBE = spawnSync(PYTHON, ["-c", "import numpy\ntry:\n import safetensors.numpy\n print('safetensors')\nexcept ImportError:\n print('numpy')"], { encoding: "utf8" });
const PYTHON_MODE = PYTHON_PROBE.status === 0 ? PYTHON_PROBE.stdout.trim() : undefined;
const PYTHON_WHY_NOT = `${PYTHON} cannot import numpy (${(PYTHON_PROBE.error?.message ?? PYTHON_PROBE.stderr ?? "").trim().split("\n").pop()}); install python3-torch or python3-numpy`;
if (PYTHON_MODE === undefined && !IN_CI) console.warn(`skipping the Python interoperability tests: ${PYTHON_WHY_NOT}`);

const PYTHON_READER = `
import json, struct, sys
import numpy as np
path, mode = sys.argv[1], sys.argv[2]
if mode == "safetensors":
    from safetensors import safe_open
    tensors, meta = {}, {}
    with safe_open(path, framework="np") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            tensors[k] = f.get_tensor(k)
else:
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    assert n % 8 == 0, "header not padded to 8"
    header = json.loads(b[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    spans = sorted(tuple(v["data_offsets"]) for v in header.values())
    pos = 0
    for s, e in spans:
        assert s == pos, "gap or overlap"
        pos = e
    assert 8 + n + pos == len(b), "size"
    kinds = {"F32": "<f4", "I32": "<i4"}
    tensors = {}
    for k, v in header.items():
        s, e = v["data_offsets"]
        tensors[k] = np.frombuffer(b[8 + n + s : 8 + n + e], dtype=kinds[v["dtype"]]).reshape(v["shape"])
out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()} for k, v in tensors.items()}
print(json.dumps({"metadata": meta, "tensors": out}))
`;

const PYTHON_WRITER = `
import json, struct, sys
import numpy as np
path, mode = sys.argv[1], sys.argv[2]
halves = np.arange(65536, dtype=np.uint16).view(np.float16)
tensors = {
    "w": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    "d": np.array([0.1, -2.5e10, 1e-40], dtype=np.float64),
    "ids": np.array([[-3, 2**31 - 1]], dtype=np.int64),
    "px": np.array([0, 128, 255], dtype=np.uint8),
    "halves": halves,
}
if mode == "safetensors":
    from safetensors.numpy import save_file
    save_file(tensors, path, metadata={"who": "python"})
else:
    names = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8", np.dtype(np.float16): "F16"}
    header, blobs, pos = {"__metadata__": {"who": "python"}}, [], 0
    for k in sorted(tensors):
        raw = tensors[k].astype(tensors[k].dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": names[tensors[k].dtype], "shape": list(tensors[k].shape), "data_offsets": [pos, pos + len(raw)]}
        blobs.append(raw)
        pos += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
expected = {k: v.astype(np.float32 if v.dtype.kind == "f" else np.int32).ravel().tolist() for k, v in tensors.items() if k != "halves"}
expected["halves_f32"] = halves.astype(np.float32).view(np.uint32).tolist()
print(json.dumps(expected))
`;

describe.runIf(PYTHON_MODE === undefined && IN_CI)("Python interoperability (CI)", () => {
  it("has Python with numpy available (CI installs python3-torch, which brings numpy)", () => {
    throw new Error(`CI=true but the Python interoperability tests cannot run: ${PYTHON_WHY_NOT}`);
  });
});

describe.skipIf(PYTHON_MODE === undefined)(`Python interoperability (${PYTHON_MODE ?? "skipped"})`, () => {
  it("Python reads our checkpoint with the same names, dtypes, shapes, values and metadata", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dlg-py-"));
    try {
      const path = join(dir, "ours.safetensors");
      const tensors = new Map([
        ["layer.weight", hostTensor("f32", [2, 3], [0.5, -1.25, 3e-8, 1e30, -0, 7])],
        ["labels", hostTensor("i32", [4], [0, -1, 2147483647, -2147483648])],
        ["scalar", hostTensor("f32", [], [2.5])],
        ["empty", hostTensor("i32", [0, 3])],
      ]);
      await writeCheckpoint(path, tensors, { format: "dlg", step: "10" });
      const run = spawnSync(PYTHON, ["-c", PYTHON_READER, path, PYTHON_MODE!], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      const seen = JSON.parse(run.stdout) as { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> };
      expect(seen.metadata).toEqual({ format: "dlg", step: "10" });
      expect(Object.keys(seen.tensors).sort()).toEqual([...tensors.keys()].sort());
      for (const [name, t] of tensors) {
        const py = seen.tensors[name]!;
        expect(py.dtype).toBe(t.dtype === "f32" ? "float32" : "int32");
        expect(py.shape).toEqual(t.shape);
        expect(py.values).toEqual(Array.from(t.data).map((v) => (Object.is(v, -0) ? -0 : v)));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("we read a file Python wrote, converting F64, I64, U8 and every F16 value as numpy does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dlg-py-"));
    try {
      const path = join(dir, "theirs.safetensors");
      const run = spawnSync(PYTHON, ["-c", PYTHON_WRITER, path, PYTHON_MODE!], { encoding: "utf8", maxBuffer: 1 << 26 });
      expect(run.stderr).toBe("");
      const expected = JSON.parse(run.stdout) as Record<string, number[]>;
      const back = await readCheckpoint(path);
      expect(back.metadata).toEqual({ who: "python" });
      for (const name of ["w", "d", "ids", "px"]) expect(Array.from(back.tensors.get(name)!.data)).toEqual(expected[name]);
      expect(back.tensors.get("w")!.shape).toEqual([2, 3]);
      expect(back.tensors.get("ids")).toMatchObject({ dtype: "i32", shape: [1, 2] });
      // All 65,536 half-precision bit patterns, compared as f32 bits so -0 and subnormals count exactly. NaNs only
      // need to stay NaN: numpy may convert with a hardware instruction that quiets signalling NaNs.
      const halves = back.tensors.get("halves")!.data as Float32Array;
      const nanOrBits = (b: number) => ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? "NaN" : b);
      expect(Array.from(new Uint32Array(halves.buffer, halves.byteOffset, halves.length), nanOrBits)).toEqual(expected.halves_f32!.map(nanOrBits));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
