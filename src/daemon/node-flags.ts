/**
 * Node.js options the daemon runs with (the installed launcher, `make run`, `npm start`; the
 * Makefile and package.json spell them out, and a test keeps them equal to this list).
 *
 * --max-semi-space-size=1 (MB): V8 grows its young generation up to 16 MB per semi-space under a
 * steady stream of small allocations (offers, status updates, checkpoints), and the pages stay
 * resident. Capped at 1 MB the daemon's peak RSS in Mesos mode measured 72 MB instead of 102 MB
 * (16 CPUs, a status update every few hundred ms, 40 s; `make bench` reports it at the defaults),
 * for a few more minor GCs of well under a millisecond each. It cannot be set from inside the
 * process: V8 sizes the heap from its flags before any script runs.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * Whether V8 runs without its JIT (`--jitless` on the command line or in NODE_OPTIONS). An
 * operator of a Mesos-mode master short on memory may set it (README, "Memory"): the daemon then
 * only relays messages, and its peak RSS falls by about 7 MB. Local mode computes in this
 * process, and measured at half the speed under it: the daemon warns.
 */
export function jitless(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a === '--jitless');
}
