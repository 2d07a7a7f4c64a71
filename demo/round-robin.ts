/**
 * A minimal round-robin load balancer for the demo and the scale-out tests:
 * each request goes to the next live instance; a refused connection tries
 * the following one, so killing an instance does not fail the user's call.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

/** A request handler that spreads requests over `targets` (origins like `http://localhost:3101`). */
export function roundRobin(targets: () => string[]): (req: IncomingMessage, res: ServerResponse) => void {
  let next = 0;
  const agent = new http.Agent({ keepAlive: true });
  return (req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const list = targets();
      const attempt = (tries: number) => {
        if (tries >= list.length) {
          res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"bad_gateway","error_description":"no instance answered"}');
          return;
        }
        const target = new URL(req.url ?? '/', list[next++ % list.length]);
        const upstream = http.request(target, { method: req.method, headers: req.headers, agent }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => {
          if (!res.headersSent) attempt(tries + 1);
          else res.destroy();
        });
        upstream.end(Buffer.concat(body));
      };
      attempt(0);
    });
  };
}
