import { promises as fs } from 'fs';
import * as path from 'path';

/**
 * Writes `data` to `file` so that a crash at any moment leaves either the old or the new content:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export async function writeAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Serialises saves: a save requested while one is being written is folded into one more write
 * of the latest state, and every caller's promise resolves once a write that includes its
 * changes is on disk.
 */
export class CheckpointWriter {
  private writing: Promise<void> | undefined;
  private pending: Promise<void> | undefined;

  constructor(private readonly file: string, private readonly render: () => string) {}

  save(): Promise<void> {
    if (!this.writing) {
      this.writing = writeAtomic(this.file, this.render()).finally(() => { this.writing = undefined; });
      return this.writing;
    }
    // Render at write time, not now, so the follow-up write carries every change made meanwhile.
    this.pending ??= this.writing.catch(() => undefined).then(() => {
      this.pending = undefined;
      return this.save();
    });
    return this.pending;
  }
}
