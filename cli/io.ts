// Where CLI output goes; tests pass buffers, the binary passes the process streams.
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Colour diagnostics (a terminal without NO_COLOR). */
  color: boolean;
}

/** A usage mistake: reported as one line, exit status 2. */
export class UsageError extends Error {}

/** A file that could not be read or written: one line, exit status 1 (the work was right, the disk said no). */
export class FileSystemError extends Error {}

/** A model too large for this machine (host memory, the largest typed array): one line, exit status 1. */
export class ResourceError extends Error {}
