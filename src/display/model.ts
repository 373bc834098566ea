// What the screens show. The daemon builds one of these from the framework and the operator API;
// displays only read it. Plain data, so a snapshot can be handed to a driver without sharing state.

export interface AgentView {
  id: string;
  hostname: string;
  online: boolean;
  cpusTotal: number;
  cpusUsedByUs: number;
  cpusUsedByOthers: number;
  memTotalMb: number;
  memUsedByUsMb: number;
  memUsedByOthersMb: number;
}

export interface ClusterView {
  cpusTotal: number;
  cpusUsedByUs: number;
  cpusUsedByOthers: number;
  memTotalMb: number;
  memUsedByUsMb: number;
  memUsedByOthersMb: number;
  agents: AgentView[];
}

export interface PiView {
  /** Digits certainly correct, e.g. "3.14159" (at least "3"). */
  certified: string;
  /** The next few digits, not certain (shown set apart). */
  uncertain: string;
  /** Terms in the contiguous finished prefix [0, N). */
  termsDone: number;
  /** Terms finished in total, including ranges beyond the prefix. */
  termsComputed: number;
  termsPerSecond: number;
  /** Seconds until the next certified digit is expected, or null when unknown. */
  nextDigitEtaSeconds: number | null;
}

export interface FrameworkView {
  mode: 'local' | 'mesos';
  subscribed: boolean;
  master: string | null;
  heartbeatAgeSeconds: number | null;
  tasksRunning: number;
  tasksLost: number;
  /** A one-line answer to "why is nothing running?", or null when work is running. */
  idleReason: string | null;
}

export interface DisplayModel {
  cluster: ClusterView;
  pi: PiView;
  framework: FrameworkView;
}

/**
 * A display takes models and shows them when it can. show() must return at once: drawing and bus
 * traffic happen asynchronously, and a slow or failing panel only ever drops frames.
 */
export interface Display {
  show(model: DisplayModel): void;
  /** Final frame on shutdown: a clear "stopped" screen, or blank. */
  close(final: 'stopped' | 'blank'): Promise<void>;
  /** Re-initialise the panel (SIGHUP). */
  reopen(): Promise<void>;
  /** Failed bus operations since start, for panels on a bus. */
  readonly busErrors?: number;
}
