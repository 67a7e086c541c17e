import crypto from 'node:crypto';
import type http from 'node:http';

import { EXPORT_FILES, type ExportFile } from '../../../shared/history.js';
import { ApiFailure } from '../api.js';
import type { Export } from '../store/sessionExport.js';

/**
 * The two HTTP routes behind the token (given as `Authorization: Bearer <token>`, never in a URL a browser keeps):
 * GET /token-check, which tells a page whether its token is still this host's (204) or was replaced (401), so a
 * page can say so instead of retrying in silence; and GET /export/<session>/<file>, a session's file as a download.
 */

export interface PanelRoutes {
  token: () => string;
  exportOf: (session: string, file: ExportFile) => Export;
}

type Headers = Record<string, string>;

/** Handles the request if it is for one of these routes; false when it is not (a static file). */
export function servePanelRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  routes: PanelRoutes,
  headers: Headers,
): boolean {
  const pathname = (request.url ?? '/').split('?')[0]!;
  if (pathname !== '/token-check' && !pathname.startsWith('/export/')) return false;
  const answer = (status: number, text: string, extra: Headers = {}): true => {
    response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
    response.end(request.method === 'HEAD' || status === 204 ? undefined : `${text}\n`);
    return true;
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method Not Allowed', { Allow: 'GET' });
  if (!tokensMatch(bearerOf(request), routes.token())) return answer(401, 'Unauthorized');
  if (pathname === '/token-check') return answer(204, '');
  const [, , session = '', file = '', ...more] = pathname.split('/');
  if (more.length > 0 || !(EXPORT_FILES as readonly string[]).includes(file)) return answer(404, 'Not Found');
  let exported: Export;
  try {
    exported = routes.exportOf(decodeURIComponent(session), file as ExportFile);
  } catch (error) {
    if (error instanceof ApiFailure || error instanceof URIError) return answer(404, 'No such session');
    throw error;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': exported.contentType,
    'Content-Disposition': `attachment; filename="${exported.filename}"`,
  });
  if (request.method === 'HEAD') {
    response.end();
    return true;
  }
  streamOut(response, exported.chunks[Symbol.iterator]());
  return true;
}

/** Writes the chunks as the client takes them: a week of transcripts never sits whole in the host's memory. */
function streamOut(response: http.ServerResponse, chunks: Iterator<string>): void {
  const pump = () => {
    for (;;) {
      let step: IteratorResult<string>;
      try {
        step = chunks.next();
      } catch {
        // A file that went away mid-export: the download ends short rather than the host failing.
        response.destroy();
        return;
      }
      if (step.done) {
        response.end();
        return;
      }
      if (!response.write(step.value)) {
        response.once('drain', pump);
        return;
      }
    }
  };
  response.on('error', () => undefined);
  pump();
}

function bearerOf(request: http.IncomingMessage): string {
  const match = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(request.headers.authorization ?? '');
  return match?.[1] ?? '';
}

export function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * Refusals worth a line: one per client address and token presented, so a page that retries with a replaced token
 * every few seconds is said once, not per retry. Bounded, so a flood of made-up tokens cannot grow it without end.
 */
export class RefusalMemory {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 1024) {}

  /** True the first time this address refused with this token (or where the memory is full: say it anyway). */
  firstTime(address: string | undefined, token: string): boolean {
    const key = `${address ?? '?'} ${crypto.createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) return true;
    this.seen.add(key);
    return true;
  }
}
