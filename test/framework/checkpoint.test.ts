import { expect } from 'chai';
import { promises as fs } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { CheckpointWriter, readIfExists, writeAtomic } from '../../src/framework/checkpoint';

describe('checkpoint files', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-ckpt-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('replaces the file whole and leaves no temp file behind', async () => {
    const f = path.join(dir, 'sub', 'state.json');
    await writeAtomic(f, 'one');
    await writeAtomic(f, 'two');
    expect(await fs.readFile(f, 'utf8')).to.equal('two');
    expect(await fs.readdir(path.dirname(f))).to.deep.equal(['state.json']);
    expect(((await fs.stat(f)).mode & 0o077)).to.equal(0);
    expect(await readIfExists(path.join(dir, 'missing'))).to.equal(undefined);
  });

  it('folds saves requested during a write into one more write of the latest state', async () => {
    const f = path.join(dir, 'state.json');
    let state = 0;
    let renders = 0;
    const w = new CheckpointWriter(f, () => { renders++; return String(state); });
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) { state = i; saves.push(w.save()); }
    await Promise.all(saves);
    expect(await fs.readFile(f, 'utf8')).to.equal('20');
    expect(renders).to.equal(2);
  });
  it('syncs the new file before the rename and the directory after it, and closes both', async () => {
    const f = path.join(dir, 'state.json');
    await writeAtomic(f, 'one');
    // Every call writeAtomic makes on the file system, in order (a power cut is not to be had in a test).
    const calls: string[] = [];
    const name = (p: unknown): string => (String(p) === dir ? 'dir' : path.basename(String(p)).includes('.tmp') ? 'tmp' : path.basename(String(p)));
    const { open, rename } = fs;
    fs.open = (async (p: string, ...rest: unknown[]) => {
      const fh = await (open as (...a: unknown[]) => Promise<FileHandle>)(p, ...rest);
      const n = name(p);
      calls.push(`open ${n}`);
      const { sync, close } = fh;
      fh.sync = async () => { calls.push(`sync ${n}`); return sync.call(fh); };
      fh.close = async () => { calls.push(`close ${n}`); return close.call(fh); };
      return fh;
    }) as typeof fs.open;
    fs.rename = (async (a: string, b: string) => { calls.push(`rename ${name(a)} ${name(b)}`); return rename(a, b); }) as typeof fs.rename;
    try {
      await writeAtomic(f, 'two');
    } finally {
      fs.open = open;
      fs.rename = rename;
    }
    expect(calls).to.deep.equal(['open tmp', 'sync tmp', 'close tmp', 'rename tmp state.json', 'open dir', 'sync dir', 'close dir']);
    expect(await fs.readFile(f, 'utf8')).to.equal('two');
  });
});
