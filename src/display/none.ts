import { Display, DisplayModel } from './model';

/** `--display none`: accepts models and shows nothing, so the daemon needs no special case. */
export class NoneDisplay implements Display {
  show(_model: DisplayModel): void {}
  async close(_final: 'stopped' | 'blank'): Promise<void> {}
  async reopen(): Promise<void> {}
}
