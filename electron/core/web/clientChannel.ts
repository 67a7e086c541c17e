import type { HostSnapshot, ServerPush } from '../../../shared/api.js';
import type { ApiError, ApiResult } from '../../../shared/errors.js';

/** The parts of a ws WebSocket a channel uses; the unit tests hand in a fake. */
export interface ChannelSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string, callback: (error?: Error) => void): void;
  pause(): void;
  resume(): void;
  close(code: number, reason: string): void;
}

export interface ChannelLimits {
  /** Calls of one client that run at once, each until its reply is written out; the rest wait their turn. */
  inFlight: number;
  /** Over this many unsent bytes the client is behind: its pushes stop and its requests wait unread. */
  behindBytes: number;
  /** Back under this, it has caught up: a fresh snapshot, then pushes again. */
  caughtUpBytes: number;
  /** Over this, or behind for longer than `behindMs`, the client is closed, saying why. */
  closeBytes: number;
  behindMs: number;
}

/**
 * A snapshot of an hour of metrics in matrix mode is about 2 MB, so a client is behind only after a few of them
 * unread; 16 calls at once is more than the panel ever has (it waits for each answer it shows).
 */
export const CHANNEL_LIMITS: ChannelLimits = {
  inFlight: 16,
  behindBytes: 8 * 1024 * 1024,
  caughtUpBytes: 1024 * 1024,
  closeBytes: 64 * 1024 * 1024,
  behindMs: 30_000,
};

type Reply = { id: number | null } & ApiResult<unknown>;

interface Call {
  id: number;
  run: () => Promise<ApiResult<unknown>>;
}

/** RFC 6455's "policy violation": the client broke the rule it is told in the reason. */
const CLOSE_POLICY = 1008;
const OPEN = 1;

export interface ChannelOptions {
  snapshot: () => HostSnapshot;
  /** A line for the log, when the channel stops pushing to a client or closes it. */
  warn: (message: string) => void;
  /** An error the channel caught (a call that threw, a reply that would not serialise): a bug, to be counted. */
  onCaught: (what: string, error: unknown) => void;
  limits?: ChannelLimits;
}

/**
 * One WebSocket client: its calls and what is sent to it. At most `inFlight` calls run at once, each holding its
 * place until its reply is written out; later ones wait in order, and while any wait the socket is not read, so
 * what waits is only what was read already and the rest stays in TCP. Replies are never dropped. A client that
 * reads too slowly loses its pushes first (metrics frames, token batches, every event) and is not read either, then
 * gets a fresh snapshot once it has caught up, so what it shows is never wrong for long. One still behind after
 * `behindMs`, or with more than `closeBytes` unsent, is closed with the reason.
 */
export class ClientChannel {
  private inFlight = 0;
  private readonly waiting: Call[] = [];
  private reading = true;
  private behindTimer: NodeJS.Timeout | null = null;
  private readonly limits: ChannelLimits;

  constructor(
    private readonly socket: ChannelSocket,
    private readonly options: ChannelOptions,
  ) {
    this.limits = options.limits ?? CHANNEL_LIMITS;
  }

  /** The first push of every connection. */
  start(): void {
    this.send({ kind: 'snapshot', snapshot: this.options.snapshot() });
  }

  /** An event for the client; skipped while it is behind (the snapshot it gets on catching up carries it). */
  push(message: ServerPush): void {
    if (this.behindTimer === null) this.send(message);
  }

  /** A call: run now if fewer than `inFlight` run, else after the calls before it. */
  call(id: number, run: () => Promise<ApiResult<unknown>>): void {
    this.waiting.push({ id, run });
    this.startWaiting();
  }

  /** The answer to a message that is no call (malformed, too large): sent at once, holding no place. */
  refuse(error: ApiError): void {
    this.send({ id: null, ok: false, error });
  }

  /** The client is gone: what waits is not run. */
  dispose(): void {
    this.waiting.length = 0;
    if (this.behindTimer) clearTimeout(this.behindTimer);
  }

  private startWaiting(): void {
    // A client that is closing gets no more answers: what it asked for is not done.
    if (this.socket.readyState !== OPEN) this.waiting.length = 0;
    while (this.inFlight < this.limits.inFlight && this.waiting.length > 0) this.run(this.waiting.shift()!);
    this.updateReading();
  }

  private run({ id, run }: Call): void {
    this.inFlight++;
    Promise.resolve()
      .then(run)
      .catch((error: unknown): ApiResult<unknown> => {
        // api.call answers every outcome as data; this is for a bug in it.
        this.options.onCaught(`a call (id ${id})`, error);
        return { ok: false, error: { code: 'INTERNAL', message: 'the host failed to answer' } };
      })
      .then((result) =>
        this.send({ id, ...result }, () => {
          this.inFlight--;
          this.startWaiting();
        }),
      );
  }

  /** The socket is read while no call waits and the client is not behind. */
  private updateReading(): void {
    const read = this.waiting.length === 0 && this.behindTimer === null;
    if (read === this.reading) return;
    this.reading = read;
    if (read) this.socket.resume();
    else this.socket.pause();
  }

  private send(message: ServerPush | Reply, written?: () => void): void {
    if (this.socket.readyState !== OPEN) {
      written?.();
      return;
    }
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      this.options.onCaught('a message that would not serialise', error);
      if (!('ok' in message)) return;
      text = JSON.stringify({ id: message.id, ok: false, error: { code: 'INTERNAL', message: 'unsendable result' } });
    }
    this.socket.send(text, () => {
      written?.();
      this.afterWrite();
    });
    this.checkBuffer();
  }

  private checkBuffer(): void {
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.limits.closeBytes) {
      this.close(`more than ${megabytes(this.limits.closeBytes)} MB unread; reconnect for a fresh snapshot`);
      return;
    }
    if (this.behindTimer === null && buffered > this.limits.behindBytes) {
      this.options.warn(`a client is ${megabytes(buffered)} MB behind: no pushes to it until it catches up`);
      this.behindTimer = setTimeout(
        () => this.close(`behind for ${this.limits.behindMs / 1000} s; reconnect for a fresh snapshot`),
        this.limits.behindMs,
      );
      this.behindTimer.unref();
      this.updateReading();
    }
  }

  private afterWrite(): void {
    if (this.behindTimer === null || this.socket.bufferedAmount > this.limits.caughtUpBytes) return;
    if (this.socket.readyState !== OPEN) return;
    clearTimeout(this.behindTimer);
    this.behindTimer = null;
    this.updateReading();
    this.start();
  }

  private close(reason: string): void {
    if (this.socket.readyState !== OPEN) return;
    this.options.warn(`closed a client: ${reason}`);
    this.socket.close(CLOSE_POLICY, reason);
  }
}

function megabytes(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}
