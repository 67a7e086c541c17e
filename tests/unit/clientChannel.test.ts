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
const reply = (id: number, size = 10) => ({ id, ok: true as const, result: 'x'.repeat(size) });

describe('one WebSocket client: calls in flight and a client that reads slowly', () => {
  it('holds a place for each call until its reply is written out, and has no more than the limit', () => {
    const socket = new FakeSocket();
    const { channel } = channelOn(socket);
    assert.equal(channel.begin(), true);
    assert.equal(channel.begin(), true);
    assert.equal(channel.begin(), true);
    assert.equal(channel.begin(), false, 'a fourth call waits for an answer first');
    channel.reply(reply(1), true);
    assert.equal(channel.begin(), false, 'a reply not yet read still holds its place');
    socket.flush();
    assert.equal(channel.begin(), true);
    channel.reply({ id: null, ok: false, error: { code: 'MALFORMED', message: 'm' } }, false);
    socket.flush();
    assert.equal(channel.begin(), false, 'an answer to no call frees nothing');
  });

  it('behind, drops pushes but keeps replies, stops reading, then catches up with a fresh snapshot', () => {
    const socket = new FakeSocket();
    const { channel, warnings } = channelOn(socket);
    channel.start();
    channel.push(event);
    channel.begin();
    channel.reply(reply(1, 2000), true);
    assert.equal(socket.paused, true, 'its requests wait unread');
    assert.match(warnings[0] ?? '', /behind/);
    const sentBefore = socket.sent.length;
    channel.push(event);
    channel.push(event);
    assert.equal(socket.sent.length, sentBefore, 'pushes are dropped while behind');
    channel.reply(reply(2), false);
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
    channelOn(slow).channel.reply(reply(1, 2000), false);
    await new Promise((resolve) => setTimeout(resolve, limits.behindMs + 50));
    assert.equal(slow.closed?.code, 1008);
    assert.match(slow.closed?.reason ?? '', /behind for 0.15 s; reconnect/);

    const flooded = new FakeSocket();
    const { channel } = channelOn(flooded);
    channel.reply(reply(1, 20_000), false);
    assert.equal(flooded.closed?.code, 1008);
    assert.match(flooded.closed?.reason ?? '', /unread/);
    assert.ok(Buffer.byteLength(flooded.closed!.reason) <= 123, 'a close reason fits its frame');
    channel.dispose();
  });

  it('answers INTERNAL, with the id, for a result that would not serialise, and counts it', () => {
    const socket = new FakeSocket();
    const { channel, caught } = channelOn(socket);
    channel.reply({ id: 7, ok: true, result: { big: 1n } }, false);
    assert.deepEqual(socket.sent.at(-1), {
      id: 7,
      ok: false,
      error: { code: 'INTERNAL', message: 'unsendable result' },
    });
    assert.equal(caught.length, 1);
  });
});
