import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { WebSocketServer, type WebSocket } from 'ws';

import { MAX_MESSAGE_BYTES, type HostSnapshot, type ServerPush, type WireReply } from '../../../shared/api.js';
import type { ApiError } from '../../../shared/errors.js';
import type { HostEvent } from '../../../shared/events.js';
import type { Api } from '../api.js';
import type { Logger } from '../logger.js';

/**
 * The web transport: serves the built renderer and a WebSocket that speaks the same api table as the Electron IPC.
 * Binds 127.0.0.1 unless told otherwise, requires the session token, checks the Origin of browsers, and limits the
 * size of what it reads.
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
  /** A fixed token (tests); a random one otherwise. */
  token?: string;
}

/** A client that falls this far behind is dropped; it reconnects and gets a fresh snapshot. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
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
  readonly token: string;
  private readonly server: http.Server;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: HARD_PAYLOAD_LIMIT });
  private url = '';

  constructor(private readonly options: WebServerOptions) {
    this.token = options.token ?? crypto.randomBytes(24).toString('base64url');
    this.server = http.createServer((request, response) => this.serveFile(request, response));
    this.server.on('upgrade', (request, socket, head) => {
      const refusal = this.refuseUpgrade(request);
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        this.options.log.warn('web', `refused a WebSocket from ${request.socket.remoteAddress}: ${refusal}`);
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws));
    });
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
    const { port } = this.server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    this.url = `http://${host}:${port}/?token=${this.token}`;
    if (!isLoopback(this.options.host)) {
      this.options.log.warn(
        'web',
        `the panel is reachable from the network on ${this.options.host}:${port}; anyone with the token controls it`,
      );
    }
    return this.url;
  }

  async close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private refuseUpgrade(request: http.IncomingMessage): string | null {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return '404 Not Found';
    if (!tokensMatch(url.searchParams.get('token') ?? '', this.token)) return '401 Unauthorized';
    // Browsers always send Origin: only the page this server served may connect. Other clients (scripts) have
    // no Origin and need the token alone.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return '403 Forbidden';
    return null;
  }

  private onConnection(ws: WebSocket): void {
    const push = (message: ServerPush): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.options.log.warn('web', 'dropped a client that could not keep up; it will reconnect');
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(message));
    };
    push({ kind: 'snapshot', snapshot: this.options.snapshot() });
    const unsubscribe = this.options.subscribe((event) => push({ kind: 'event', event }));
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
    ws.on('message', (data, isBinary) => {
      void this.onMessage(ws, data as Buffer, isBinary);
    });
  }

  private async onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): Promise<void> {
    const reply = (message: WireReply | { id: null; ok: false; error: ApiError }) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    if (data.length > MAX_MESSAGE_BYTES) {
      reply({
        id: null,
        ok: false,
        error: { code: 'TOO_LARGE', message: `messages are limited to ${MAX_MESSAGE_BYTES} bytes` },
      });
      return;
    }
    let request: unknown;
    try {
      if (isBinary) throw new Error('binary');
      request = JSON.parse(data.toString('utf8'));
    } catch {
      reply({ id: null, ok: false, error: { code: 'MALFORMED', message: 'a request must be a JSON text message' } });
      return;
    }
    const { id, method, params } = (request ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
    if (
      typeof request !== 'object' ||
      Array.isArray(request) ||
      !Number.isSafeInteger(id) ||
      typeof method !== 'string'
    ) {
      reply({
        id: null,
        ok: false,
        error: { code: 'MALFORMED', message: 'a request is {"id": number, "method": string, "params": object}' },
      });
      return;
    }
    const result = await this.options.api.call(method, params);
    reply({ id: id as number, ...result });
  }

  private serveFile(request: http.IncomingMessage, response: http.ServerResponse): void {
    const headers = {
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    const root = this.options.rendererDir;
    if (!root) {
      response
        .writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('The panel is not built. Run `npm run build`, then start the host again.\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      response.writeHead(400, headers).end();
      return;
    }
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep)) {
      response.writeHead(403, headers).end();
      return;
    }
    fs.readFile(file, (error, content) => {
      if (error) {
        response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
        return;
      }
      response
        .writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' })
        .end(request.method === 'HEAD' ? undefined : content);
    });
  }
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
