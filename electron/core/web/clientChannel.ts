import type { HostSnapshot, ServerPush } from '../../../shared/api.js';
import type { ApiError } from '../../../shared/errors.js';

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
  /** Calls of one client that may be in flight at once, counted until their replies are written out. */
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
 * unread; 16 calls in flight is far more than the panel ever has (it waits for each answer it shows).
 */
export const CHANNEL_LIMITS: ChannelLimits = {
  inFlight: 16,
  behindBytes: 8 * 1024 * 1024,
  caughtUpBytes: 1024 * 1024,
  closeBytes: 64 * 1024 * 1024,
  behindMs: 30_000,
};

/** What a channel answers with: a reply to a request (its id, or null when the request had none readable). */
export type ChannelReply = { id: number | null } & ({ ok: true; result: unknown } | { ok: false; error: ApiError });

/** RFC 6455's "policy violation": the client broke the rule it is told in the reason. */
const CLOSE_POLICY = 1008;
const OPEN = 1;

export interface ChannelOptions {
  snapshot: () => HostSnapshot;
  /** A line for the log, when the channel stops pushing to a client or closes it. */
  warn: (message: string) => void;
  /** An error the channel caught (a message that would not serialise): counted as the last resort counts. */
  onCaught: (what: string, error: unknown) => void;
  limits?: ChannelLimits;
}

/**
 * One WebSocket client's outgoing side and its calls in flight. Replies are never dropped. A client that reads too
 * slowly loses its pushes first (metrics frames, token batches, every event) and stops being read (TCP holds its
 * requests), then gets a fresh snapshot once it has caught up, so what it shows is never wrong for long. One still
 * behind after `behindMs`, or with more than `closeBytes` unsent, is closed with the reason.
 */
export class ClientChannel {
  private inFlight = 0;
  private behindTimer: NodeJS.Timeout | null = null;
  private readonly limits: ChannelLimits;

  constructor(
    private readonly socket: ChannelSocket,
    private readonly options: ChannelOptions,
  ) {
    this.limits = options.limits ?? CHANNEL_LIMITS;
  }

  get maxInFlight(): number {
    return this.limits.inFlight;
  }

  /** The first push of every connection. */
  start(): void {
    this.send({ kind: 'snapshot', snapshot: this.options.snapshot() });
  }

  /** An event for the client; skipped while it is behind (the snapshot it gets on catching up carries it). */
  push(message: ServerPush): void {
    if (this.behindTimer === null) this.send(message);
  }

  /** Takes a place for one call; false when the client has `inFlight` calls unanswered (answer TOO_MANY). */
  begin(): boolean {
    if (this.inFlight >= this.limits.inFlight) return false;
    this.inFlight++;
    return true;
  }

  /** Sends a reply, behind or not; `endsCall` frees the call's place once the reply is written out. */
  reply(message: ChannelReply, endsCall: boolean): void {
    this.send(message, endsCall ? () => this.inFlight-- : undefined);
  }

  dispose(): void {
    if (this.behindTimer) clearTimeout(this.behindTimer);
  }

  private send(message: ServerPush | ChannelReply, written?: () => void): void {
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
      this.socket.pause();
      this.behindTimer = setTimeout(
        () => this.close(`behind for ${this.limits.behindMs / 1000} s; reconnect for a fresh snapshot`),
        this.limits.behindMs,
      );
      this.behindTimer.unref();
    }
  }

  private afterWrite(): void {
    if (this.behindTimer === null || this.socket.bufferedAmount > this.limits.caughtUpBytes) return;
    if (this.socket.readyState !== OPEN) return;
    clearTimeout(this.behindTimer);
    this.behindTimer = null;
    this.socket.resume();
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
