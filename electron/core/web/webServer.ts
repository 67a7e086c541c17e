import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { WebSocketServer, type WebSocket } from 'ws';

import { MAX_MESSAGE_BYTES, type HostSnapshot } from '../../../shared/api.js';
import type { ApiError } from '../../../shared/errors.js';
import type { HostEvent } from '../../../shared/events.js';
import type { ExportFile } from '../../../shared/history.js';
import { ApiFailure, type Api } from '../api.js';
import { LineBudget } from '../lineBudget.js';
import type { Logger } from '../logger.js';
import type { Export } from '../store/sessionExport.js';
import { ClientChannel } from './clientChannel.js';
import { RefusalMemory, servePanelRoute, tokensMatch } from './panelRoutes.js';
import { isOwnHost, isOwnOrigin, ownHosts } from './ownAddress.js';
import { staticTarget } from './staticPath.js';

/**
 * The web transport: serves the built renderer and a WebSocket that speaks the same api table as the Electron IPC.
 * Binds 127.0.0.1 unless told otherwise, answers only requests addressed to its own names (Host, and a browser's
 * Origin), requires the session token, and limits the size and the number of what it reads. Nothing a client sends
 * can throw out of a handler: what it cannot serve gets a 4xx, and an error of its own a 500, counted (onCaught).
 */

export interface WebServerOptions {
  host: string;
  port: number;
  api: Api;
  snapshot: () => HostSnapshot;
  subscribe: (listener: (event: HostEvent) => void) => () => void;
  log: Logger;
  /** Folder of the built renderer (index.html and assets/). */
  rendererDir: string | null;
  /** The token (kept in the data folder: panelToken.ts); a random one where none is given (tests). */
  token?: string;
  /** A session's file for GET /export/<session>/<file>; absent: nothing to export. */
  exportOf?: (session: string, file: ExportFile) => Export;
  /** An error a handler caught that should not have happened (the last resort counts these). */
  onCaught?: (what: string, error: unknown) => void;
}

/** Frames above this are refused by ws itself (closing the socket); between MAX_MESSAGE_BYTES and this we answer. */
const HARD_PAYLOAD_LIMIT = 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Scripts only from the app itself, no inline script, sockets only back to this server. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * The built renderer: dist/renderer, beside dist/electron when this file is built, or under the repository root
 * when the host runs from source (where renderer/ holds the unbuilt sources, which a browser cannot run).
 */
