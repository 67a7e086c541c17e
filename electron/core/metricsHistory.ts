import type { Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { RingBuffer } from './ringBuffer.js';

/** Metrics history kept for a client that connects: an hour at the default 1 s interval. */
const CAPACITY = 3600;
const MAX_AGE_MS = 60 * 60 * 1000;
/** Memory frames go to the panel at most this often (and every one that jumps); the watchdog sees every sample. */
const FRAME_EVERY_MS = 1000;
/** A change of the board's RAM use of more than this many points is sent at once. */
const JUMP_POINTS = 2;

/**
 * The frames the panel gets: of the watchdog's samples (up to ten a second near a line), about one a second and
 * every one that jumps, each with the instances' token rates since the last frame sent, kept for an hour.
 */
export class MetricsHistory {
  private readonly frames = new RingBuffer<MetricsFrame>(CAPACITY, MAX_AGE_MS, (frame) => frame.t);
  private last: MetricsFrame | null = null;

  /** The frame to send for this sample, with its token rates filled in, or null when this sample is not sent. */
  offer(frame: MetricsFrame, tokenRate: (role: Role, now: number) => number | null): MetricsFrame | null {
    const jump = this.last ? Math.abs(frame.ramPercent - this.last.ramPercent) > JUMP_POINTS : true;
    if (this.last && frame.t - this.last.t < FRAME_EVERY_MS && !jump) return null;
    for (const [role, metrics] of Object.entries(frame.instances)) {
      metrics.tokensPerSecond = tokenRate(role as Role, frame.t);
    }
    this.last = frame;
    this.frames.push(frame);
    return frame;
  }

  toArray(): MetricsFrame[] {
    return this.frames.toArray();
  }
}
