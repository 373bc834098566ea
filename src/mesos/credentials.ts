// HTTP basic-authentication credentials for a framework. The secret comes from a file, never
// from the command line (where every user could read it in the process list), and the file must
// not be accessible by group or others.
import * as fs from 'fs';

export interface Credentials {
  principal: string;
  secret: string;
}

export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * Reads credentials from `file`. With `principal` given, the file holds just the secret (one
 * line). Otherwise it holds either `principal secret` on its first line or the JSON object
 * {"principal": "...", "secret": "..."}.
 */
export function loadCredentials(file: string, principal?: string): Credentials {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new CredentialsError(`cannot read the credentials file ${file}: ${(err as Error).message}`);
  }
  if (!stat.isFile()) throw new CredentialsError(`the credentials file ${file} is not a regular file`);
  const mode = stat.mode & 0o777;
  if (mode & 0o077) {
    throw new CredentialsError(
      `refusing the credentials file ${file}: it is accessible by group or others ` +
      `(mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`);
  }
  const text = fs.readFileSync(file, 'utf8');
  if (principal !== undefined) {
    const secret = text.replace(/\r?\n$/, '');
    if (!principal) throw new CredentialsError('the principal is empty');
    if (!secret) throw new CredentialsError(`the credentials file ${file} is empty`);
    return { principal, secret };
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new CredentialsError(`the credentials file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const p = (parsed as Record<string, unknown>).principal;
    const s = (parsed as Record<string, unknown>).secret;
    if (typeof p !== 'string' || !p || typeof s !== 'string' || !s) {
      throw new CredentialsError(`the credentials file ${file} needs non-empty "principal" and "secret" strings`);
    }
    return { principal: p, secret: s };
  }
  const firstLine = trimmed.split(/\r?\n/)[0] ?? '';
  const match = /^(\S+)\s+(\S.*)$/.exec(firstLine);
  if (!match) {
    throw new CredentialsError(`the credentials file ${file} must hold "principal secret" on its first line`);
  }
  return { principal: match[1], secret: match[2].trimEnd() };
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.principal}:${credentials.secret}`, 'utf8').toString('base64')}`;
}
