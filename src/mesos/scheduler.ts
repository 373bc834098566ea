// A Mesos v1 HTTP scheduler client: keeps one SUBSCRIBE stream to the leading master alive
// (redirects, backoff, heartbeat watchdog, resubscription with the same framework ID) and sends
// every other call on a separate keep-alive connection with the Mesos-Stream-Id header.
import type { IncomingMessage } from 'http';
import { Logger, silentLogger } from '../common/logger';
import { Backoff } from './backoff';
import { encodingOfMediaType, Encoding, MEDIA_TYPES, schedulerCallCodec, schedulerEventCodec } from './codec';
import { detectorFor, MasterDetector } from './detector';
import { RecordIODecoder } from './recordio';
import { promises as dns } from 'dns';
import * as net from 'net';
import { HttpResponse, HttpTransport, redirectTarget, StreamResponse } from './transport';
import { TypedEmitter } from './typed-emitter';
import type {
  AgentID, ExecutorID, Filters, FrameworkInfo, KillPolicy, MasterInfo, OfferOperation, OperationID, ReconcileTask, SchedulerCall,
  SchedulerEvent, TaskID, TaskInfo, TaskStatus,
} from './types';
import {
  IdLike, MesosAuthError, MesosCallError, MesosFrameworkError, SchedulerClientEvents, SchedulerClientOptions,
  SchedulerConnectionState, SchedulerStatus, toId,
} from './scheduler-api';
import { uuidToString } from './uuid';

export const SCHEDULER_PATH = '/api/v1/scheduler';

export {
  IdLike, MesosAuthError, MesosCallError, MesosFrameworkError, SchedulerClientEvents, SchedulerClientOptions,
  SchedulerConnectionState, SchedulerStatus, SubscribedInfo, toId,
} from './scheduler-api';

/** Whether the host of `url` resolves here (an IP literal always does). */
async function resolves(url: string): Promise<boolean> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return false;
  }
  if (net.isIP(host)) return true;
  try {
    await dns.lookup(host);
    return true;
  } catch {
    return false;
  }
}

const DEFAULT_HEARTBEAT_SECONDS = 15;

interface ActiveStream {
  master: string;
  streamId: string;
  stream: StreamResponse;
  decoder: RecordIODecoder;
  encoding: Encoding;
  subscribed: boolean;
  closed: boolean;
}

export class SchedulerClient extends TypedEmitter<SchedulerClientEvents> {
  private readonly logger: Logger;
  private readonly detector: MasterDetector;
  private readonly ownsDetector: boolean;
  private readonly transport: HttpTransport;
  private readonly backoff: Backoff;
  private readonly encoding: Encoding;
  private readonly framework: FrameworkInfo;
  private readonly heartbeatMisses: number;
  private readonly subscribeTimeoutMs: number;
  private readonly maxRedirects: number;
  private readonly maxRecordBytes: number | undefined;
  private readonly duplicateWindow: number;
  private readonly seenUpdates = new Map<string, true>();
  private readonly snapshot: SchedulerConnectionState = {
    status: 'idle', subscriptions: 0, reconnects: 0, failedAttempts: 0,
  };
  private active: ActiveStream | undefined;
  private connecting = false;
  /** start() came while an attempt was still unwinding (it had just failed or been stopped). */
  private connectAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly onLeader = (url: string | null): void => this.leaderChanged(url);
  private tearingDown = false;

  constructor(private readonly options: SchedulerClientOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    ({ detector: this.detector, owned: this.ownsDetector } = detectorFor(options.master, { scheme: options.scheme, logger: this.logger }));
    this.transport = new HttpTransport({
      credentials: options.credentials,
      tls: options.tls,
      requestTimeoutMs: options.callTimeoutMs ?? 30_000,
    });
    this.backoff = new Backoff(options.backoff);
    this.encoding = options.encoding ?? 'protobuf';
    this.framework = { ...options.framework };
    if (options.credentials && !this.framework.principal) this.framework.principal = options.credentials.principal;
    this.heartbeatMisses = options.heartbeatMisses ?? 5;
    this.subscribeTimeoutMs = options.subscribeTimeoutMs ?? 30_000;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.maxRecordBytes = options.maxRecordBytes;
    this.duplicateWindow = options.duplicateWindow ?? 10_000;
    if (this.framework.id) this.snapshot.frameworkId = this.framework.id.value;
  }

