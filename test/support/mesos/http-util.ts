// Server-side HTTP helpers shared by the test master and agent.
import type { IncomingMessage, ServerResponse } from 'http';
import type { Socket } from 'net';
import { Encoding, encodingOfMediaType, MEDIA_TYPES } from '../../../src/mesos/codec';
import { encodeRecord } from '../../../src/mesos/recordio';

export function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export function reply(res: ServerResponse, status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/**
 * The request encoding (Content-Type, compared exactly as Mesos does) and the response encoding
 * (Accept; Mesos defaults to JSON). Answers 415/406 itself and returns undefined then.
 */
export function negotiate(req: IncomingMessage, res: ServerResponse): { request: Encoding; response: Encoding } | undefined {
  const request = encodingOfMediaType(req.headers['content-type']);
  if (!request) {
    reply(res, 415, `Expecting 'Content-Type' of ${MEDIA_TYPES.json} or ${MEDIA_TYPES.protobuf}`);
    return undefined;
  }
  const accept = req.headers.accept;
  let response: Encoding = 'json';
  if (accept && accept !== '*/*') {
    if (accept.includes(MEDIA_TYPES.protobuf)) response = 'protobuf';
    else if (accept.includes(MEDIA_TYPES.json) || accept.includes('application/*')) response = 'json';
    else {
      reply(res, 406, `Expecting 'Accept' to allow ${MEDIA_TYPES.json} or ${MEDIA_TYPES.protobuf}`);
      return undefined;
    }
  }
  return { request, response };
}

/** A RecordIO event stream on an open response, with the fault switches tests flip. */
export class RecordIOStream {
  closed = false;
  /** While true nothing is written: the connection stays open but goes quiet. */
  silent = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(readonly res: ServerResponse, readonly encoding: Encoding, headers: Record<string, string> = {}) {
    res.writeHead(200, {
      'Content-Type': MEDIA_TYPES[encoding],
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
      ...headers,
    });
    // Headers go out at once: clients wait for them before reading events.
    res.flushHeaders();
    res.on('close', () => this.markClosed());
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  write(record: Buffer): void {
    if (this.closed || this.silent) return;
    this.res.write(encodeRecord(record));
  }

  writeRaw(bytes: Buffer): void {
    if (this.closed) return;
    this.res.write(bytes);
  }

  /** Ends the stream cleanly (the client sees the end of the response). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    this.markClosed();
  }

  /** Cuts the connection without ending the response. */
  destroy(): void {
    if (this.closed) return;
    (this.res.socket as Socket | null)?.destroy();
    this.res.destroy();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners.splice(0)) l();
  }
}

/** Tracks a server's sockets so stop() can cut them all (keep-alive and streams included). */
export function trackSockets(server: import('net').Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}
