import WebSocket from 'ws';

import type { ServerPush } from '../../shared/api.js';
import type { ApiResult } from '../../shared/errors.js';

/** A WebSocket client of the host's api, as the renderer's transport speaks it; the tests' and the benchmarks'. */
export class WsClient {
  readonly pushes: ServerPush[] = [];
  private readonly listeners = new Set<(push: ServerPush) => void>();
  private nextId = 1;
  private readonly pending = new Map<number, (reply: unknown) => void>();
  /** Replies that carry no id (malformed requests). */
  readonly orphanReplies: unknown[] = [];
  private readonly orphanWaiters: Array<(reply: unknown) => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: unknown; ok?: unknown };
      if (typeof message.ok === 'boolean') {
        if (typeof message.id === 'number' && this.pending.has(message.id)) {
          this.pending.get(message.id)!(message);
          this.pending.delete(message.id);
        } else {
          this.orphanReplies.push(message);
          this.orphanWaiters.shift()?.(message);
        }
        return;
      }
      this.pushes.push(message as ServerPush);
      for (const listener of this.listeners) listener(message as ServerPush);
    });
  }

  /** Hears each push as it arrives (a benchmark times them); returns its own unsubscribe. */
  onPush(listener: (push: ServerPush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects to the host's /ws with the token of `panelUrl` (or another, to test refusals). */
  static connect(panelUrl: string, options: { token?: string; origin?: string } = {}): Promise<WsClient> {
    const url = new URL(panelUrl);
    const token = options.token ?? url.searchParams.get('token') ?? '';
    const socket = new WebSocket(`ws://${url.host}/ws?token=${encodeURIComponent(token)}`, {
      headers: options.origin ? { Origin: options.origin } : {},
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  call(method: string, params: unknown): Promise<ApiResult<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (reply) => {
        const { id: _id, ...result } = reply as { id: number } & ApiResult<unknown>;
        resolve(result as ApiResult<unknown>);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Sends a request as raw text (a fuzz case) and resolves with the reply that carries its id. */
  callRaw(id: number, text: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${id}`));
      }, 10_000);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.send(text);
    });
  }

  /** Sends raw text (or, with `binary`, a binary frame) and resolves with the next reply that carries no id. */
  sendRaw(data: string | Buffer, binary = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiter = (reply: unknown) => {
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(() => {
        this.orphanWaiters.splice(this.orphanWaiters.indexOf(waiter), 1);
        reject(new Error('no reply'));
      }, 5000);
      this.orphanWaiters.push(waiter);
      this.socket.send(data, { binary });
    });
  }

  close(): void {
    this.socket.close();
  }
}