  /** A copy of the connection state. */
  get state(): SchedulerConnectionState {
    return { ...this.snapshot };
  }

  get frameworkId(): string | undefined {
    return this.framework.id?.value;
  }

  get subscribed(): boolean {
    return this.snapshot.status === 'subscribed';
  }

  /** Starts subscribing; events follow. Calling start() again after 'failed' tries afresh. */
  start(): void {
    if (this.snapshot.status !== 'idle' && this.snapshot.status !== 'failed' && this.snapshot.status !== 'stopped') return;
    this.detector.on('leader', this.onLeader);
    if (this.ownsDetector) this.detector.start();
    this.backoff.reset();
    this.snapshot.failedAttempts = 0;
    this.setStatus('connecting');
    // From a 'fatal' listener, or right after stop(), the attempt that ended is still returning:
    // connect() would see it under way and do nothing. Go again once it has returned.
    if (this.connecting) this.connectAgain = true;
    else void this.connect();
  }

  /** Closes the stream (the master starts the framework's failover timeout) and all timers. */
  async stop(): Promise<void> {
    this.setStatus('stopped');
    this.clearTimers();
    this.closeStream();
    this.detector.off('leader', this.onLeader);
    if (this.ownsDetector) await this.detector.stop();
    this.transport.close();
  }

  // ---- calls ----

  /** Sends any call (framework_id is filled in). Resolves with the response (202, or 200 with a body). */
  async call(call: SchedulerCall): Promise<HttpResponse> {
    const stream = this.active;
    if (!stream || !stream.subscribed || this.snapshot.status !== 'subscribed') {
      throw new MesosCallError(`cannot send ${call.type}: not subscribed to a Mesos master`);
    }
    const full: SchedulerCall = { ...call, framework_id: this.framework.id };
    const body = schedulerCallCodec.encode(full, this.encoding);
    let res: HttpResponse;
    try {
      res = await this.transport.request(stream.master + SCHEDULER_PATH, 'POST', {
        'Content-Type': MEDIA_TYPES[this.encoding],
        Accept: MEDIA_TYPES[this.encoding],
        'Mesos-Stream-Id': stream.streamId,
      }, body);
    } catch (err) {
      throw new MesosCallError(`${call.type} to ${stream.master} failed: ${(err as Error).message}`);
    }
    if (res.status === 202 || res.status === 200) return res;
    const text = res.body.toString('utf8').slice(0, 500);
    if (res.status === 307) {
      // The master lost leadership: the subscription is void, find the new leader.
      const location = res.headers.location;
      if (location) this.detector.noteLeader(redirectTarget(location, stream.master));
      this.dropStream(`${stream.master} is no longer the leader`);
    } else if (res.status === 400) {
      this.logger.error(`Mesos master rejected ${call.type} as malformed (400): ${text}`);
    }
    throw new MesosCallError(`${call.type} refused by ${stream.master}: HTTP ${res.status} ${text}`.trim(), res.status, text);
  }

  /**
   * Ends the framework for good. The master then closes the stream; the client stops with it
   * instead of reconnecting to a framework that no longer exists.
   */
  async teardown(): Promise<HttpResponse> {
    // From here the stream the master closes is no loss to report or to reconnect.
    this.tearingDown = true;
    try {
      const res = await this.call({ type: 'TEARDOWN' });
      await this.stop();
      return res;
    } finally {
      this.tearingDown = false;
    }
  }

  accept(offerIds: IdLike[], operations: OfferOperation[], filters?: Filters): Promise<HttpResponse> {
    return this.call({ type: 'ACCEPT', accept: { offer_ids: offerIds.map(toId), operations, filters } });
  }

  /** ACCEPT with a single LAUNCH operation. */
  launch(offerIds: IdLike[], tasks: TaskInfo[], filters?: Filters): Promise<HttpResponse> {
    return this.accept(offerIds, [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters);
  }

  decline(offerIds: IdLike[], filters?: Filters): Promise<HttpResponse> {
    return this.call({ type: 'DECLINE', decline: { offer_ids: offerIds.map(toId), filters } });
  }

  acceptInverseOffers(ids: IdLike[], filters?: Filters): Promise<HttpResponse> {
    return this.call({ type: 'ACCEPT_INVERSE_OFFERS', accept_inverse_offers: { inverse_offer_ids: ids.map(toId), filters } });
  }

  declineInverseOffers(ids: IdLike[], filters?: Filters): Promise<HttpResponse> {
    return this.call({ type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: ids.map(toId), filters } });
  }

