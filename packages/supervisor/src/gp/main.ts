// Entry of the gp bundle (dist/gp.cjs), run by /usr/local/bin/gp in every workspace: Ctrl-C and SIGTERM
// end waiting commands through the context's signal, and the exit code is gp's.
import { Interrupted } from './cli.js';
import { processContext } from './context.js';
import { runGp } from './gp.js';

/** How long a command may take to end after Ctrl-C before gp exits anyway. */
const INTERRUPT_GRACE_MS = 1000;

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    controller.abort(new Interrupted());
    setTimeout(() => process.exit(130), INTERRUPT_GRACE_MS).unref();
  });
}

// a reader that went away (gp ports list | head) ends gp quietly, as it would end a C program
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

runGp(process.argv.slice(2), processContext(controller.signal)).then((code) => {
  process.exitCode = code;
});
