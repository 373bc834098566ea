// The scheduler client's surface apart from its machinery: the options it takes, the events it
// emits, the state it reports and the errors it throws (scheduler.ts re-exports all of them).
import type { Logger } from '../common/logger';
import type { BackoffOptions } from './backoff';
import type { Encoding } from './codec';
import type { Credentials } from './credentials';
import type { MasterDetector } from './detector';
import type { TlsOptions } from './transport';
import type {
  FrameworkInfo, InverseOffer, MasterInfo, Offer, OfferID, OperationStatus, SchedulerFailure, SchedulerMessage, TaskStatus,
} from './types';

/** Anything that names an ID: the string itself or the Mesos { value } message. */
export type IdLike = string | { value: string };

export function toId(id: IdLike): { value: string } {
  return typeof id === 'string' ? { value: id } : { value: id.value };
}

/** A call the master refused or could not be delivered. Never retried by the client. */
/** A call the master refused or could not be delivered. Never retried by the client. */
export class MesosCallError extends Error {
  constructor(message: string, readonly status?: number, readonly body?: string) {
    super(message);
    this.name = 'MesosCallError';
  }
}

/** 401/403 on SUBSCRIBE: the credentials are wrong or not allowed; retrying cannot help. */
export class MesosAuthError extends Error {
  constructor(message: string, readonly status: number, readonly principal?: string) {
    super(message);
    this.name = 'MesosAuthError';
  }
}

/** The master ended the subscription with an ERROR event (e.g. framework removed or failed over). */
export class MesosFrameworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MesosFrameworkError';
  }
}

export type SchedulerStatus = 'idle' | 'connecting' | 'subscribed' | 'backoff' | 'failed' | 'stopped';

/** A snapshot for displays and metrics. */
export interface SchedulerConnectionState {
  status: SchedulerStatus;
  /** Base URL of the master currently (or last) subscribed to or tried. */
  master?: string;
  frameworkId?: string;
  streamId?: string;
  heartbeatIntervalSeconds?: number;
  /** Epoch milliseconds. */
  subscribedAt?: number;
  lastHeartbeatAt?: number;
  lastEventAt?: number;
  /** Successful SUBSCRIBED events so far (the first one included). */
  subscriptions: number;
  /** Times a subscription was lost and had to be re-established. */
  reconnects: number;
  /** Failed attempts since the last successful subscription. */
  failedAttempts: number;
  /** The delay before the next attempt while in 'backoff'. */
  nextAttemptDelayMs?: number;
  lastError?: string;
}

export interface SubscribedInfo {
  frameworkId: string;
  heartbeatIntervalSeconds: number;
  master: string;
  masterInfo?: MasterInfo;
  /** True when this subscription reused a framework ID (stored, or from an earlier stream). */
  resubscribed: boolean;
}

export interface SchedulerClientEvents {
  subscribed: [info: SubscribedInfo];
  offers: [offers: Offer[]];
  inverse_offers: [offers: InverseOffer[]];
  rescind: [offerId: OfferID];
  rescind_inverse_offer: [offerId: OfferID];
  /** `duplicate`: an update with this uuid was already delivered (ACK it again anyway). */
  update: [status: TaskStatus, info: { duplicate: boolean }];
  update_operation_status: [status: OperationStatus];
  message: [message: SchedulerMessage];
  failure: [failure: SchedulerFailure];
  heartbeat: [];
  /** The master's ERROR event; the client stops (see 'fatal'). */
  mesos_error: [message: string];
  /** The subscription was lost; the client reconnects by itself unless stopped. */
  disconnected: [reason: string];
  /** About to wait `delayMs` before the next subscription attempt. */
  reconnecting: [delayMs: number, reason: string];
  /** Unrecoverable: authentication refused, ERROR event, malformed SUBSCRIBE. The client is 'failed'. */
  fatal: [error: Error];
  state: [state: SchedulerConnectionState];
}

export interface SchedulerClientOptions {
  /** "host:port[,host:port…]", "zk://host:port[,…]/path", or a detector. */
  master: string | MasterDetector;
  /** `id` may be set to resubscribe with a stored framework ID. */
  framework: FrameworkInfo;
  suppressedRoles?: string[];
  /** Wire format (default protobuf). */
  encoding?: Encoding;
  credentials?: Credentials;
  /** https: used for masters given without a scheme, and the CA to trust. */
  scheme?: 'http' | 'https';
  tls?: TlsOptions;
  /** Reconnection backoff (default 1 s doubling to 15 s, with jitter). */
  backoff?: BackoffOptions;
  /** Heartbeats missed before the stream is declared dead (default 5). */
  heartbeatMisses?: number;
  /** Wait for the SUBSCRIBE response headers and first event (default 30 s). */
  subscribeTimeoutMs?: number;
  /** Timeout of other calls (default 30 s). */
  callTimeoutMs?: number;
  maxRedirects?: number;
  maxRecordBytes?: number;
  /** Remembered update uuids, to flag duplicates (default 10000). */
  duplicateWindow?: number;
  logger?: Logger;
}
