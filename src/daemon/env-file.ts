import * as fs from 'fs';

/**
 * Reads a systemd EnvironmentFile (KEY=value lines; # and ; comments; values optionally in single
 * or double quotes; a trailing backslash continues a line). systemd reads the file only when it
 * starts the service, so on SIGHUP the daemon reads it again itself to pick up new display settings.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\\\r?\n/g, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\])/g, '$1');
    }
    out[m[1]] = value;
  }
  return out;
}

export function readEnvironmentFile(file: string): Record<string, string> {
  return parseEnvironmentFile(fs.readFileSync(file, 'utf8'));
}
