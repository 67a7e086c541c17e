import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { HostSnapshot, ServerPush } from '../../shared/api.js';
import { ClientChannel, type ChannelLimits, type ChannelSocket } from '../../electron/core/web/clientChannel.js';

/** A WebSocket as a channel sees it: what is sent stays buffered until the client reads it (flush). */
class FakeSocket implements ChannelSocket {
  bufferedAmount = 0;
  readyState = 1;
  paused = false;
  closed: { code: number; reason: string } | null = null;
  readonly sent: Array<Record<string, unknown>> = [];
  private readonly unread: Array<{ bytes: number; written: () => void }> = [];

  send(data: string, written: () => void): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    this.bufferedAmount += data.length;
    this.unread.push({ bytes: data.length, written });
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  /** The client reads everything sent so far. */
  flush(): void {
    for (const { bytes, written } of this.unread.splice(0)) {
      this.bufferedAmount -= bytes;
      written();
    }
  }
}

const limits: ChannelLimits = {
  inFlight: 3,
  behindBytes: 1000,
  caughtUpBytes: 100,
  closeBytes: 10_000,
  behindMs: 150,
};

function channelOn(socket: FakeSocket) {
  const warnings: string[] = [];
  const caught: string[] = [];
  const channel = new ClientChannel(socket, {
    snapshot: () => ({ sessionId: 'fresh' }) as HostSnapshot,
    warn: (message) => warnings.push(message),
    onCaught: (what) => caught.push(what),
    limits,
  });
  return { channel, warnings, caught };
}

const event = { kind: 'event', event: { type: 'log', level: 'info', source: 't', message: 'm', at: 1 } } as ServerPush;
const answer = (size = 10) => Promise.resolve({ ok: true as const, result: 'x'.repeat(size) });
/** Lets the calls' promises settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('one WebSocket client: its calls and a client that reads slowly', () => {
  it('runs at most the limit at once, each until its reply is written out; the rest wait in order, unread', async () => {
    const socket = new FakeSocket();
    const { channel } = channelOn(socket);
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    for (let id = 1; id <= 5; id++) {
      channel.call(id, () => {
        started.push(id);
        return new Promise((resolve) => finish.set(id, () => resolve({ ok: true, result: id })));
      });
    }
    await settle();
    assert.deepEqual(started, [1, 2, 3], 'three run, two wait');
    assert.equal(socket.paused, true, 'the socket is not read while calls wait');
    finish.get(2)!();
    await settle();
    assert.deepEqual(socket.sent.at(-1), { id: 2, ok: true, result: 2 });
    assert.deepEqual(started, [1, 2, 3], 'an answer not yet read still holds its place');
    socket.flush();
    await settle();
    assert.deepEqual(started, [1, 2, 3, 4], 'the next in line starts');
    finish.get(1)!();
    finish.get(3)!();
    await settle();
    socket.flush();
    await settle();
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.equal(socket.paused, false, 'read again once nothing waits');
    channel.refuse({ code: 'MALFORMED', message: 'm' });
    assert.deepEqual(socket.sent.at(-1), { id: null, ok: false, error: { code: 'MALFORMED', message: 'm' } });
  });

  it('does not run what waits for a client that has gone', async () => {
    const socket = new FakeSocket();
    const { channel } = channelOn(socket);
    let runs = 0;
    for (let id = 1; id <= 5; id++) channel.call(id, () => (runs++, answer()));
    await settle();
    socket.readyState = 3;
    channel.dispose();
    socket.flush();
    await settle();
    assert.equal(runs, 3);
  });

  it('behind, drops pushes but keeps replies, stops reading, then catches up with a fresh snapshot', async () => {
    const socket = new FakeSocket();
    const { channel, warnings } = channelOn(socket);
    channel.start();
    channel.push(event);
    channel.call(1, () => answer(2000));
    await settle();
    assert.equal(socket.paused, true, 'its requests wait unread');
    assert.match(warnings[0] ?? '', /behind/);
    const sentBefore = socket.sent.length;
    channel.push(event);
    channel.push(event);
    assert.equal(socket.sent.length, sentBefore, 'pushes are dropped while behind');
    channel.call(2, () => answer());
    await settle();
    assert.equal(socket.sent.length, sentBefore + 1, 'a reply is sent even so');
    socket.flush();
    assert.equal(socket.paused, false);
    assert.deepEqual(socket.sent.at(-1), { kind: 'snapshot', snapshot: { sessionId: 'fresh' } });
    channel.push(event);
    assert.equal(socket.sent.at(-1)?.kind, 'event', 'pushes again once caught up');
    assert.equal(socket.closed, null);
    channel.dispose();
  });

  it('closes a client that stays behind, or has too much unread, saying why', async () => {
    const slow = new FakeSocket();
    channelOn(slow).channel.call(1, () => answer(2000));
    await new Promise((resolve) => setTimeout(resolve, limits.behindMs + 50));
    assert.equal(slow.closed?.code, 1008);
    assert.match(slow.closed?.reason ?? '', /behind for 0.15 s; reconnect/);

    const flooded = new FakeSocket();
    const { channel } = channelOn(flooded);
    channel.call(1, () => answer(20_000));
    await settle();
    assert.equal(flooded.closed?.code, 1008);
    assert.match(flooded.closed?.reason ?? '', /unread/);
    assert.ok(Buffer.byteLength(flooded.closed!.reason) <= 123, 'a close reason fits its frame');
    channel.dispose();
  });

  it('answers INTERNAL, with the id, for a call that throws or a result that would not serialise, and counts it', async () => {
    const socket = new FakeSocket();
    const { channel, caught } = channelOn(socket);
    channel.call(7, () => Promise.resolve({ ok: true, result: { big: 1n } }));
    channel.call(8, () => {
      throw new Error('a bug');
    });
    await settle();
    assert.deepEqual(
      socket.sent.toSorted((a, b) => Number(a.id) - Number(b.id)),
      [
        { id: 7, ok: false, error: { code: 'INTERNAL', message: 'unsendable result' } },
        { id: 8, ok: false, error: { code: 'INTERNAL', message: 'the host failed to answer' } },
      ],
    );
    assert.equal(caught.length, 2);
  });
});
