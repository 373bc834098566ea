// Mesos writes durations as a number and a unit, e.g. "15mins", "250ms", "1.5secs" (stout's
// Duration); the agent passes MESOS_RECOVERY_TIMEOUT and friends to executors in that form.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  secs: 1000,
  mins: 60_000,
  hrs: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

/** Milliseconds of a Mesos duration string; throws a clear error for anything else. */
export function parseMesosDuration(text: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]+)\s*$/.exec(text);
  const unit = match ? UNIT_MS[match[2]] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`not a Mesos duration: '${text}' (expected e.g. 250ms, 15secs, 15mins)`);
  }
  return Number(match[1]) * unit;
}

/** Formats milliseconds the way Mesos prints durations, for the environment of test agents. */
export function formatMesosDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}mins`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}secs`;
  return `${ms}ms`;
}
