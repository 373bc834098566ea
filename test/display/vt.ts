// A small terminal for tests: a screen of rows x columns with a scrollback, fed by streams that
// look like TTYs. It interprets what the terminal displays write (printable text with deferred
// wrap, CR, LF as CR+LF the way a tty's ONLCR does, CSI n F/A/H/K/J, SGR ignored), so a test can
// read what a person would see, including what scrolled away.
import { Writable } from 'stream';

export class VirtualTerminal {
  readonly scrollback: string[] = [];
  private screen: string[][];
  private row = 0;
  private col = 0;

  constructor(readonly columns: number, readonly rows: number) {
    this.screen = Array.from({ length: rows }, () => this.blank());
  }

  /** A writable stream that is this terminal (isTTY, columns, rows), as stdout or stderr. */
  stream(): Writable & { isTTY: true; columns: number; rows: number } {
    const s = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => { this.write(chunk.toString()); cb(); },
    }) as Writable & { isTTY: true; columns: number; rows: number };
    Object.assign(s, { isTTY: true, columns: this.columns, rows: this.rows });
    return s;
  }

  /** Everything a person can scroll through: the scrollback, then the screen, trailing blanks cut. */
  lines(): string[] {
    const all = [...this.scrollback, ...this.screen.map((r) => r.join(''))].map((l) => l.trimEnd());
    while (all.length > 0 && all[all.length - 1] === '') all.pop();
    return all;
  }

  write(text: string): void {
    for (let i = 0; i < text.length;) {
      if (text[i] === '\x1b') {
        const m = /^\x1b\[([0-9;?]*)([ -/]*)([@-~])/.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        this.csi(m[1], m[3]);
        i += m[0].length;
        continue;
      }
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      i += ch.length;
      if (ch === '\n') { this.col = 0; this.lineFeed(); continue; }
      if (ch === '\r') { this.col = 0; continue; }
      if (this.col >= this.columns) { this.col = 0; this.lineFeed(); }
      this.screen[this.row][this.col++] = ch;
    }
  }

  private blank(): string[] { return Array.from({ length: this.columns }, () => ' '); }

  private lineFeed(): void {
    if (this.row < this.rows - 1) { this.row++; return; }
    this.scrollback.push(this.screen.shift()!.join(''));
    this.screen.push(this.blank());
  }

  private csi(params: string, final: string): void {
    const p = params.split(';').map((x) => (x === '' ? NaN : Number(x)));
    const n = Number.isNaN(p[0]) ? 1 : p[0];
    switch (final) {
      case 'F': this.row = Math.max(0, this.row - n); this.col = 0; break;
      case 'A': this.row = Math.max(0, this.row - n); break;
      case 'H': this.row = (Number.isNaN(p[0]) ? 1 : p[0]) - 1; this.col = (Number.isNaN(p[1] ?? NaN) ? 1 : p[1]) - 1; break;
      case 'K': for (let c = Math.min(this.col, this.columns); c < this.columns; c++) this.screen[this.row][c] = ' '; break;
      case 'J':
        this.csi('', 'K');
        for (let r = this.row + 1; r < this.rows; r++) this.screen[r] = this.blank();
        break;
      case 'm': break;
      default: throw new Error(`unhandled CSI ${params}${final}`);
    }
  }
}
