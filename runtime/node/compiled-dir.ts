// A `dlg compile` directory on disk: manifest.json beside its .wgsl files. Node only; a browser fetches the same files.
import { randomBytes } from "node:crypto";
import { ioReason, isAlive } from "./atomic-write.js";
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { resolveModelManifest } from "../compiled-model.js";
import { ManifestError, type ModelManifest } from "../manifest.js";

export const MANIFEST_FILE = "manifest.json";

/** Reads and checks DIR/manifest.json and the kernels it names; a missing or damaged file is a one-line ManifestError. */
export async function readCompiledModel(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ManifestError(`cannot read ${path}: ${code === "ENOENT" ? "no such file (is this a dlg compile directory?)" : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return resolveModelManifest(json, path, async (file) => {
    try {
      return await readFile(join(dir, file), "utf8");
    } catch (e) {
      throw new Error((e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message);
    }
  });
}

/** A directory `dlg compile` may not write into, or a file-system failure while writing it: one line. */
export class OutputDirError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OutputDirError";
  }
}

/**
 * Why `dir` may not be replaced by a compile, or undefined when it may: it is absent, empty, or holds exactly a
 * previous compile (a dlg manifest and the kernel files it names, nothing else). Anything else is the user's.
 */
export async function foreignContent(dir: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return `cannot inspect it: ${ioReason(e)}`;
  }
  if (!info.isDirectory()) return info.isSymbolicLink() ? "it is a symbolic link, not a directory" : "it is a file, not a directory";
  const entries = await readdir(dir);
  if (entries.length === 0) return undefined;
  if (!entries.includes(MANIFEST_FILE)) return `it is not empty and holds no ${MANIFEST_FILE} of an earlier compile (it has ${describeEntries(entries)})`;
  let owned: Set<string>;
  let pageFiles: Set<string>;
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as unknown;
    if (typeof manifest !== "object" || manifest === null || (manifest as { format?: unknown }).format !== "dlg-model") {
      return `its ${MANIFEST_FILE} is not a dlg manifest`;
    }
    owned = new Set(kernelFiles(manifest));
    pageFiles = new Set(pageFilesOf(manifest));
  } catch {
    return `its ${MANIFEST_FILE} is not a dlg manifest`;
  }
  const others = entries.filter((e) => e !== MANIFEST_FILE && e !== "kernels" && !pageFiles.has(e));
  if (others.length > 0) return `besides an earlier compile it holds ${describeEntries(others)}`;
  if (entries.includes("kernels")) {
    const kernels = await readdir(join(dir, "kernels"));
    const unknown = kernels.filter((k) => !owned.has(`kernels/${k}`));
    if (unknown.length > 0) return `its kernels/ holds files the earlier compile did not write (${describeEntries(unknown)})`;
  }
  return undefined;
}

function describeEntries(entries: readonly string[]): string {
  const shown = entries.slice(0, 3).map((e) => JSON.stringify(e.length > 60 ? `${e.slice(0, 57)}...` : e));
  return `${shown.join(", ")}${entries.length > 3 ? ` and ${entries.length - 3} more` : ""}`;
}

/** The kernel files a manifest names (`file` of every kernel of every program). */
function kernelFiles(manifest: object): string[] {
  const programs = (manifest as { programs?: Record<string, { kernels?: { file?: unknown }[] } | null> }).programs ?? {};
  return Object.values(programs).flatMap((p) => (p?.kernels ?? []).flatMap((k) => (typeof k?.file === "string" ? [k.file] : [])));
}

/** The files of the web page a manifest says it wrote beside it (top-level names only). */
function pageFilesOf(manifest: object): string[] {
  const files = (manifest as { page?: { files?: unknown } }).page?.files;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === "string" && !/[\\/]/.test(f) && f !== MANIFEST_FILE && f !== "kernels") : [];
}

/**
 * Writes a compile's files (`kernels/...` and manifest.json) as the whole content of `dir`: into a fresh directory
 * beside it, which then takes its place, so `dir` holds the old compile or the new one, never a mix, and a failure
 * leaves the old one. `dir` must be absent, empty or an earlier compile (see `foreignContent`).
 */
export async function writeCompiledDir(dir: string, files: ReadonlyMap<string, string | Uint8Array>, manifestText: string): Promise<void> {
  const target = resolve(dir);
  const foreign = await foreignContent(target);
  if (foreign !== undefined) throw new OutputDirError(`will not write into ${dir}: ${foreign}; give an empty or new directory`);
  const parent = dirname(target);
  await removeStaleStaging(parent, basename(target));
  const stamp = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const staging = join(parent, `.${basename(target)}.dlg-new-${stamp}`);
  const retired = join(parent, `.${basename(target)}.dlg-old-${stamp}`);
  try {
    await mkdir(staging); // not recursive: fails rather than reuse a directory someone placed there
    await mkdir(join(staging, "kernels"));
    for (const [file, text] of files) await writeFile(join(staging, file), text, { flag: "wx" });
    await writeFile(join(staging, MANIFEST_FILE), manifestText, { flag: "wx" });
  } catch (e) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new OutputDirError(`cannot write ${dir}: ${ioReason(e)}`, { cause: e });
  }
  let hadOld = false;
  try {
    await rename(target, retired);
    hadOld = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw new OutputDirError(`cannot replace ${dir}: ${ioReason(e)}`, { cause: e });
    }
  }
  try {
    await rename(staging, target);
  } catch (e) {
    if (hadOld) await rename(retired, target).catch(() => undefined);
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new OutputDirError(`cannot write ${dir}: ${ioReason(e)}`, { cause: e });
  }
  if (hadOld) await rm(retired, { recursive: true, force: true }).catch(() => undefined);
}

/** Removes the staging and retired directories of compiles into `name` that were killed (their process is gone). */
async function removeStaleStaging(parent: string, name: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return;
  }
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.dlg-(?:new|old)-(\\d+)-[0-9a-f]+$`);
  for (const entry of entries) {
    const pid = pattern.exec(entry)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    await rm(join(parent, entry), { recursive: true, force: true }).catch(() => undefined);
  }
}
