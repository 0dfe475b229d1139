// A compiled directory loaded as a library, damaged by hand or by a bad copy: every kind of damage is a ManifestError
// naming the place, found when the manifest is read, never a DOMException, a RangeError, a TypeError or wrong output.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ManifestError } from "../../runtime/manifest.js";
import { readCompiledModel } from "../../runtime/node/compiled-dir.js";
import { expectRejects, runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-compiled-"));
const out = join(dir, "iris");
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  expect((await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "4", "-o", out])).code).toBe(0);
});

/** Writes a copy of the compile with `damage` applied to its manifest and returns its directory. */
function damaged(name: string, damage: (m: Json) => void): string {
  const copy = join(dir, name);
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Json;
  damage(m);
  mkdirSync(copy, { recursive: true });
  cpSync(join(out, "kernels"), join(copy, "kernels"), { recursive: true });
  writeFileSync(join(copy, "manifest.json"), JSON.stringify(m));
  return copy;
}

/** A constant buffer of the forward program holding `data` for `bytes` (appended: every buffer is checked). */
const addConstant = (m: Json, data: string, bytes: number) => {
  const buffers = m["programs"].forward.buffers as Json[];
  buffers.push({ id: buffers.length, kind: "constant", bytes, data });
};

describe("a damaged compiled directory is a ManifestError naming the place", () => {
  it.each<[string, (m: Json) => void, RegExp]>([
    ["a parameter of the wrong shape", (m) => { m["params"][0].shape = [3, 3]; }, /programs\.forward\.buffers\[\d+\]: is \d+ bytes for parameter `hidden\.weight` \[3, 3\]/],
    ["a repeated parameter", (m) => { m["params"].push({ ...m["params"][0] }); }, /params\[4\]: repeats parameter `hidden\.weight`/],
    ["a zero dispatch", (m) => { m["programs"].forward.kernels[0].dispatch = [0, 1, 1]; }, /programs\.forward\.kernels\[0\]: dispatches \[0, 1, 1\] workgroups, which runs nothing/],
    ["an empty kernel list", (m) => { m["programs"].forward.kernels = []; }, /programs\.forward: has no kernels/],
    ["a value larger than its buffer", (m) => { m["programs"].forward.values[0].shape = [4000, 3]; }, /programs\.forward\.values\[0\]: \(loss\) needs 48000 bytes but its buffer \d+ has \d+/],
    ["a value with an empty shape entry", (m) => { m["programs"].forward.values[0].shape = [null]; }, /programs\.forward\.values\[0\]: is malformed/],
  ])("%s", async (name, damage, message) => {
    await expectRejects(readCompiledModel(damaged(name.replace(/\W+/g, "-"), damage)), ManifestError, message);
  });

  it("constant data that is not base64, or of the wrong length", async () => {
    await expectRejects(readCompiledModel(damaged("bad-base64", (m) => addConstant(m, "@@@@", 4))), ManifestError, /buffers\[\d+\]: \(constant\) data is not base64/);
    await expectRejects(readCompiledModel(damaged("short-base64", (m) => addConstant(m, "AAAA", 8))), ManifestError, /\(constant\) data holds 3 bytes, expected 8/);
  });

  it("an empty kernel file", async () => {
    const copy = damaged("empty-wgsl", () => undefined);
    const m = JSON.parse(readFileSync(join(copy, "manifest.json"), "utf8")) as Json;
    m["programs"].forward.kernels[0].file = "empty.wgsl";
    writeFileSync(join(copy, "empty.wgsl"), "  \n");
    writeFileSync(join(copy, "manifest.json"), JSON.stringify(m));
    await expectRejects(readCompiledModel(copy), ManifestError, /kernels\[0\]: has empty WGSL \(empty\.wgsl\)/);
  });
});
