// Imported first by main.ts, so these handlers exist before the rest of the daemon loads (half a
// second on a busy Pi). Without them a SIGTERM in that window (systemd stopping a unit that has
// just started, or restarted it) killed the process by the signal's default action: no log line,
// no clean exit status (chaos soak, seed 2). main.ts takes the signal over once its own handlers
// are in place.

let received: NodeJS.Signals | undefined;
const note = (signal: NodeJS.Signals): void => { received ??= signal; };
process.on('SIGTERM', note);
process.on('SIGINT', note);

/** Removes the early handlers; the first SIGTERM or SIGINT that arrived before, if any. */
export function takeEarlySignal(): NodeJS.Signals | undefined {
  process.off('SIGTERM', note);
  process.off('SIGINT', note);
  return received;
}
