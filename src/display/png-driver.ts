// `--display png:PATH`: the frame the panel would show, written to a file on each change (for a
// web page, a screenshot, or a headless check). Written to a temporary file and renamed, so a
// reader never sees half a PNG.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { Frame } from './screens';
import { Canvas } from './canvas';
import { CharFrame } from './char-frame';
import { PngSpec, PanelSize } from './spec';
import { PanelDriver } from './panel-display';
import { rasterize, rasterToPng } from './raster';

export class PngDriver implements PanelDriver {
  readonly description: string;
  readonly size: PanelSize;
  readonly busNumber = -1;
  readonly address = 0;
  readonly burnInShift = false;
  /** The pixels last written: an unchanged frame is neither encoded nor written. */
  private lastPx: Buffer | null = null;
  writes = 0;

  constructor(private readonly spec: PngSpec) {
    this.size = spec.size;
    this.description = `png ${spec.size} at ${spec.path}`;
  }

  async init(): Promise<void> { this.lastPx = null; }

  async draw(frame: Frame): Promise<void> {
    const raster = rasterize(frame);
    const px = Buffer.from(raster.px.buffer, raster.px.byteOffset, raster.px.byteLength);
    if (this.lastPx && this.lastPx.equals(px)) return;
    const png = rasterToPng(raster, this.spec.scale);
    const tmp = path.join(path.dirname(this.spec.path), `.${path.basename(this.spec.path)}.${process.pid}.tmp`);
    await fsp.writeFile(tmp, png);
    await fsp.rename(tmp, this.spec.path);
    this.lastPx = px;
    this.writes++;
  }

  async setDim(_dim: boolean): Promise<void> {}

  async blank(): Promise<void> {
    const [w, h] = this.size.split('x').map(Number);
    const empty: Frame = w === 128 ? { kind: 'pixel', canvas: new Canvas(w, h) } : { kind: 'char', chars: new CharFrame(w, h) };
    await this.draw(empty);
  }

  faultHint(code: string): string {
    const dir = path.dirname(this.spec.path);
    if (code === 'ENOENT') {
      return `cannot write ${this.spec.path} (ENOENT): check that ${dir} exists; under the unit, ProtectHome=yes hides /home, /root and /run/user, `
        + 'so use a directory under /var/lib/pi-mesos (the StateDirectory, the one place ProtectSystem=strict leaves writable)';
    }
    return `cannot write ${this.spec.path} (${code}): check that ${dir} is writable by the service user; under the unit only /var/lib/pi-mesos `
      + '(the StateDirectory) is, since ProtectSystem=strict makes the rest read-only';
  }

  async close(): Promise<void> {}
}
