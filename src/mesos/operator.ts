// The master's operator API (POST /api/v1) and metrics, for the status display: per-agent
// total / allocated / offered resources, and the master's metrics.
import { Logger, silentLogger } from '../common/logger';
import { Encoding, MEDIA_TYPES, operatorCallCodec, operatorResponseCodec } from './codec';
import { Credentials } from './credentials';
import { detectorFor, MasterDetector } from './detector';
import { summarizeResources, ScalarSummary } from './resources';
import { MesosAuthError, MesosCallError } from './scheduler';
import { HttpResponse, HttpTransport, redirectTarget, TlsOptions } from './transport';
import type { OperatorAgent, OperatorCall, OperatorResponse } from './types';

export const OPERATOR_PATH = '/api/v1';
export const METRICS_SNAPSHOT_PATH = '/metrics/snapshot';

export interface AgentResources {
  id: string;
  hostname: string;
  active: boolean;
  total: ScalarSummary;
  allocated: ScalarSummary;
  offered: ScalarSummary;
  /** The agent as the master described it. */
  raw: OperatorAgent;
}

export interface OperatorClientOptions {
  master: string | MasterDetector;
  encoding?: Encoding;
  credentials?: Credentials;
  scheme?: 'http' | 'https';
  tls?: TlsOptions;
  timeoutMs?: number;
  maxRedirects?: number;
  logger?: Logger;
}

export class OperatorClient {
  private readonly detector: MasterDetector;
  private readonly ownsDetector: boolean;
  private readonly transport: HttpTransport;
  private readonly encoding: Encoding;
  private readonly logger: Logger;
  private readonly maxRedirects: number;
  private started = false;

  constructor(private readonly options: OperatorClientOptions) {
    this.logger = options.logger ?? silentLogger;
    ({ detector: this.detector, owned: this.ownsDetector } = detectorFor(options.master, { scheme: options.scheme, logger: this.logger }));
    this.transport = new HttpTransport({
      credentials: options.credentials, tls: options.tls, requestTimeoutMs: options.timeoutMs ?? 10_000,
    });
    this.encoding = options.encoding ?? 'protobuf';
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /** Sends an operator call to the leading master (following 307s) and decodes the answer. */
  async call(call: OperatorCall): Promise<OperatorResponse> {
    const body = operatorCallCodec.encode(call, this.encoding);
    const res = await this.send(OPERATOR_PATH, 'POST', body, call.type ?? 'call');
    if (res.body.length === 0) return {};
    return operatorResponseCodec.decode(res.body, this.encoding);
  }

  /** GET_AGENTS, summarised per agent. */
  async getAgents(): Promise<AgentResources[]> {
    const res = await this.call({ type: 'GET_AGENTS' });
    return (res.get_agents?.agents ?? []).map((a) => ({
      id: a.agent_info.id?.value ?? '',
      hostname: a.agent_info.hostname,
      active: a.active,
      total: summarizeResources(a.total_resources),
      allocated: summarizeResources(a.allocated_resources),
      offered: summarizeResources(a.offered_resources),
      raw: a,
    }));
  }

  /** GET_METRICS: every metric of the leading master (not rate-limited, unlike /metrics/snapshot). */
  async getMetrics(timeoutMs?: number): Promise<Record<string, number>> {
    const res = await this.call({
      type: 'GET_METRICS',
      get_metrics: timeoutMs ? { timeout: { nanoseconds: timeoutMs * 1e6 } } : {},
    });
    const out: Record<string, number> = {};
    for (const m of res.get_metrics?.metrics ?? []) out[m.name] = m.value ?? 0;
    return out;
  }

  /** GET /metrics/snapshot (JSON); Mesos rate-limits it, so prefer getMetrics(). */
  async metricsSnapshot(): Promise<Record<string, number>> {
    const res = await this.send(METRICS_SNAPSHOT_PATH, 'GET', undefined, 'metrics snapshot');
    const parsed = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
    return out;
  }

  async close(): Promise<void> {
    if (this.ownsDetector && this.started) await this.detector.stop();
    this.transport.close();
  }

  private async send(path: string, method: string, body: Buffer | undefined, what: string): Promise<HttpResponse> {
    if (!this.started) {
      this.started = true;
      if (this.ownsDetector) this.detector.start();
    }
    const candidates = this.detector.candidates();
    if (candidates.length === 0) throw new MesosCallError(`${what}: no leading master known (${this.detector.description})`);
    const headers: Record<string, string> = { Accept: method === 'GET' ? 'application/json' : MEDIA_TYPES[this.encoding] };
    if (body) headers['Content-Type'] = MEDIA_TYPES[this.encoding];
    const errors: string[] = [];
    for (const start of candidates) {
      let master = start;
      for (let hop = 0; hop <= this.maxRedirects; hop++) {
        let res: HttpResponse;
        try {
          res = await this.transport.request(master + path, method, headers, body);
        } catch (err) {
          errors.push(`${master}: ${(err as Error).message}`);
          break;
        }
        if (res.status === 200) return res;
        const text = res.body.toString('utf8').slice(0, 300).trim();
        if (res.status === 307 && res.headers.location) {
          master = redirectTarget(res.headers.location, master);
          this.detector.noteLeader(master);
          continue;
        }
        if (res.status === 401 || res.status === 403) {
          const principal = this.options.credentials?.principal;
          throw new MesosAuthError(`Mesos master ${master} refused ${what} for ${principal ? `principal '${principal}'` : 'an unauthenticated client'} (HTTP ${res.status})`, res.status, principal);
        }
        errors.push(`${master}: HTTP ${res.status} ${text}`.trim());
        break;
      }
    }
    throw new MesosCallError(`${what} failed: ${errors.join('; ')}`);
  }
}