  revive(roles?: string[]): Promise<HttpResponse> {
    return this.call({ type: 'REVIVE', revive: roles ? { roles } : {} });
  }

  suppress(roles?: string[]): Promise<HttpResponse> {
    return this.call({ type: 'SUPPRESS', suppress: roles ? { roles } : {} });
  }

  kill(taskId: IdLike, agentId?: IdLike, killPolicy?: KillPolicy): Promise<HttpResponse> {
    return this.call({
      type: 'KILL',
      kill: { task_id: toId(taskId), agent_id: agentId ? toId(agentId) : undefined, kill_policy: killPolicy },
    });
  }

  shutdown(executorId: IdLike, agentId: IdLike): Promise<HttpResponse> {
    return this.call({ type: 'SHUTDOWN', shutdown: { executor_id: toId(executorId), agent_id: toId(agentId) } });
  }

  /** ACKNOWLEDGE an update. Updates without a uuid (master-generated) need none: resolves to null. */
  async acknowledge(status: TaskStatus): Promise<HttpResponse | null> {
    if (!status.uuid || status.uuid.length === 0) return null;
    if (!status.agent_id) throw new MesosCallError(`cannot acknowledge task ${status.task_id.value}: update has no agent_id`);
    return this.acknowledgeUpdate(status.agent_id, status.task_id, status.uuid);
  }

