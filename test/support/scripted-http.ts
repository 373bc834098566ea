// An HTTP endpoint on loopback that answers as a test scripts it: the answers no real master or
// agent gives on demand (a redirect loop, a refusal with no body, an event stream cut short).
import * as http from 'http';

export interface ScriptedRequest {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface ScriptedEndpoint {
  /** "http://host:port" (an IPv6 host in brackets). */
  url: string;
  /** "host:port", as a master or agent address is given. */
  hostPort: string;
  port: number;
  /** Every request so far, in order, each recorded before it is answered. */
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/**
 * Listens on `host` (port picked by the system) and answers each request with `answer` once its
 * body has arrived; `n` counts the requests from 0. Rejects when `host` cannot be bound (no ::1).
 */
export async function scriptedEndpoint(
  answer: (res: http.ServerResponse, request: ScriptedRequest & { n: number; port: number }) => void,
  host = '127.0.0.1',
): Promise<ScriptedEndpoint> {
  const requests: ScriptedRequest[] = [];
  let port = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(parts) };
      requests.push(request);
      answer(res, { ...request, n: requests.length - 1, port });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  port = (server.address() as { port: number }).port;
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${hostPort}`, hostPort, port, requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
