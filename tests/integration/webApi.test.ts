import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MAX_MESSAGE_BYTES } from '../../shared/api.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { rawRequest } from '../helpers/rawHttp.js';
import { WsClient } from '../helpers/wsClient.js';

describe('the web transport and the api table', { timeout: 120_000 }, () => {
  const models = testModels();
  const host = HostProcess.start(['--model', models.good, '--resurrect-delay', '0.2']);
  let url = '';
  let client: WsClient;
  before(async () => {
    url = (await host.waitFor('host.ready')).url;
    client = await WsClient.connect(url);
  });
  after(async () => {
    client.close();
    await host.stop();
  });

  it('refuses a wrong or missing token, and a page from another origin', async () => {
    await assert.rejects(WsClient.connect(url, { token: 'guess' }), /refused: 401/);
    await assert.rejects(WsClient.connect(url, { token: '' }), /refused: 401/);
    await assert.rejects(WsClient.connect(url, { origin: 'http://evil.example' }), /refused: 403/);
    const sameOrigin = await WsClient.connect(url, { origin: new URL(url).origin });
    sameOrigin.close();
  });

  it('answers only its own names: a DNS-rebinding page gets neither the panel nor a socket', async () => {
    const { port, searchParams } = new URL(url);
    const token = searchParams.get('token');
    const upgrade = (host: string, origin: string) =>
      `GET /ws?token=${token} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    // The attacker's name resolves to 127.0.0.1: the browser sends it as Host and as Origin alike.
    const rebound = `evil.example:${port}`;
    assert.equal((await rawRequest(Number(port), upgrade(rebound, `http://${rebound}`))).status, 421);
    assert.equal((await rawRequest(Number(port), `GET / HTTP/1.1\r\nHost: ${rebound}\r\n\r\n`)).status, 421);
    assert.equal((await rawRequest(Number(port), upgrade(`127.0.0.1:${port}`, `http://${rebound}`))).status, 403);
    assert.equal(
      (await rawRequest(Number(port), upgrade(`localhost:${port}`, `http://localhost:${port}`))).status,
      101,
    );
    // A NUL in the path once reached fs.readFile, which threw and ended the host.
    const nul = await rawRequest(Number(port), `GET /%00 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(nul.status, 400);
    assert.ok((await client.call('host.snapshot', {})).ok, 'the host is still there');
  });

  it('answers every call of a client that stops reading, and keeps it connected', async () => {
    const slow = await WsClient.connect(url);
    slow.socket.pause();
    // Far more replies than the sockets' buffers hold (a snapshot is a few KB here): the host once dropped such a
    // client at 16 MB unsent, its calls unanswered. Now 16 run at a time and the rest wait unread.
    const calls = Array.from({ length: 12_000 }, () => slow.call('host.snapshot', {}));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    slow.socket.resume();
    const replies = await Promise.race([
      Promise.all(calls),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`calls unanswered; the socket is ${slow.socket.readyState}`)), 30_000),
      ),
    ]);
    assert.deepEqual(
      replies.filter((reply) => !reply.ok),
      [],
    );
    assert.equal(slow.socket.readyState, slow.socket.OPEN);
    assert.ok((await slow.call('settings.get', {})).ok);
    slow.close();
  });

  it('sends a snapshot first, then events', async () => {
    await host.waitFor('instance.loaded');
    const fresh = await WsClient.connect(url);
    await host.waitFor('instance.tokens', () => true, 10_000, host.events.length);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(fresh.pushes[0]?.kind, 'snapshot');
    assert.ok(fresh.pushes.slice(1).every((push) => push.kind === 'event'));
    assert.ok(fresh.pushes.length > 1, 'events follow the snapshot');
    fresh.close();
  });

  it('answers malformed, oversized and invalid requests with errors as data, and keeps the connection', async () => {
    assert.deepEqual(await client.sendRaw('{not json'), {
      id: null,
      ok: false,
      error: { code: 'MALFORMED', message: 'a request must be a JSON text message' },
    });
    assert.equal(((await client.sendRaw('[1,2]')) as { error: { code: string } }).error.code, 'MALFORMED');
    assert.equal(
      ((await client.sendRaw('{"id":"x","method":"host.snapshot"}')) as { error: { code: string } }).error.code,
      'MALFORMED',
    );
    const big = JSON.stringify({ id: 1, method: 'models.check', params: { path: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    assert.equal(((await client.sendRaw(big)) as { error: { code: string } }).error.code, 'TOO_LARGE');
    assert.deepEqual(await client.call('instances.kill', { instance: 'NOBODY' }), {
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        field: 'instance',
        message: 'instance must be one of SUBJECT, OBSERVER, GOD (got "NOBODY")',
      },
    });
    assert.equal((await client.call('instances.kill', {})).ok, false);
    const unknown = await client.call('host.selfDestruct', {});
    assert.ok(!unknown.ok && unknown.error.code === 'UNKNOWN_METHOD');
    const matrixOnly = await client.call('instances.kill', { instance: 'GOD' });
    assert.ok(!matrixOnly.ok && matrixOnly.error.code === 'BAD_STATE');
    // Still connected and answering.
    const snapshot = await client.call('host.snapshot', {});
    assert.ok(snapshot.ok);
  });

  it('kills from the api as a death with cause "killed", and the mind comes back', async () => {
    const { pid } = await host.waitFor('instance.loaded');
    const from = host.events.length;
    const result = await client.call('instances.kill', { instance: 'SUBJECT' });
    assert.ok(result.ok);
    const death = await host.waitFor('instance.death', () => true, 10_000, from);
    assert.equal(death.cause, 'killed');
    assert.equal(death.signal, 'SIGKILL');
    assert.equal(death.pid, pid);
    await host.waitFor('instance.loaded', (event) => event.pid !== pid, 30_000, from);
  });

  it('stops gracefully without a death, and starts again on request', async () => {
    await host.waitFor('instance.state', (event) => event.state === 'thinking', 30_000, host.events.length - 50);
    const deathsBefore = host.of('instance.death').length;
    const stopped = await client.call('instances.stop', {});
    assert.ok(stopped.ok);
    await host.waitFor('instance.state', (event) => event.state === 'stopped');
    assert.equal(host.of('instance.death').length, deathsBefore);
    const killStopped = await client.call('instances.kill', { instance: 'SUBJECT' });
    assert.ok(!killStopped.ok && killStopped.error.code === 'BAD_STATE');
    const from = host.events.length;
    assert.ok((await client.call('instances.start', { instance: 'SUBJECT' })).ok);
    await host.waitFor('instance.loaded', () => true, 30_000, from);
  });
});
