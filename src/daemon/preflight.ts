// --check-config: what a start would refuse, found without starting. loadConfig has validated each
// setting on its own; these are the checks a start makes against the machine (the secret file's
// mode, the state directory and the precision of its checkpoint, the HTTP address), run here the
// same way and reported with the exit status the start would have had.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Config, EX_CONFIG, formatListen } from './config';
import { EX_UNAVAILABLE } from './daemon';
import { stateDirHolder } from './state-lock';
import { Ledger, LedgerState } from '../framework/ledger';
import { PiFramework } from '../framework/pi-framework';
import { CredentialsError, loadCredentials } from '../mesos/credentials';
import { scaleFor } from '../pi/precision';

export interface PreflightProblem {
  /** The status a start would exit with (78 EX_CONFIG, 69 EX_UNAVAILABLE). */
  exitCode: number;
  message: string;
}

export interface PreflightResult {
  problems: PreflightProblem[];
  /** Worth knowing, not fatal (e.g. the service is running, so its address was not probed). */
  notes: string[];
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

function listenProbe(c: Config): Promise<string | null> {
  const { host, port } = c.http!;
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is in use'
        : e.code === 'EADDRNOTAVAIL' ? 'no interface has that address'
        : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : e.message;
      resolve(`HTTP server cannot listen on ${formatListen(c.http!)}: ${why}; set another address with --http (PI_MESOS_HTTP), or off`);
    });
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
}

/** Runs every check a start makes that loadConfig does not; never starts anything. */
export async function preflight(c: Config): Promise<PreflightResult> {
  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  if (c.secretFile && c.principal) {
    try {
      loadCredentials(c.secretFile, c.principal);
    } catch (e) {
      if (!(e instanceof CredentialsError)) throw e;
      problems.push({ exitCode: EX_CONFIG, message: e.message });
    }
  }

  const writable = nearestExisting(c.stateDir);
  try {
    fs.accessSync(writable, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    problems.push({ exitCode: EX_CONFIG, message: `the state directory ${c.stateDir} cannot be ${writable === c.stateDir ? 'written' : 'created'} by this user (--state-dir, PI_MESOS_STATE_DIR)` });
  }

  const file = PiFramework.stateFile(c.stateDir);
  if (fs.existsSync(file)) {
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { ledger: LedgerState };
      Ledger.restore(state.ledger, scaleFor(c.precision));
    } catch (e) {
      problems.push({ exitCode: EX_CONFIG, message: `the checkpoint ${file} does not fit these settings: ${(e as Error).message}` });
    }
  }

  let holder: number | null = null;
  if (writable === c.stateDir) {
    try {
      holder = await stateDirHolder(c.stateDir);
    } catch {
      // Unreadable: the access check above has said so.
    }
  }
  if (holder !== null) {
    notes.push(`the state directory ${c.stateDir} is in use by a running pi-mesos${holder ? ` (PID ${holder})` : ''}: `
      + 'a second start would exit 78; the HTTP address was not probed');
  } else if (c.http) {
    const busy = await listenProbe(c);
    if (busy) problems.push({ exitCode: EX_UNAVAILABLE, message: busy });
  }
  return { problems, notes };
}