  acknowledgeUpdate(agentId: IdLike, taskId: IdLike, uuid: Buffer): Promise<HttpResponse> {
    return this.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: toId(agentId), task_id: toId(taskId), uuid } });
  }

  acknowledgeOperationStatus(operationId: IdLike, uuid: Buffer, agentId?: IdLike): Promise<HttpResponse> {
    return this.call({
      type: 'ACKNOWLEDGE_OPERATION_STATUS',
      acknowledge_operation_status: {
        operation_id: toId(operationId) as OperationID, uuid, agent_id: agentId ? toId(agentId) : undefined,
      },
    });
  }

  /** Explicit reconciliation of `tasks`, or implicit (every task) when the list is empty. */
  reconcile(tasks: { task_id: IdLike; agent_id?: IdLike }[] = []): Promise<HttpResponse> {
    const list: ReconcileTask[] = tasks.map((t) => ({
      task_id: toId(t.task_id) as TaskID, agent_id: t.agent_id ? toId(t.agent_id) as AgentID : undefined,
    }));
    return this.call({ type: 'RECONCILE', reconcile: { tasks: list } });
  }

  /** A framework message to an executor: best effort, may be lost. */
  message(agentId: IdLike, executorId: IdLike, data: Buffer): Promise<HttpResponse> {
    return this.call({
      type: 'MESSAGE',
      message: { agent_id: toId(agentId), executor_id: toId(executorId) as ExecutorID, data },
    });
  }

  // ---- connection ----

  private setStatus(status: SchedulerStatus): void {
    if (this.snapshot.status === status) return;
    this.snapshot.status = status;
    if (status !== 'backoff') this.snapshot.nextAttemptDelayMs = undefined;
    this.emit('state', this.state);
  }

  private get running(): boolean {
    const s = this.snapshot.status;
    return s === 'connecting' || s === 'subscribed' || s === 'backoff';
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private leaderChanged(url: string | null): void {
    if (!this.running) return;
    const current = this.active?.master;
    if (url && current && url !== current) {
      this.logger.notice(`Mesos leader moved from ${current} to ${url}: resubscribing`);
      this.dropStream(`leader moved to ${url}`, 0);
    } else if (url && !this.active && !this.connecting && this.snapshot.status === 'backoff' && !current) {
      // Waiting for a leader to appear: go now.
      this.reconnectSoon(0, 'a leader appeared');
    }
  }

  private async connect(): Promise<void> {
    if (!this.running || this.connecting || this.active) return;
    this.connecting = true;
    this.setStatus('connecting');
    try {
      const candidates = this.detector.candidates();
      if (candidates.length === 0) {
        const problem = this.detector.problem;
        if (problem) {
          // The detector has said it (once, then rate-limited): the retries only keep it as the
          // reason (STATUS line, state), instead of "no leading master known yet" at every attempt.
          this.failAttempt(problem, 'debug');
          return;
        }
        // At start ZooKeeper has usually just not answered yet: that is not worth a warning.
        const first = this.snapshot.subscriptions === 0 && this.snapshot.failedAttempts === 0;
        this.failAttempt(`no leading master known yet (${this.detector.description})`, first ? 'info' : 'warn');
        return;
      }
      const reasons: string[] = [];
      for (const candidate of candidates) {
        if (!this.running) return;
        const outcome = await this.trySubscribe(candidate, this.maxRedirects);
        if (outcome === 'streaming' || outcome === 'fatal') return;
        reasons.push(outcome);
      }
      this.failAttempt(reasons.join('; '));
    } finally {
      this.connecting = false;
      if (this.connectAgain) {
        this.connectAgain = false;
        void this.connect();
      }
    }
  }

  /** One SUBSCRIBE at `master`, following redirects. Returns 'streaming', 'fatal' or a reason to retry. */
  private async trySubscribe(master: string, redirectsLeft: number): Promise<string> {
    this.snapshot.master = master;
    const call: SchedulerCall = {
      type: 'SUBSCRIBE',
      framework_id: this.framework.id,
      subscribe: { framework_info: this.framework, suppressed_roles: this.options.suppressedRoles },
    };
    let body: Buffer;
    try {
      body = schedulerCallCodec.encode(call, this.encoding);
    } catch (err) {
      this.fail(err as Error);
      return 'fatal';
    }
    let res: StreamResponse;
    try {
      res = await this.transport.openStream(master + SCHEDULER_PATH, {
        'Content-Type': MEDIA_TYPES[this.encoding],
        Accept: MEDIA_TYPES[this.encoding],
        Connection: 'close',
      }, body, this.subscribeTimeoutMs);
    } catch (err) {
      return `${master}: ${(err as Error).message}`;
    }
    if (!this.running) {
      res.close();
      return 'stopped';
    }
    const text = res.body.toString('utf8').slice(0, 500).trim();
    switch (res.status) {
      case 200:
        return this.openStream(master, res);
      case 307: {
        const location = res.headers.location;
        if (!location) return `${master}: 307 without a Location`;
        const leader = redirectTarget(location, master);
        if (redirectsLeft <= 0) return `${master}: too many redirects (last to ${leader})`;
        if (!(await resolves(leader))) return this.findLeaderAmongConfigured(master, leader);
        this.logger.info(`Mesos master ${master} is not the leader; redirected to ${leader}`);
        this.detector.noteLeader(leader);
        return this.trySubscribe(leader, redirectsLeft - 1);
      }
      case 401:
      case 403: {
        const principal = this.options.credentials?.principal;
        const who = principal
          ? `principal '${principal}'`
          : 'this framework (no principal/secret configured)';
        const what = res.status === 401 ? 'refused the credentials of' : 'denied access to';
        this.fail(new MesosAuthError(
          `Mesos master ${master} ${what} ${who} (HTTP ${res.status}${text ? `: ${text}` : ''})`, res.status, principal));
        return 'fatal';
      }
      case 503:
        return `${master}: no leading master yet (503${text ? `: ${text}` : ''})`;
      case 404:
        // A master just (re)started answers 404 until its HTTP routes are installed (libprocess
        // has no such endpoint yet): seen after a master failover in the chaos soak. Fatal, it
        // ended the daemon at every master restart it happened to hit.
        return `${master}: no scheduler endpoint yet (404: a master still starting?)`;
      default:
        if (res.status >= 400 && res.status < 500) {
          this.fail(new MesosCallError(`Mesos master ${master} rejected SUBSCRIBE: HTTP ${res.status} ${text}`.trim(), res.status, text));
          return 'fatal';
        }
        return `${master}: HTTP ${res.status} ${text}`.trim();
    }
  }

  /**
   * A 307 names the leader by its MasterInfo.hostname, which need not resolve here (a Pi's name
   * known only to the other Pis' /etc/hosts). The leader is then the configured master that
   * answers SUBSCRIBE without a redirect.
   */
  private async findLeaderAmongConfigured(redirector: string, named: string): Promise<string> {
    const others = this.detector.candidates().filter((c) => c !== redirector && c !== named);
    for (const candidate of others) {
      if (!this.running) return 'stopped';
      const outcome = await this.trySubscribe(candidate, 0);
      if (outcome === 'streaming') {
        this.logger.notice(`Mesos master ${redirector} named the leader ${named}, which does not resolve on this machine; `
          + `found the leader among the configured masters at ${candidate}`);
        this.detector.noteLeader(candidate);
      }
      if (outcome === 'streaming' || outcome === 'fatal') return outcome;
    }
    return `${redirector}: redirected to ${named}, which does not resolve on this machine, and no other configured master `
      + 'answers as the leader (list every master in --master, or make the masters\' hostnames resolvable here)';
  }

  private openStream(master: string, res: StreamResponse): 'streaming' | string {
    const streamIdHeader = res.headers['mesos-stream-id'];
    const streamId = Array.isArray(streamIdHeader) ? streamIdHeader[0] : streamIdHeader;
    if (!streamId) {
      res.close();
      return `${master}: SUBSCRIBE answer has no Mesos-Stream-Id header`;
    }
    const contentType = res.headers['content-type'];
    const active: ActiveStream = {
      master,
      streamId,
      stream: res,
      decoder: new RecordIODecoder({ maxRecordBytes: this.maxRecordBytes }),
      encoding: encodingOfMediaType(contentType) ?? this.encoding,
      subscribed: false,
      closed: false,
    };
    this.active = active;
    this.snapshot.streamId = streamId;
    this.armWatchdog(this.subscribeTimeoutMs, 'no SUBSCRIBED event');
    const response: IncomingMessage = res.response;
    response.on('data', (chunk: Buffer) => this.onData(active, chunk));
    response.on('end', () => this.onStreamEnd(active, 'the master closed the event stream'));
    response.on('close', () => this.onStreamEnd(active, 'the event stream connection closed'));
    response.on('error', (err) => this.onStreamEnd(active, `event stream error: ${err.message}`));
    return 'streaming';
  }

  private armWatchdog(ms: number, what: string): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      const master = this.active?.master ?? 'the master';
      this.logger.warn(`${what} from ${master} for ${Math.round(ms)} ms: treating the stream as dead`);
      this.dropStream(`${what} for ${Math.round(ms)} ms`);
    }, ms);
  }

  private silenceLimitMs(): number {
    return this.heartbeatMisses * (this.snapshot.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_SECONDS) * 1000;
  }

  private onData(active: ActiveStream, chunk: Buffer): void {
    if (active !== this.active || active.closed) return;
    if (active.subscribed) this.armWatchdog(this.silenceLimitMs(), 'no heartbeat');
    let records: Buffer[];
    try {
      records = active.decoder.push(chunk);
    } catch (err) {
      this.logger.error(`malformed event stream from ${active.master}; resubscribing`, err);
      this.dropStream((err as Error).message);
      return;
    }
    for (const record of records) {
      if (active !== this.active || active.closed) return;
      let event: SchedulerEvent;
      try {
        event = schedulerEventCodec.decode(record, active.encoding);
      } catch (err) {
        this.logger.error(`undecodable event from ${active.master}; resubscribing`, err);
        this.dropStream((err as Error).message);
        return;
      }
      try {
        this.dispatch(active, event);
      } catch (err) {
        // A throwing listener must not take the stream down with it.
        this.logger.error(`a listener of the ${event.type} event threw`, err);
      }
    }
  }

  private dispatch(active: ActiveStream, event: SchedulerEvent): void {
    this.snapshot.lastEventAt = Date.now();
    if (!active.subscribed && event.type !== 'SUBSCRIBED' && event.type !== 'ERROR') {
      this.logger.warn(`event ${event.type} before SUBSCRIBED from ${active.master}; ignored`);
      return;
    }
    switch (event.type) {
      case 'SUBSCRIBED': {
        const sub = event.subscribed;
        if (!sub) throw new Error('SUBSCRIBED without body');
        const resubscribed = this.framework.id?.value === sub.framework_id.value;
        this.framework.id = { value: sub.framework_id.value };
        active.subscribed = true;
        this.snapshot.frameworkId = sub.framework_id.value;
        this.snapshot.heartbeatIntervalSeconds = sub.heartbeat_interval_seconds ?? DEFAULT_HEARTBEAT_SECONDS;
        this.snapshot.subscribedAt = Date.now();
        this.snapshot.subscriptions++;
        this.snapshot.failedAttempts = 0;
        this.snapshot.lastError = undefined;
        this.backoff.reset();
        this.detector.noteLeader(active.master);
        this.armWatchdog(this.silenceLimitMs(), 'no heartbeat');
        this.logger.notice(`subscribed to Mesos master ${active.master} as framework ${sub.framework_id.value}` +
          (resubscribed ? ' (resubscribed)' : ''));
        this.setStatus('subscribed');
        this.emit('subscribed', {
          frameworkId: sub.framework_id.value,
          heartbeatIntervalSeconds: this.snapshot.heartbeatIntervalSeconds,
          master: active.master,
          masterInfo: sub.master_info,
          resubscribed,
        });
        return;
      }
      case 'HEARTBEAT':
        this.snapshot.lastHeartbeatAt = Date.now();
        this.emit('heartbeat');
        return;
      case 'OFFERS':
        this.emit('offers', event.offers?.offers ?? []);
        return;
      case 'INVERSE_OFFERS':
        this.emit('inverse_offers', event.inverse_offers?.inverse_offers ?? []);
        return;
      case 'RESCIND':
        if (event.rescind) this.emit('rescind', event.rescind.offer_id);
        return;
      case 'RESCIND_INVERSE_OFFER':
        if (event.rescind_inverse_offer) this.emit('rescind_inverse_offer', event.rescind_inverse_offer.inverse_offer_id);
        return;
      case 'UPDATE': {
        const status = event.update?.status;
        if (!status) return;
        this.emit('update', status, { duplicate: this.noteUpdate(status) });
        return;
      }
      case 'UPDATE_OPERATION_STATUS':
        if (event.update_operation_status) this.emit('update_operation_status', event.update_operation_status.status);
        return;
      case 'MESSAGE':
        if (event.message) this.emit('message', event.message);
        return;
      case 'FAILURE':
        this.emit('failure', event.failure ?? {});
        return;
      case 'ERROR': {
        const message = event.error?.message ?? 'unspecified error';
        this.logger.error(`Mesos master ${active.master} sent ERROR: ${message}`);
        this.closeStream();
        this.emit('mesos_error', message);
        this.fail(new MesosFrameworkError(`Mesos master ${active.master} ended the subscription: ${message}`));
        return;
      }
      default:
        this.logger.debug(`ignoring scheduler event ${event.type}`);
    }
  }

  /** Remembers an update's uuid; true when it was seen before. */
  private noteUpdate(status: TaskStatus): boolean {
    if (!status.uuid || status.uuid.length === 0) return false;
    const key = `${status.task_id.value}/${uuidToString(status.uuid)}`;
    if (this.seenUpdates.has(key)) return true;
    this.seenUpdates.set(key, true);
    if (this.seenUpdates.size > this.duplicateWindow) {
      const oldest = this.seenUpdates.keys().next().value;
      if (oldest !== undefined) this.seenUpdates.delete(oldest);
    }
    return false;
  }

  private onStreamEnd(active: ActiveStream, reason: string): void {
    if (active !== this.active || active.closed) return;
    this.dropStream(reason);
  }

  private closeStream(): void {
    const active = this.active;
    if (!active) return;
    active.closed = true;
    this.active = undefined;
    this.snapshot.streamId = undefined;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    active.stream.close();
  }

  /** Ends the current stream and schedules a resubscription (after `delayMs`, default backoff). */
  private dropStream(reason: string, delayMs?: number): void {
    const wasSubscribed = this.active?.subscribed ?? false;
    this.closeStream();
    if (!this.running || this.tearingDown) return;
    this.snapshot.lastError = reason;
    if (wasSubscribed) {
      this.snapshot.reconnects++;
      this.logger.warn(`lost the Mesos subscription: ${reason}`);
      this.emit('disconnected', reason);
    }
    this.reconnectSoon(delayMs ?? this.backoff.next(), reason);
  }

  private failAttempt(reason: string, level: 'debug' | 'info' | 'warn' = 'warn'): void {
    this.snapshot.failedAttempts++;
    this.snapshot.lastError = reason;
    this.logger[level](`cannot subscribe to Mesos (${reason})`);
    this.reconnectSoon(this.backoff.next(), reason);
  }

  private reconnectSoon(delayMs: number, reason: string): void {
    if (!this.running) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.snapshot.nextAttemptDelayMs = delayMs;
    this.setStatus('backoff');
    this.snapshot.nextAttemptDelayMs = delayMs;
    this.emit('reconnecting', delayMs, reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delayMs);
  }

  private fail(error: Error): void {
    this.clearTimers();
    this.closeStream();
    this.snapshot.lastError = error.message;
    this.logger.error(error.message);
    this.setStatus('failed');
    this.emit('fatal', error);
  }
}
