import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// One HTTP request and its whole answer over node:http(s) with kept-alive connections. got cost
// ~550 µs of CPU per call (its options machinery, hooks, streams), four times the request itself;
// the mirror makes one call per relation. Redirects, credentials and outcomes are RemoteHttp's.

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`Timeout awaiting 'request' for ${ms}ms`);
    this.name = 'TimeoutError';
  }
}

/** Sends the request; resolves with the answer of any status, rejects on network errors and the deadline. */
export function exchange(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  deadline: number,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const ms = Math.max(0, deadline - Date.now());
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new TimeoutError(ms)), ms);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
