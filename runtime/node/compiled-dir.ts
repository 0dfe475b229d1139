// A `dlg compile` directory on disk: manifest.json beside its .wgsl files. Node only; a browser fetches the same files.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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