export function findRendererDir(): string | null {
  const file = fileURLToPath(import.meta.url);
  const fromSource = path.extname(file) === '.ts';
  const dir = path.resolve(path.dirname(file), fromSource ? '../../../dist/renderer' : '../../../renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

export class WebServer {
  private currentToken: string;
  private readonly server: http.Server;
  // One message per turn of the event loop (allowSynchronousEvents: false): a flood of them waits in the socket,
  // and the watchdog's timers run between any two.
  private readonly sockets = new WebSocketServer({
    noServer: true,
    maxPayload: HARD_PAYLOAD_LIMIT,
    allowSynchronousEvents: false,
  });
  private port = 0;
  /** Refusals are logged, but a page that sends thousands must not fill the disk with them. */
  private readonly refusalLines = new LineBudget(10);
  /** A page retrying with a replaced token is told once in the log, not every few seconds. */
  private readonly refusedTokens = new RefusalMemory();

  constructor(private readonly options: WebServerOptions) {
    this.currentToken = options.token ?? crypto.randomBytes(24).toString('base64url');
    this.server = http.createServer((request, response) => {
      this.guard('a request', () => this.serveFile(request, response), response);
    });
    // Node's own listener goes when a socket is upgraded; this one stays, so that a client's reset or bad bytes
    // never reach the process as an 'error' without a listener.
    this.server.on('connection', (socket) => socket.on('error', () => socket.destroy()));
    // CONNECT is for proxies; without a listener Node would close the connection without a word.
    this.server.on('connect', (_request, socket) => {
      socket.end(
        'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
    });
    this.server.on('upgrade', (request, socket, head) => {
      this.guard('a WebSocket upgrade', () => {
        const refusal = this.refuseUpgrade(request);
        if (refusal) {
          socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
          this.logRefusal(request, refusal);
          return;
        }
        this.sockets.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws));
      });
    });
  }

  get token(): string {
    return this.currentToken;
  }

  /** The URL to open (it carries the token). */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.port}/?token=${this.currentToken}`;
  }

  /**
   * Serves a new token from now on. Pages connected with the old one are closed (code 4001) a moment later, after
   * the reply to the page that asked has gone out; on reconnecting they are refused and say what to do.
   */
  replaceToken(token: string): void {
    this.currentToken = token;
    const clients = [...this.sockets.clients];
    setTimeout(() => {
      for (const client of clients) client.close(4001, 'token replaced');
    }, 250);
  }

  /** Listens; resolves with the URL to open (it carries the token). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Once listening, an error of the server itself (out of file descriptors on accept) is said, not thrown.
    this.server.on('error', (error) => this.options.log.error('web', `the web server: ${error.message}`));
    this.port = (this.server.address() as AddressInfo).port;
    if (!isLoopback(this.options.host)) {
      this.options.log.warn(
        'web',
        `the panel is reachable from the network on ${this.options.host}:${this.port}; anyone with the token controls it`,
      );
    }
    return this.url;
  }

  async close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Runs a handler; what it throws is counted and, while the response can still say so, answered with a 500. */
  private guard(what: string, handler: () => void, response?: http.ServerResponse): void {
    try {
      handler();
    } catch (error) {
      this.caught(what, error);
      if (!response) return;
      if (response.headersSent) response.destroy();
      else response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal error\n');
    }
  }

  private caught(what: string, error: unknown): void {
    if (this.options.onCaught) this.options.onCaught(what, error);
    else this.options.log.error('web', `caught in ${what}: ${(error as Error)?.stack ?? String(error)}`);
  }

  private isOwnHost(request: http.IncomingMessage): boolean {
    return isOwnHost(request.headers.host, ownHosts(this.options.host, this.port));
  }

  private logRefusal(request: http.IncomingMessage, refusal: string): void {
    const address = request.socket.remoteAddress;
    if (refusal.startsWith('401')) {
      const given = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
      if (!this.refusedTokens.firstTime(address, given) || !this.refusalLines.take()) return;
      this.options.log.warn(
        'web',
        `refused a WebSocket from ${address}: ${refusal} (a wrong or replaced token; its retries are not logged)`,
      );
    } else if (this.refusalLines.take()) {
      this.options.log.warn('web', `refused a WebSocket from ${address}: ${refusal}`);
    }
  }

  private refuseUpgrade(request: http.IncomingMessage): string | null {
    if (!this.isOwnHost(request)) return '421 Misdirected Request';
    const target = request.url ?? '/';
    if (target.length > 4096) return '414 URI Too Long';
    let url: URL;
    try {
      url = new URL(target, 'http://localhost');
    } catch {
      return '400 Bad Request';
    }
    if (url.pathname !== '/ws') return '404 Not Found';
    if (!tokensMatch(url.searchParams.get('token') ?? '', this.token)) return '401 Unauthorized';
    // Browsers always send Origin: only a page this server served may connect. Other clients (scripts) have no
    // Origin and need the token alone.
    const origin = request.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, ownHosts(this.options.host, this.port))) return '403 Forbidden';
    return null;
  }

  private onConnection(ws: WebSocket): void {
    const channel = new ClientChannel(ws, {
      snapshot: () => this.options.snapshot(),
      warn: (message) => this.options.log.warn('web', message),
      onCaught: (what, error) => this.caught(what, error),
    });
    channel.start();
    const unsubscribe = this.options.subscribe((event) => channel.push({ kind: 'event', event }));
    ws.on('close', () => {
      unsubscribe();
      channel.dispose();
    });
    // Bad frames (invalid UTF-8, a frame over the limit) close the socket; ws says so here first.
    ws.on('error', unsubscribe);
    ws.on('message', (data, isBinary) =>
      this.guard('a message', () => this.onMessage(channel, data as Buffer, isBinary)),
    );
  }

  private onMessage(channel: ClientChannel, data: Buffer, isBinary: boolean): void {
    const request = readRequest(data, isBinary);
    if (!request.ok) channel.refuse(request.error);
    else channel.call(request.id, () => this.options.api.call(request.method, request.params));
  }

  private serveFile(request: http.IncomingMessage, response: http.ServerResponse): void {
    const headers = {
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    const refuse = (status: number, extra: Record<string, string> = {}) => {
      response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      response.end(request.method === 'HEAD' ? undefined : `${http.STATUS_CODES[status] ?? status}\n`);
    };
    // A page on another name (a DNS-rebinding one) gets nothing of the panel, not even its scripts.
    if (!this.isOwnHost(request)) return refuse(421);
    const routes = {
      token: () => this.currentToken,
      exportOf:
        this.options.exportOf ??
        (() => {
          throw new ApiFailure('INVALID_PARAMS', 'nothing to export', 'session');
        }),
    };
    if (servePanelRoute(request, response, routes, headers)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, { Allow: 'GET, HEAD' });
    const target = staticTarget(request.url ?? '/');
    if (!target.ok) return refuse(target.status);
    const root = this.options.rendererDir;
    if (!root) {
      response
        .writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('The panel is not built. Run `npm run build`, then start the host again.\n');
      return;
    }
    const file = path.resolve(root, target.relative);
    // staticTarget refuses every climbing path already; this says the same of the result, whatever resolve did.
    if (!file.startsWith(root + path.sep)) return refuse(400);
    fs.readFile(file, (error, content) => {
      this.guard(
        'a file read',
        () => {
          if (error) return refuse(NOT_THERE.has(error.code ?? '') ? 404 : 500);
          response
            .writeHead(200, {
              ...headers,
              'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
            })
            .end(request.method === 'HEAD' ? undefined : content);
        },
        response,
      );
    });
  }
}

/** Read errors that mean "no such file here"; any other is the server's trouble (500). */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

type ReadRequest = { ok: true; id: number; method: string; params: unknown } | { ok: false; error: ApiError };

/** A message as a request: JSON text of {id, method, params}, within MAX_MESSAGE_BYTES. */
function readRequest(data: Buffer, isBinary: boolean): ReadRequest {
  if (data.length > MAX_MESSAGE_BYTES) {
    return { ok: false, error: { code: 'TOO_LARGE', message: `messages are limited to ${MAX_MESSAGE_BYTES} bytes` } };
  }
  let request: unknown;
  try {
    if (isBinary) throw new Error('binary');
    request = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'MALFORMED', message: 'a request must be a JSON text message' } };
  }
  const { id, method, params } = (request ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
  if (
    typeof request !== 'object' ||
    Array.isArray(request) ||
    !Number.isSafeInteger(id) ||
    typeof method !== 'string'
  ) {
    return {
      ok: false,
      error: { code: 'MALFORMED', message: 'a request is {"id": number, "method": string, "params": object}' },
    };
  }
  return { ok: true, id: id as number, method, params };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
