// `--display terminal:size=...`: the panel's glass drawn in the terminal (half-block pixels for
// OLED sizes, the LCD's cell matrix for character sizes), redrawn in place only when it changed.
import { Frame } from './screens';
import { PanelSize } from './spec';
import { PanelDriver } from './panel-display';
import { rasterize, rasterToBlocks } from './raster';

export class TerminalPanelDriver implements PanelDriver {
  readonly description: string;
  readonly busNumber = -1;
  readonly address = 0;
  readonly burnInShift = false;
  private last = '';

  constructor(readonly size: PanelSize, private readonly out: NodeJS.WritableStream) {
    this.description = `terminal ${size}`;
  }

  async init(): Promise<void> { this.last = ''; }

  async draw(frame: Frame): Promise<void> {
    const lines = frame.kind === 'char' ? [frame.chars.toText().slice(0, -1).split('\n').map((l) => `|${l}|`)].flat() : rasterToBlocks(rasterize(frame));
    const border = '+' + '-'.repeat(frame.kind === 'char' ? frame.chars.cols : frame.canvas.width) + '+';
    const body = frame.kind === 'char' ? [border, ...lines, border] : [border, ...lines.map((l) => `|${l}|`), border];
    const text = '\x1b[H' + body.map((l) => l + '\x1b[K').join('\n') + '\n\x1b[J';
    if (text === this.last) return;
    this.last = text;
    this.out.write(text);
  }

  async setDim(_dim: boolean): Promise<void> {}

  async blank(): Promise<void> { this.out.write('\x1b[H\x1b[J'); }

  async close(): Promise<void> {}

  faultHint(code: string): string { return `terminal output failed (${code})`; }
}
