// The part of the Mesos fetcher the test agent needs: CommandInfo.uris are downloaded (http,
// https, file:// or an absolute path) into the sandbox, made executable or extracted as Mesos does.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import type { CommandURI } from '../../../src/mesos/types';

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|zip)$/i;

function download(url: string, dest: string, redirects = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        download(new URL(res.headers.location, url).toString(), dest, redirects - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status} fetching ${url}`));
        return;
      }
      const out = fs.createWriteStream(dest);
      res.pipe(out);
      // 'close', not 'finish': an executable spawned while its write descriptor is still open
      // fails with ETXTBSY. The Mesos fetcher has closed the file before the executor starts.
      out.on('close', () => resolve());
      out.on('error', reject);
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.on('error', reject);
  });
}

/** Fetches one URI into `sandbox`; returns the local file. */
export async function fetchUri(uri: CommandURI, sandbox: string): Promise<string> {
  const value = uri.value;
  const sourcePath = value.startsWith('file://') ? new URL(value).pathname : value;
  const name = uri.output_file ?? path.basename(new URL(value, 'file:///').pathname);
  if (!name) throw new Error(`cannot name the local copy of ${value}`);
  const dest = path.join(sandbox, name);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (/^https?:\/\//.test(value)) await download(value, dest);
  else if (path.isAbsolute(sourcePath)) await fs.promises.copyFile(sourcePath, dest);
  else throw new Error(`unsupported URI ${value} (the test fetcher takes http, https, file:// or an absolute path)`);
  if (uri.executable) {
    fs.chmodSync(dest, 0o755);
  } else if ((uri.extract ?? true) && ARCHIVE.test(dest)) {
    const [cmd, args] = /\.zip$/i.test(dest) ? ['unzip', ['-q', '-o', dest, '-d', sandbox]] : ['tar', ['-xf', dest, '-C', sandbox]];
    await new Promise<void>((resolve, reject) => execFile(cmd, args, (err, _o, stderr) =>
      (err ? reject(new Error(`cannot extract ${name}: ${stderr || err.message}`)) : resolve())));
  }
  return dest;
}
