// Replacing a file so that it always holds the old content or the whole new one (a crash, a full disk or a kill
// mid-write never leaves half a file), without changing what the path is: a symlink keeps pointing where it did
// and its target is written, the file keeps its mode, and a file with hard links is written in place (a rename
// would split it from its other names, the way editors such as vim also choose).
import { randomBytes } from "node:crypto";
import { lstat, open, readdir, readlink, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** The Node error's reason in words, e.g. "no such file or directory" for ENOENT. */
export function ioReason(e: unknown): string {
  if (typeof e === "object" && e !== null && "code" in e) {
    const code = String((e as { code: unknown }).code);
    const known: Record<string, string> = {
      ENOENT: "no such file or directory",
      EACCES: "permission denied",
      EPERM: "operation not permitted",
      EISDIR: "is a directory",
      ENOTDIR: "a parent of the path is not a directory",
      ENOSPC: "no space left on the device",
      EDQUOT: "disk quota exceeded",
      EROFS: "read-only file system",
      EXDEV: "cannot rename across devices",
      EFBIG: "file too large",
      ELOOP: "too many symbolic links",
      EEXIST: "it already exists",
    };
    return known[code] ?? `${code}${e instanceof Error ? `: ${e.message.split("\n")[0]}` : ""}`;
  }
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/** `.NAME.PID.HEX.tmp`: a temporary file beside NAME, from the process PID. */
function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`);
}

/** Whether a process with this id exists (a temporary file of a live process is still being written). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/**
 * Removes temporary files a killed save of `target` left behind (ours by name, their process gone). Best effort: a
 * file that cannot be removed stays, and the save goes on.
 */
export async function removeStaleTemporaries(target: string): Promise<number> {
  const prefix = `.${basename(target)}.`;
  let removed = 0;
  let entries: string[];
  try {
    entries = await readdir(dirname(target));
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith(".tmp")) continue;
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const path = join(dirname(target), entry);
    try {
      if ((await lstat(path)).isFile()) {
        await unlink(path);
        removed++;
      }
    } catch {
      /* best effort, see above */
    }
  }
  return removed;
}

/** The file a path names: symlinks followed, so the write lands on the target; the path itself when it is absent. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    // A dangling symlink: write where it points, as `echo > link` would.
    try {
      const info = await lstat(path);
      if (info.isSymbolicLink()) return resolve(dirname(path), await readlink(path));
    } catch {
      /* absent: a new file */
    }
    return path;
  }
}

/**
 * Replaces the file at `path` with `bytes` atomically (see the header). Throws the Node error of the step that
 * failed; the caller words it (see `ioReason`). The old file is untouched by any failure.
 */
export async function atomicWriteFile(path: string, bytes: Uint8Array | string): Promise<void> {
  const target = await resolveTarget(path);
  let existing: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    existing = await stat(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
  await removeStaleTemporaries(target);
  if (existing !== undefined && existing.nlink > 1) {
    const handle = await open(target, "r+");
    try {
      await handle.truncate(0);
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  }
  const temp = tempName(target);
  try {
    // wx: created here, never an existing file or a symlink someone planted under a guessed name.
    const handle = await open(temp, "wx", existing ? existing.mode & 0o7777 : 0o666);
    try {
      await handle.writeFile(bytes);
      if (existing) await handle.chmod(existing.mode & 0o7777); // the umask narrowed open's mode
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(target));
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
