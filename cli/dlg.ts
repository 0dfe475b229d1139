// Process entry point: wires main() to the real streams and turns an unexpected failure into one line, not a trace.
import { main } from "./main.js";

// A reader that goes away (`dlg ... | head -1`) closes the pipe: that is not a failure of the work in progress (a
// training run still saves its checkpoint), so output to a closed stream is dropped instead of killing the process.
const closed = { stdout: false, stderr: false };
for (const name of ["stdout", "stderr"] as const) {
  process[name].on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") closed[name] = true;
    else throw e;
  });
}

const io = {
  stdout: (text: string) => void (closed.stdout || process.stdout.write(text)),
  stderr: (text: string) => void (closed.stderr || process.stderr.write(text)),
  color: Boolean(process.stderr.isTTY) && process.env["NO_COLOR"] === undefined,
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dlg: internal error: ${error instanceof Error ? error.message : String(error)} (please report this with the input file)\n`);
    if (process.env["DLG_DEBUG"]) process.stderr.write(`${error instanceof Error ? error.stack : ""}\n`);
    process.exitCode = 70;
  },
);
