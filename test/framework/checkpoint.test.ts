import { expect } from 'chai';
import { promises as fs } from 'fs';
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
});
