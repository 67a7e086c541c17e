import type { JarClient, MethodName, MethodParams, MethodResults, ServerPush } from '../../shared/api.js';
import type { ApiResult } from '../../shared/errors.js';

/**
 * `closed`: the host is gone for now (retrying); `refused`: it is there but no longer takes this page's token, and
 * retrying cannot help: the message says what to do.
 */
export type ConnectionStatus =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'closed'; message: string; retryInMs: number; since: number }
  | { kind: 'refused'; message: string; since: number };

const CALL_TIMEOUT_MS = 15_000;
/** A host restarted by systemd is back within seconds: the page must be too, without hammering one that is not. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 3_000;

export const TOKEN_REPLACED_MESSAGE =
  "This panel's token was replaced, so the host no longer accepts this page. Open the new address the host " +
  'printed (it is in its log: the line "its new address" or "panel on"), or ask whoever runs it.';

/**
 * The browser transport: one WebSocket to the host that served the page, reconnecting with back-off. After every
 * (re)connect the host sends a fresh snapshot first, so a client that missed events simply starts over. A browser
 * cannot see why an upgrade failed, so before each retry it asks the host (GET /token-check) whether the token is
 * still good: a replaced token is said once and not retried.
 */
export class WebSocketClient implements JarClient {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ApiResult<unknown>) => void>();
  private readonly listeners = new Set<(message: ServerPush) => void>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private retryMs = FIRST_RETRY_MS;
  private everOpened = false;
  private status: ConnectionStatus = { kind: 'connecting' };
  private lostAt = 0;

  constructor(
    private url: string,
    private token: string,
  ) {
    this.connect();
  }

  /** After token.renew: the next connection uses the new token (the host closes this one in a moment). */
  useToken(url: string, token: string): void {
    this.url = url;
    this.token = token;
  }

  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<ApiResult<MethodResults[M]>> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve({
        ok: false,
        error: { code: 'INTERNAL', message: 'not connected to the host; retrying' },
      });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: 'INTERNAL', message: `the host did not answer ${method}` } });
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as ApiResult<MethodResults[M]>);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  }

  subscribe(listener: (message: ServerPush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with the current status at once, then on every change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private connect(): void {
    this.setStatus({ kind: 'connecting' });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.everOpened = true;
      this.retryMs = FIRST_RETRY_MS;
      this.lostAt = 0;
      this.setStatus({ kind: 'open' });
    };
    socket.onmessage = (message) => {
      let data: unknown;
      try {
        data = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const reply = data as { id?: unknown; ok?: unknown };
      if (typeof reply.id === 'number' && typeof reply.ok === 'boolean') {
        this.pending.get(reply.id)?.(data as ApiResult<unknown>);
        this.pending.delete(reply.id);
        return;
      }
      for (const listener of this.listeners) listener(data as ServerPush);
    };
    socket.onclose = () => {
      this.socket = null;
      for (const resolve of this.pending.values()) {
        resolve({ ok: false, error: { code: 'INTERNAL', message: 'the connection to the host closed' } });
      }
      this.pending.clear();
      if (this.lostAt === 0) this.lostAt = Date.now();
      void this.retry();
    };
  }

  /** Asks whether the token is still good, then reconnects, or says why it will not. */
  private async retry(): Promise<void> {
    const since = this.lostAt;
    if (this.token === '') {
      const message = 'This address has no token. Open the link the host printed (it ends in ?token=...).';
      this.setStatus({ kind: 'refused', message, since });
      return;
    }
    const verdict = await checkToken(this.token);
    if (verdict === 'refused') {
      const message = this.everOpened
        ? TOKEN_REPLACED_MESSAGE
        : 'The host refused the connection: the token is wrong or was replaced. Open the address it printed (it is in its log).';
      this.setStatus({ kind: 'refused', message, since });
      return;
    }
    if (verdict === 'accepted') {
      this.connect();
      return;
    }
    const retryInMs = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    const message = this.everOpened
      ? 'Lost the connection to the host; reconnecting. The figures shown are from before it was lost.'
      : 'The host is not answering; retrying.';
    this.setStatus({ kind: 'closed', message, retryInMs, since });
    setTimeout(() => void this.retry(), retryInMs);
  }
}

/** GET /token-check: accepted (204), refused (401), or no answer (the host is down or restarting). */
async function checkToken(token: string): Promise<'accepted' | 'refused' | 'unreachable'> {
  try {
    const response = await fetch('/token-check', {
      headers: { Authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal: AbortSignal.timeout(3_000),
    });
    if (response.status === 204) return 'accepted';
    return response.status === 401 ? 'refused' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}
