// The dim schedule ("22:00-07:00"): OLED pixels age with use, and a bright panel in a bedroom at
// night is a nuisance. A window may wrap past midnight.

export interface DimSchedule {
  /** Minutes after midnight, local time. */
  startMin: number;
  endMin: number;
  text: string;
}

export function parseDimSchedule(text: string): DimSchedule {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const bad = (why: string): never => {
    throw new Error(`dim: ${JSON.stringify(text)} ${why}; expected HH:MM-HH:MM in 24-hour local time, e.g. 22:00-07:00`);
  };
  if (!m) bad('is not a time range');
  const [h1, m1, h2, m2] = [m![1], m![2], m![3], m![4]].map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) bad('has an hour above 23 or a minute above 59');
  const startMin = h1 * 60 + m1;
  const endMin = h2 * 60 + m2;
  if (startMin === endMin) bad('is an empty range (start equals end)');
  return { startMin, endMin, text: text.trim() };
}

export function isDim(schedule: DimSchedule | null, at: Date): boolean {
  if (!schedule) return false;
  const t = at.getHours() * 60 + at.getMinutes();
  const { startMin: s, endMin: e } = schedule;
  return s < e ? t >= s && t < e : t >= s || t < e;
}
