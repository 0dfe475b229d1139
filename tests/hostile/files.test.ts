// Hostile file systems: outputs that are not dlg's, symlinks, modes and hard links, unwritable places, saves killed
// halfway and a disk that fills up. Nothing that was there is lost, nothing half-written is left, every failure is
// one line with exit status 1.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { ROOT, runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-files-"));
const iris = join(ROOT, "dsl-examples/iris-mlp.dlg");
const unformatted = "model   M( ) {\n  input x: f32[N, 4]\n  output   x\n}\n";
const formatted = "model M() {\n  input x: f32[N, 4]\n  output x\n}\n";

const bin = join(ROOT, "bin/dlg.js");
const compile = (out: string) => runCli(["compile", iris, "--batch", "4", "-o", out]);

/** Files left in `d` whose names look like a temporary of ours. */
const temporaries = (d: string) => readdirSync(d).filter((f) => f.startsWith(".") && (f.endsWith(".tmp") || f.includes(".dlg-new-") || f.includes(".dlg-old-")));

describe("dlg compile -o writes only where it owns the directory", () => {
  it("writes into an absent or empty directory, and replaces an earlier compile as a whole", async () => {
    const out = join(dir, "fresh");
    expect((await compile(out)).code).toBe(0);
    const first = readdirSync(join(out, "kernels")).sort();
    writeFileSync(join(out, "kernels", first[0]!), "// edited by hand\n");
    expect((await compile(out)).code).toBe(0);
    expect(readdirSync(join(out, "kernels")).sort()).toEqual(first);
    expect(readFileSync(join(out, "kernels", first[0]!), "utf8")).not.toBe("// edited by hand\n");
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect((await compile(empty)).code).toBe(0);
    expect(existsSync(join(empty, "manifest.json"))).toBe(true);
    expect(temporaries(dir)).toEqual([]);
  });

  it.each([
    ["a manifest.json that is not dlg's", (d: string) => writeFileSync(join(d, "manifest.json"), '{"name": "my-app"}'), /its manifest\.json is not a dlg manifest/],
    ["unrelated files in kernels/", (d: string) => writeFileSync(join(d, "kernels", "notes.txt"), "mine"), /its kernels\/ holds files the earlier compile did not write \("notes\.txt"\)/],
    ["other files beside a compile", (d: string) => writeFileSync(join(d, "README.md"), "mine"), /besides an earlier compile it holds "README\.md"/],
    ["a directory of someone else's files", (d: string) => { writeFileSync(join(d, "thesis.tex"), "mine"); }, /it is not empty and holds no manifest\.json/],
  ])("refuses %s and changes nothing", async (what, plant, message) => {
    const out = join(dir, what.replace(/\W+/g, "-"));
    if (what.includes("someone")) mkdirSync(out);
    else expect((await compile(out)).code).toBe(0);
    plant(out);
    const before = snapshot(out);
    const r = await compile(out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^dlg: will not write into .*: ${message.source}.*; give an empty or new directory\\n$`));
    expect(snapshot(out)).toEqual(before);
  });

  it("refuses -o / and a file", async () => {
    const root = await compile("/");
    expect(root.code).toBe(1);
    // (A root that somehow holds an earlier compile is still refused, for everything else in it.)
    expect(root.stderr).toMatch(/^dlg: will not write into \/: (it is not empty and holds no manifest\.json|besides an earlier compile it holds)/);
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = await compile(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dlg: will not write into ${file}: it is a file, not a directory; give an empty or new directory\n`);
  });

  it("a directory under a file or in an unwritable place is one line, exit 1", async () => {
    const file = join(dir, "plain");
    writeFileSync(file, "x");
    const r = await compile(join(file, "out"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dlg: (cannot write|will not write into) .*plain\/out: .*\n$/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    for (const e of readdirSync(p)) {
      const full = join(p, e);
      if (statSync(full).isDirectory()) walk(full, `${rel}${e}/`);
      else out[`${rel}${e}`] = readFileSync(full, "utf8");
    }
  };
  walk(d, "");
  return out;
}

describe("dlg fmt --write changes the file's content, never what the path is", () => {
  it("writes through a symlink to its target, and the link stays a link", async () => {
    const target = join(dir, "target.dlg");
    const link = join(dir, "link.dlg");
    writeFileSync(target, unformatted);
    symlinkSync(target, link);
    expect((await runCli(["fmt", "--write", link])).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, "utf8")).toBe(formatted);
  });

  it("keeps the file's mode (0600 stays 0600)", async () => {
    const file = join(dir, "private.dlg");
    writeFileSync(file, unformatted, { mode: 0o600 });
    chmodSync(file, 0o600);
    expect((await runCli(["fmt", "--write", file])).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(formatted);
  });

  it("keeps hard links together: every name sees the formatted text", async () => {
    const a = join(dir, "linked-a.dlg");
    const b = join(dir, "linked-b.dlg");
    writeFileSync(a, unformatted);
    linkSync(a, b);
    expect((await runCli(["fmt", "--write", a])).code).toBe(0);
    expect(readFileSync(b, "utf8")).toBe(formatted);
    expect(statSync(a).ino).toBe(statSync(b).ino);
  });

  it("does not follow a symlink planted at the old predictable temporary name", async () => {
    const file = join(dir, "victim.dlg");
    const elsewhere = join(dir, "elsewhere.txt");
    writeFileSync(file, unformatted);
    writeFileSync(elsewhere, "precious\n");
    // The temporary names of earlier versions: `F.dlg-fmt-PID.tmp` and `manifest.json.PID.tmp`.
    symlinkSync(elsewhere, `${file}.dlg-fmt-${process.pid}.tmp`);
    expect((await runCli(["fmt", "--write", file])).code).toBe(0);
    expect(readFileSync(elsewhere, "utf8")).toBe("precious\n");
    expect(readFileSync(file, "utf8")).toBe(formatted);
  });

  it("a write that fails is one line, exit 1, and the file keeps its text", () => {
    const file = join(dir, "limited.dlg");
    writeFileSync(file, unformatted);
    // Root ignores permission bits, so the failure comes from a file-size limit of 0 (EFBIG on the first write).
    const r = spawnSync("bash", ["-c", `ulimit -f 0; exec "${process.execPath}" "${bin}" fmt --write "${file}"`], { encoding: "utf8" });
    expect(r.stderr).toBe(`dlg: cannot write ${file}: file too large\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(unformatted);
    expect(temporaries(dir)).toEqual([]);
  });
});


/** A model whose checkpoint is about 16 MB, so a save takes long enough to be killed in the middle. */
const big = join(dir, "big.dlg");
writeFileSync(big, "model Big() {\n  input x: f32[N, 2000]\n  y = dense(x, 2000)\n  output y\n}\n");

describe("saves that are killed or run out of space leave the previous checkpoint and no temporaries", () => {
  it("kill -9 at random moments during `dlg init -o`: the file is always the old one or a whole new one", async () => {
    const target = join(dir, "killed", "ckpt.safetensors");
    mkdirSync(join(dir, "killed"));
    expect(spawnSync(process.execPath, [bin, "init", big, "--seed", "1", "-o", target]).status).toBe(0);
    const seeds = new Set(["1"]);
    let killedMidway = 0;
    // Seeded delays spread over the process's life: start-up, compile, encoding and the write itself.
    for (let i = 0; i < 12; i++) {
      const delay = 80 + ((i * 7919) % 12) * 40;
      const child = spawn(process.execPath, [bin, "init", big, "--seed", String(i + 2), "-o", target], { stdio: "ignore" });
      await new Promise((r) => setTimeout(r, delay));
      const exited = child.exitCode !== null;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("close", r));
      if (!exited) killedMidway++;
      else seeds.add(String(i + 2));
      const checkpoint = await readCheckpoint(target); // never half a file
      expect(seeds.has(checkpoint.metadata["seed"]!) || Number(checkpoint.metadata["seed"]) >= 2).toBe(true);
    }
    expect(killedMidway).toBeGreaterThan(0);
    // The next save removes what the killed ones left.
    expect(spawnSync(process.execPath, [bin, "init", big, "--seed", "99", "-o", target]).status).toBe(0);
    expect(readdirSync(join(dir, "killed"))).toEqual(["ckpt.safetensors"]);
    expect((await readCheckpoint(target)).metadata["seed"]).toBe("99");
  }, 60_000);

  it("a write that runs out of space (a file-size limit, `ulimit -f`) is one line, exit 1, and the old file stays", () => {
    const target = join(dir, "full", "ckpt.safetensors");
    mkdirSync(join(dir, "full"));
    expect(spawnSync(process.execPath, [bin, "init", iris, "-o", target]).status).toBe(0);
    const before = readFileSync(target);
    // 1 KiB blocks: the old 2.6 KB file was written without the limit, the 16 MB one cannot be.
    const r = spawnSync("bash", ["-c", `ulimit -f 64; exec "${process.execPath}" "${bin}" init "${big}" -o "${target}"`], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`dlg: cannot write checkpoint ${target}: file too large\n`);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(join(dir, "full"))).toEqual(["ckpt.safetensors"]);
  });
});
