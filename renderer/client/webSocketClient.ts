import type { JarClient, MethodName, MethodParams, MethodResults, ServerPush } from '../../shared/api.js';
import type { ApiResult } from '../../shared/errors.js';

export type ConnectionStatus =
  { kind: 'connecting' } | { kind: 'open' } | { kind: 'closed'; message: string; retryInMs: number };

const CALL_TIMEOUT_MS = 15_000;

/**
 * The browser transport: one WebSocket to the host that served the page, reconnecting with back-off. After every
 * (re)connect the host sends a fresh snapshot first, so a client that missed events simply starts over.
 */
export class WebSocketClient implements JarClient {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ApiResult<unknown>) => void>();
  private readonly listeners = new Set<(message: ServerPush) => void>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private retryMs = 500;
  private everOpened = false;
  private status: ConnectionStatus = { kind: 'connecting' };

  constructor(
    private readonly url: string,
    private readonly hasToken: boolean,
  ) {
    this.connect();
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
      this.retryMs = 500;
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
      const retryInMs = this.retryMs;
      this.retryMs = Math.min(10_000, this.retryMs * 2);
      const message = !this.hasToken
        ? 'This address has no token. Open the link the host printed (it ends in ?token=...).'
        : this.everOpened
          ? 'Lost the connection to the host.'
          : 'The host refused the connection: the token is wrong or the host is not running. Open the link it printed.';
      this.setStatus({ kind: 'closed', message, retryInMs });
      setTimeout(() => this.connect(), retryInMs);
    };
  }
}
