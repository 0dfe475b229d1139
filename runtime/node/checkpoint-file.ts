// Checkpoint files on disk (Node only): atomic writes, and reads whose every failure is a CheckpointError naming
// the path.
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { CheckpointError, decodeCheckpoint, encodeSafetensors, type Checkpoint } from "../checkpoint.js";
import type { HostTensor } from "../tensor.js";

/** The reason of a Node I/O error in words, e.g. "no such file or directory" for ENOENT. */
function ioReason(e: unknown): string {
  if (typeof e === "object" && e !== null && "code" in e) {
    const code = String((e as { code: unknown }).code);
    const known: Record<string, string> = {
      ENOENT: "no such file or directory",
      EACCES: "permission denied",
      EPERM: "operation not permitted",
      EISDIR: "is a directory",
      ENOTDIR: "a parent of the path is not a directory",
      ENOSPC: "no space left on the device",
      EROFS: "read-only file system",
      EXDEV: "cannot rename across devices",
    };
    return known[code] ?? `${code}${e instanceof Error ? `: ${e.message.split("\n")[0]}` : ""}`;
  }
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/**
 * Writes a safetensors file so that `path` always holds either the old file or the complete new one, never a
 * partial write (a crash or Ctrl-C during a save must not destroy the last good checkpoint): the bytes go to a
 * temporary file in the same directory (rename is only atomic within one file system), are fsynced, then renamed
 * over `path`; the directory is fsynced too so the rename itself survives a power loss.
 */
export async function writeCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, HostTensor>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata); // encoding errors surface before any file is touched
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx"); // wx: never clobber an existing file of that name
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined); // best effort; the temp file may not exist
    throw new CheckpointError(`cannot write checkpoint ${path}: ${ioReason(e)}`, { cause: e });
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Not every platform can open or fsync a directory (Windows cannot); the data is already safe in the file, so a
  // failure here only weakens durability after a power loss and is not reported.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* see above */
  }
}

/** Reads and validates a safetensors file; every failure is a CheckpointError whose message starts with the path. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CheckpointError(`${path}: is a directory, not a checkpoint file`);
    const buffer = await readFile(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength); // a plain view, not Buffer semantics
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${path}: cannot read checkpoint: ${ioReason(e)}`, { cause: e });
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
