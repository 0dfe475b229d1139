// Where the CLI may write: checked before any work starts, so a run never ends by failing to save, and never saves
// over the files it read.
import { accessSync, constants, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { atomicWriteFile, ioReason } from "../runtime/node/atomic-write.js";
import { FileSystemError, UsageError } from "./io.js";

/** A file a command reads, named by its role in messages ("--data", "the model source"). */
export interface InputFile {
  path: string;
  role: string;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Whether two paths name the same file: the same device and inode once symlinks are followed, so `./a`, a symlink
 * to `a` and a hard link to `a` are all `a`. A path that does not exist is the same as nothing.
 */
export function sameFile(a: string, b: string): boolean {
  const sa = statOrUndefined(a);
  const sb = statOrUndefined(b);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Refuses an output file that is one of the inputs, or that cannot be written: its directory is missing, is not a
 * directory or is not writable, or the path itself is a directory. `flag` names the option in messages.
 */
export function checkOutputFile(flag: string, path: string, inputs: readonly InputFile[]): void {
  for (const input of inputs) {
    if (sameFile(path, input.path)) throw new UsageError(`${flag} ${path} is ${input.role} (${input.path}); writing there would destroy it, so choose another file`);
  }
  checkWritableFile(flag, path);
}

export function checkWritableFile(flag: string, path: string): void {
  const target = statOrUndefined(path);
  if (target?.isDirectory()) throw new UsageError(`${flag} ${path} is a directory; give a file name`);
  const dir = dirname(resolve(path));
  const parent = statOrUndefined(dir);
  if (parent === undefined) throw new UsageError(`${flag} ${path}: directory ${dir} does not exist (or a part of it is not a directory)`);
  if (!parent.isDirectory()) throw new UsageError(`${flag} ${path}: ${dir} is not a directory`);
  try {
    // The file is written beside its target and renamed over it, so the directory is what must be writable.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: directory ${dir} is not writable`);
  }
}

/** Writes an output file whole (atomically); a file-system failure is one line naming the file. */
export async function writeOutputFile(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await atomicWriteFile(path, data);
  } catch (e) {
    throw new FileSystemError(`cannot write ${path}: ${ioReason(e)}`);
  }
}
