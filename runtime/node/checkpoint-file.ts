// Checkpoint files on disk (Node only): atomic writes, and reads whose every failure is a CheckpointError naming
// the path.
import { readFile, stat } from "node:fs/promises";
import { atomicWriteFile, ioReason } from "./atomic-write.js";
import { CheckpointError, decodeCheckpoint, encodeSafetensors, type Checkpoint } from "../checkpoint.js";
import type { HostTensor } from "../tensor.js";

/**
 * Writes a safetensors file so that `path` always holds either the old file or the complete new one, never a
 * partial write (a crash, a kill or a full disk during a save must not destroy the last good checkpoint): see
 * atomic-write.ts. Temporaries of earlier saves that were killed are removed.
 */
export async function writeCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, HostTensor>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata); // encoding errors surface before any file is touched
  try {
    await atomicWriteFile(path, bytes);
  } catch (e) {
    throw new CheckpointError(`cannot write checkpoint ${path}: ${ioReason(e)}`, { cause: e });
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
