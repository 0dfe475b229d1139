// Process entry point: wires main() to the real streams and turns an unexpected failure into one line, not a trace.
import { main } from "./main.js";

const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
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
