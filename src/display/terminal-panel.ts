// `--display terminal:size=...`: the panel's glass drawn in the terminal (half-block pixels for
// OLED sizes, the LCD's cell matrix for character sizes), redrawn in place only when it changed,
// with the daemon's log lines kept above it. A terminal too small for the glass gets one line
// saying so: wrapped rows of a picture are only garbage.
import { Frame } from './screens';
import { PanelSize } from './spec';
import { PanelDriver } from './panel-display';
import { rasterize, rasterToBlocks } from './raster';
import { InPlaceView } from './terminal-view';

export class TerminalPanelDriver implements PanelDriver {
  readonly description: string;
  readonly busNumber = -1;
  readonly address = 0;
  readonly burnInShift = false;
  private readonly view: InPlaceView;

  /** `logs`: see TerminalStatusOptions.logs. */
  constructor(readonly size: PanelSize, private readonly out: NodeJS.WritableStream, logs?: NodeJS.WritableStream) {
    this.description = `terminal ${size}`;
    this.view = new InPlaceView(out, logs ?? (out === process.stdout ? process.stderr : undefined));
  }

  async init(): Promise<void> { this.view.forget(); }

  async draw(frame: Frame): Promise<void> {
    const lines = frame.kind === 'char' ? frame.chars.toText().slice(0, -1).split('\n') : rasterToBlocks(rasterize(frame));
    const width = frame.kind === 'char' ? frame.chars.cols : frame.canvas.width;
    const border = '+' + '-'.repeat(width) + '+';
    const body = [border, ...lines.map((l) => `|${l}|`), border];
    const term = this.view.size;
    if (term && (term.columns < border.length || term.rows <= body.length)) {
      // rows - 1: the view keeps the cursor on the row below it.
      this.view.draw(wrapWords(`pi-mesos: the ${this.size} panel needs a terminal of ${border.length} columns and ${body.length + 1} rows; `
        + `this one has ${term.columns}x${term.rows}. Enlarge it, or use --display terminal (the text status) or a smaller size (terminal:size=20x4)`, term.columns));
      return;
    }
    this.view.draw(body);
  }

  async setDim(_dim: boolean): Promise<void> {}

  async blank(): Promise<void> { this.view.clear(); }

  async close(): Promise<void> { this.view.release(); }

  faultHint(code: string): string { return `terminal output failed (${code})`; }
}

/** Text broken into lines of at most `width` characters at spaces (a longer word is cut by the view). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}
