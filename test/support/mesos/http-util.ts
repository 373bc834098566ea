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
 * libprocess' Request::acceptsMediaType (3rdparty/libprocess/src/http.cpp): no Accept header
 * accepts everything; otherwise `type/subtype`, then type-slash-star, then star-slash-star must be listed with a
 * q value that is not 0. An empty header accepts nothing.
 */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return true;
  const [type] = mediaType.split('/');
  const entries = header.replace(/[ \t\n]/g, '').split(',').filter(Boolean);
  for (const candidate of [mediaType, `${type}/*`, '*/*']) {
    for (const entry of entries) {
      const tokens = entry.split(';').filter(Boolean);
      if (tokens.length === 0 || tokens[0].toLowerCase() !== candidate.toLowerCase()) continue;
      const q = tokens.slice(1).map((t) => t.split('=')).filter((kv) => kv[0] === 'q');
      if (q.length !== 1 || q[0].length !== 2) return true;
      const v = Number(q[0][1]);
      return q[0][1] !== '' && Number.isFinite(v) && v > 0;
    }
  }
  return false;
}

/**
 * The request's encoding, from Content-Type compared exactly as Mesos does (master/http.cpp,
 * slave/http.cpp): missing is 400, anything but the two media types (parameters included) 415.
 */
export function requestEncoding(req: IncomingMessage, res: ServerResponse): Encoding | undefined {
  const contentType = req.headers['content-type'];
  if (contentType === undefined) {
    reply(res, 400, "Expecting 'Content-Type' to be present");
    return undefined;
  }
  const request = encodingOfMediaType(contentType);
  if (!request) {
    reply(res, 415, `Expecting 'Content-Type' of ${MEDIA_TYPES.json} or ${MEDIA_TYPES.protobuf}`);
    return undefined;
  }
  return request;
}

/**
 * The response's encoding: JSON when Accept allows it, else protobuf, else 406 (Mesos asks JSON
 * first, so `Accept: application/json, application/x-protobuf` and a missing Accept get JSON).
 */
export function responseEncoding(req: IncomingMessage, res: ServerResponse): Encoding | undefined {
  const accept = req.headers.accept;
  if (acceptsMediaType(accept, MEDIA_TYPES.json)) return 'json';
  if (acceptsMediaType(accept, MEDIA_TYPES.protobuf)) return 'protobuf';
  reply(res, 406, `Expecting 'Accept' to allow '${MEDIA_TYPES.protobuf}' or '${MEDIA_TYPES.json}'`);
  return undefined;
}

/** Decodes a call as Mesos words its failures (400 bodies). */
export function decodeCall<T>(body: Buffer, encoding: Encoding, decode: (b: Buffer, e: Encoding) => T): { call?: T; error?: string } {
  if (encoding === 'json') {
    try {
      JSON.parse(body.toString('utf8'));
    } catch (err) {
      return { error: `Failed to parse body into JSON: ${(err as Error).message}` };
    }
    try {
      return { call: decode(body, encoding) };
    } catch (err) {
      return { error: `Failed to convert JSON into Call protobuf: ${(err as Error).message}` };
    }
  }
  try {
    return { call: decode(body, encoding) };
  } catch {
    return { error: 'Failed to parse body into Call protobuf' };
  }
}

/** Request and response encodings at once (operator API: Accept is checked for every call). */
export function negotiate(req: IncomingMessage, res: ServerResponse): { request: Encoding; response: Encoding } | undefined {
  const request = requestEncoding(req, res);
  if (!request) return undefined;
  const response = responseEncoding(req, res);
  if (!response) return undefined;
  return { request, response };
}

/** A stout UUID from bytes (id::UUID::fromBytes): 16 bytes with a known version. */
export function validUuid(bytes: Buffer | undefined): boolean {
  if (!bytes || bytes.length !== 16) return false;
  const version = bytes[6] >> 4;
  return version >= 1 && version <= 5;
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
