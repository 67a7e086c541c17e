import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import WebSocket from 'ws';

import { MAX_MESSAGE_BYTES, METHODS, type HostSnapshot, type MethodName } from '../../shared/api.js';
import { ERROR_CODES, type ApiResult } from '../../shared/errors.js';
import { HostProcess, isAlive } from '../helpers/hostProcess.js';
import { rawRequest } from '../helpers/rawHttp.js';
import { integer, pick, seededRandom, shuffle, validValue, variantsOf, type Rng } from '../helpers/schemaCases.js';
import { WsClient } from '../helpers/wsClient.js';

/**
 * The host under fire from outside: a few hundred raw HTTP requests and a few thousand WebSocket messages, generated
 * from a seed (printed; FUZZ_SEED=... replays a run) and, for the api, from each method's schema. The host must stay
 * up, answer every request it can read with a status under 500 or an error with a code, and change nothing.
 */

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);
const replay = `FUZZ_SEED=${seed} to replay`;
console.log(`fuzz: ${replay}`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rendererDir = path.join(root, 'dist/renderer');

/**
 * Valid calls that would change the settings or start instances (slow, and not what this test is about), or replace
 * the token (which closes this test's own sockets: restartReconnect.test.ts is about that).
 */
const SKIP_WHEN_VALID = new Set<MethodName>(['settings.set', 'mode.switch', 'instances.start', 'token.renew']);
/** Each board.refresh forks a probe: two valid ones are enough. */
const MAX_VALID_REFRESHES = 2;

const CODES = new Set<string>(ERROR_CODES);

interface HttpCase {
  what: string;
  bytes: string | Buffer;
  /**
   * served: 200; refused: a 4xx; answered: any status under 500; upgraded: 101; bytes: random bytes, which may be
   * the start of a request never finished (answered, or closed without a word).
   */
  expect: 'served' | 'refused' | 'answered' | 'upgraded' | 'bytes';
}

function httpCases(rng: Rng, port: number, token: string): HttpCase[] {
  const own = `127.0.0.1:${port}`;
  const request = (target: string, headers: string[] = [`Host: ${own}`], method = 'GET', version = 'HTTP/1.1') =>
    `${method} ${target} ${version}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`;
  const cases: HttpCase[] = [];
  const add = (expect: HttpCase['expect'], what: string, bytes: string | Buffer) => cases.push({ what, bytes, expect });

  const files = [
    '/',
    '/index.html',
    '/icon.svg',
    ...fs.readdirSync(path.join(rendererDir, 'assets')).map((f) => `/assets/${f}`),
  ];
  for (const file of files) {
    add('served', `GET ${file}`, request(file));
    add('served', `HEAD ${file}`, request(file, undefined, 'HEAD'));
  }
  add('served', 'a query with NUL', request('/index.html?x=%00#y'));
  for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
    add('served', `Host ${host}`, request('/', [`Host: ${host}`]));
  }

  const tricks = [
    '/%00',
    '/index.html%00',
    '/index.html%00.js',
    '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/..%252f..%252fetc%252fpasswd',
    '/assets/..%2F..%2Fpackage.json',
    '/%C0%AE%C0%AE/%C0%AE%C0%AE/package.json',
    '/%c0%ae%c0%ae%c0%af',
    '/%E0%80%AE%E0%80%AE/package.json',
    '/%F0%80%80%AE',
    '/%ED%A0%80',
    '/%',
    '/%z',
    '/%%32%65',
    '/../../../../../../etc/passwd',
    '/assets/../../package.json',
    '/./index.html',
    '/..\\..\\package.json',
    '/%5c..%5cpackage.json',
    '//etc/passwd',
    '/assets//x',
    '/nope',
    '/assets/',
    '/index.html/',
    '/.env',
    '/INDEX.HTML',
    '/index.html%20',
    '/a%0d%0aSet-Cookie:%20x',
    `/${'a/'.repeat(3000)}`,
    '*',
    `http://${own}/index.html`,
    '/\u00e2\u0080\u00a5/',
  ];
  for (const target of tricks) add('refused', `GET ${target.slice(0, 60)}`, Buffer.from(request(target), 'latin1'));

  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE']) {
    add('refused', method, request('/', undefined, method));
  }
  add('refused', 'CONNECT', request(own, undefined, 'CONNECT'));
  for (const method of ['BREW', 'get', 'G\u0000T', 'GET\tX', ''])
    add('refused', `method ${JSON.stringify(method)}`, request('/', undefined, method));
  add('answered', 'HTTP/2.0', request('/', undefined, 'GET', 'HTTP/2.0'));
  add('refused', 'HTTP/9.9', request('/', undefined, 'GET', 'HTTP/9.9'));

  for (const host of [
    'evil.example',
    `evil.example:${port}`,
    `127.0.0.1:${port + 1}`,
    'localhost',
    '',
    `${own}.evil.example`,
  ]) {
    add('refused', `Host ${JSON.stringify(host)}`, request('/', [`Host: ${host}`]));
  }
  add('refused', 'no Host, HTTP/1.1', request('/', []));
  add('refused', 'no Host, HTTP/1.0', request('/', [], 'GET', 'HTTP/1.0'));
  add('refused', 'NUL in Host', request('/', [`Host: 127.0.0.1\u0000:${port}`]));
  add('answered', 'two Hosts', request('/', [`Host: ${own}`, 'Host: evil.example']));
  add('refused', 'a 20 KB header', request('/', [`Host: ${own}`, `X-Big: ${'b'.repeat(20_000)}`]));
  add(
    'refused',
    '400 headers',
    request('/', [`Host: ${own}`, ...Array.from({ length: 400 }, (_, i) => `X-${i}: ${'h'.repeat(60)}`)]),
  );
  add('refused', 'a 10 KB target', request(`/${'t'.repeat(10_000)}`));
  add('refused', 'a 20 KB target', request(`/${'t'.repeat(20_000)}`));
  add(
    'refused',
    'Content-Length and chunked',
    request('/', [`Host: ${own}`, 'Content-Length: 5', 'Transfer-Encoding: chunked']),
  );
  add('refused', 'Content-Length -1', request('/', [`Host: ${own}`, 'Content-Length: -1']));
  add('refused', 'Content-Length abc', request('/', [`Host: ${own}`, 'Content-Length: abc']));
  add('refused', 'a header without a colon', request('/', [`Host: ${own}`, 'nocolon']));

  const upgrade = (target: string, headers: string[]) =>
    `GET ${target} HTTP/1.1\r\n${[
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      ...headers,
    ].join('\r\n')}\r\n\r\n`;
  const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
  const ws = `/ws?token=${token}`;
  add('upgraded', 'a valid upgrade', upgrade(ws, [`Host: ${own}`, key]));
  add('upgraded', 'a valid upgrade from its own page', upgrade(ws, [`Host: ${own}`, key, `Origin: http://${own}`]));
  add('refused', 'upgrade, bad token', upgrade('/ws?token=guess', [`Host: ${own}`, key]));
  add('refused', 'upgrade, NUL token', upgrade(`/ws?token=${token}%00`, [`Host: ${own}`, key]));
  add('refused', 'upgrade, wrong Host', upgrade(ws, [`Host: evil.example:${port}`, key]));
  add(
    'refused',
    'upgrade, DNS rebinding',
    upgrade(ws, [`Host: evil.example:${port}`, key, `Origin: http://evil.example:${port}`]),
  );
  add('refused', 'upgrade, other Origin', upgrade(ws, [`Host: ${own}`, key, 'Origin: http://evil.example']));
  add('refused', 'upgrade, Origin null', upgrade(ws, [`Host: ${own}`, key, 'Origin: null']));
  add('refused', 'upgrade, https Origin', upgrade(ws, [`Host: ${own}`, key, `Origin: https://${own}`]));
  add('refused', 'upgrade, other path', upgrade(`/wsx?token=${token}`, [`Host: ${own}`, key]));
  add('refused', 'upgrade, no key', upgrade(ws, [`Host: ${own}`]));
  add('refused', 'upgrade, a 20 KB target', upgrade(`/ws?token=${token}&${'p'.repeat(20_000)}`, [`Host: ${own}`, key]));
  add('refused', 'upgrade, bad percent-encoding', upgrade(`/ws?token=%zz`, [`Host: ${own}`, key]));

  const pieces = [
    '..',
    '.',
    '%00',
    '%2e',
    '%2E%2e',
    '%C0%AE',
    '%c0%af',
    'index.html',
    'assets',
    '%',
    '%zz',
    '\\',
    '',
    'x',
    '%E2%80%AE',
    '%FF',
    '~',
    ';',
    '%2f',
    '?',
    '#',
  ];
  const methods = ['GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE', 'XYZZY'];
  for (let i = 0; i < 200; i++) {
    const kind = rng();
    if (kind < 0.3) {
      const bytes = Buffer.from(Array.from({ length: integer(rng, 1, 400) }, () => integer(rng, 0, 255)));
      add(
        'bytes',
        `${bytes.length} random bytes`,
        rng() < 0.5 ? Buffer.concat([bytes, Buffer.from('\r\n\r\n')]) : bytes,
      );
    } else {
      const target = `/${Array.from({ length: integer(rng, 1, 8) }, () => pick(rng, pieces)).join('/')}`;
      const host = pick(rng, [own, own, own, `localhost:${port}`, 'evil.example', '']);
      add('answered', `${target} (Host ${host})`, request(target, [`Host: ${host}`], pick(rng, methods)));
    }
  }
  return cases;
}

/** A WebSocket message and what must come back. */
interface WsCase {
  what: string;
  text: string;
  /** invalid: INVALID_PARAMS; coded: ok, or any code; orphan: an error with no id (MALFORMED, TOO_LARGE). */
  expect: 'invalid' | 'coded' | 'orphan';
}

function wsCases(rng: Rng, rounds: number): { cases: WsCase[]; skipped: number } {
  const cases: WsCase[] = [];
  let skipped = 0;
  let refreshes = 0;
  let id = 1_000_000;
  for (let round = 0; round < rounds; round++) {
    for (const [method, schema] of Object.entries(METHODS) as Array<[MethodName, (typeof METHODS)[MethodName]]>) {
      for (const variant of variantsOf(schema, validValue(schema, rng), rng)) {
        const valid = schema.parse(variant.value ?? {}, '').ok;
        if (valid && SKIP_WHEN_VALID.has(method)) {
          skipped++;
          continue;
        }
        if (valid && method === 'board.refresh' && ++refreshes > MAX_VALID_REFRESHES) continue;
        const message = { id: id++, method, ...(variant.value === undefined ? {} : { params: variant.value }) };
        const text = JSON.stringify(message);
        const expect = Buffer.byteLength(text) > MAX_MESSAGE_BYTES ? 'orphan' : valid ? 'coded' : 'invalid';
        cases.push({ what: `${method} ${variant.what}`, text, expect });
      }
    }
  }
  const request = (fields: Record<string, unknown>) => JSON.stringify(fields);
  for (const method of [
    'host.selfDestruct',
    'HOST.SNAPSHOT',
    'host.snapshot\u0000',
    ' host.snapshot',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    'x'.repeat(10_000),
  ]) {
    cases.push({
      what: `method ${JSON.stringify(method.slice(0, 30))}`,
      text: request({ id: id++, method, params: {} }),
      expect: 'coded',
    });
  }
  for (const bad of [1.5, 2 ** 53, '1', null, [], {}, true]) {
    cases.push({
      what: `id ${JSON.stringify(bad)}`,
      text: request({ id: bad, method: 'host.snapshot', params: {} }),
      expect: 'orphan',
    });
  }
  cases.push({ what: 'no id', text: request({ method: 'host.snapshot' }), expect: 'orphan' });
  for (const bad of [42, null, {}, ['settings.get']]) {
    cases.push({ what: `method ${JSON.stringify(bad)}`, text: request({ id: id++, method: bad }), expect: 'orphan' });
  }
  for (const text of [
    '',
    '{',
    'null',
    '[]',
    '1',
    '"x"',
    'true',
    '{"id":1',
    '\u0000',
    '\ufeff{"id":1,"method":"host.snapshot"}',
    '{"id":1,"method":"host.snapshot"}garbage',
    '{"id":1,"method":"host.snapshot"}{"id":2}',
  ]) {
    cases.push({ what: `text ${JSON.stringify(text.slice(0, 30))}`, text, expect: 'orphan' });
  }
  for (let i = 0; i < 100; i++) {
    const length = integer(rng, 1, 300);
    const text = Array.from({ length }, () =>
      String.fromCodePoint(
        pick(rng, [integer(rng, 0, 127), integer(rng, 128, 0xd7ff), integer(rng, 0xe000, 0x10ffff)]),
      ),
    ).join('');
    cases.push({ what: `${length} random characters`, text, expect: 'orphan' });
  }
  cases.push({ what: 'a deep list', text: '['.repeat(30_000) + ']'.repeat(30_000), expect: 'orphan' });
  cases.push({
    what: 'a deep object',
    text: `{"id":${id++},"method":"host.snapshot","params":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
    expect: 'invalid',
  });
  cases.push({
    what: 'a huge list',
    text: `{"id":${id++},"method":"plan.preview","params":{"patch":[${Array(20_000).fill(0).join(',')}]}}`,
    expect: 'invalid',
  });
  cases.push({
    what: 'just over the limit',
    text: JSON.stringify({ id: id++, method: 'models.check', params: { path: 'p'.repeat(MAX_MESSAGE_BYTES) } }),
    expect: 'orphan',
  });
  return { cases: shuffle(rng, cases), skipped };
}

/** The host's settings and instances as a client sees them, and settings.json as it is on disk. */
async function observedState(client: WsClient, settingsFile: string) {
  const settings = await client.call('settings.get', {});
  const snapshot = (await client.call('host.snapshot', {})) as ApiResult<HostSnapshot>;
  assert.ok(settings.ok && snapshot.ok);
  return {
    file: fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : null,
    settings: settings.result,
    mode: snapshot.result.mode,
    instances: snapshot.result.instances.map(({ instance, state, deaths, modelPath }) => ({
      instance,
      state,
      deaths,
      modelPath,
    })),
    plan: snapshot.result.plan.ok,
  };
}

describe(`the host under fuzzing (${replay})`, { timeout: 120_000 }, () => {
  const rng = seededRandom(seed);
  const host = HostProcess.start(['--no-autostart']);
  let url = '';
  let port = 0;
  let token = '';
  let client: WsClient;
  let before_: Awaited<ReturnType<typeof observedState>>;
  const settingsFile = path.join(host.dataDir, 'settings.json');

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(rendererDir, 'index.html')),
      'the renderer is built (node scripts/build.mjs --renderer-only)',
    );
    url = (await host.waitFor('host.ready')).url;
    port = Number(new URL(url).port);
    token = new URL(url).searchParams.get('token')!;
    client = await WsClient.connect(url);
    // A change to nothing, so that settings.json exists and can be compared byte for byte at the end.
    const current = await client.call('settings.get', {});
    assert.ok(current.ok);
    const { graceS } = (current.result as { settings: { graceS: number } }).settings;
    assert.ok((await client.call('settings.set', { graceS })).ok);
    before_ = await observedState(client, settingsFile);
    assert.notEqual(before_.file, null);
  });
  after(async () => {
    client?.close();
    await host.stop();
  });

  it('answers raw HTTP requests with a status under 500, serves only its files, and stays up', async () => {
    const cases = httpCases(rng, port, token);
    const wrong: string[] = [];
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const answers = await Promise.all(batch.map((one) => rawRequest(port, one.bytes)));
      batch.forEach((one, j) => {
        const { status, head } = answers[j]!;
        const fine =
          (status === null && one.expect === 'bytes') ||
          (status !== null &&
            status < 500 &&
            (one.expect === 'served'
              ? status === 200
              : one.expect === 'refused'
                ? status >= 400
                : one.expect === 'upgraded'
                  ? status === 101
                  : true));
        if (!fine)
          wrong.push(
            `${one.what}: expected ${one.expect}, got ${status ?? 'no answer'} ${JSON.stringify(head.slice(0, 80))}`,
          );
      });
    }
    console.log(`fuzz: ${cases.length} HTTP requests`);
    assert.deepEqual(wrong, [], replay);
    assert.equal(host.exited, null, replay);
  });

  it('answers every api message generated from the schemas with a code, and stays connected', async () => {
    const { cases, skipped } = wsCases(rng, 2);
    const wrong: string[] = [];
    for (const one of cases) {
      const reply = (await sendCase(client, one)) as { id?: unknown; ok?: boolean; error?: { code?: string } };
      const code = reply.error?.code;
      const fine =
        one.expect === 'invalid'
          ? reply.ok === false && code === 'INVALID_PARAMS'
          : one.expect === 'orphan'
            ? reply.ok === false && (code === 'MALFORMED' || code === 'TOO_LARGE')
            : reply.ok === true || (code !== undefined && CODES.has(code) && code !== 'INTERNAL');
      if (!fine) wrong.push(`${one.what}: expected ${one.expect}, got ${JSON.stringify(reply).slice(0, 200)}`);
    }
    console.log(`fuzz: ${cases.length} api messages (${skipped} valid setting changes and starts not sent)`);
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} wrong; ${replay}`);
    assert.ok(cases.length > 2500, `a few thousand cases (${cases.length})`);
  });

  it('survives frames that close the connection: invalid UTF-8, oversized, binary and garbage', async () => {
    const cases: Array<{ what: string; send: (socket: WebSocket) => void; close: number[] }> = [
      {
        what: 'overlong UTF-8 (C0 AE)',
        send: (s) => s.send(Buffer.from([0x7b, 0xc0, 0xae, 0x7d]), { binary: false }),
        close: [1007],
      },
      {
        what: 'a lone surrogate in UTF-8 (ED A0 80)',
        send: (s) => s.send(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), { binary: false }),
        close: [1007],
      },
      { what: 'a 2 MB frame', send: (s) => s.send('x'.repeat(2 * 1024 * 1024)), close: [1009] },
    ];
    for (const one of cases) {
      const socket = await openSocket(url);
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.on('error', () => undefined);
      one.send(socket);
      assert.ok(one.close.includes(await closed), `${one.what}; ${replay}`);
    }
    const binary = await sendCase(
      client,
      { what: 'binary', text: '', expect: 'orphan' },
      Buffer.from('{"id":1,"method":"host.snapshot"}'),
    );
    assert.equal((binary as { error?: { code: string } }).error?.code, 'MALFORMED', JSON.stringify(binary));
    for (let i = 0; i < 20; i++) {
      const garbage = Buffer.from(Array.from({ length: integer(rng, 1, 2000) }, () => integer(rng, 0, 255)));
      await rawWebSocketGarbage(port, token, garbage);
    }
    assert.equal(host.exited, null, replay);
  });

  it('takes a flood of messages without stalling: each one answered, the watchdog sampling on', async () => {
    const flood = await WsClient.connect(url);
    await host.waitFor('watchdog.samples');
    const interval = Math.max(
      ...host.of('watchdog.samples').flatMap((event) => event.samples.map((one) => one.intervalMs)),
    );
    const cheap = ['settings.get', 'plan.get', 'host.snapshot', 'models.check', 'instances.kill', 'plan.preview'];
    const message = (i: number): { text: string; id: number | null } => {
      const kind = rng();
      if (kind < 0.15) return { text: pick(rng, ['{', '[]', 'null', '{"id":"x"}']), id: null };
      const method = pick(rng, cheap);
      const params =
        kind < 0.5
          ? { bogus: i }
          : method === 'models.check'
            ? { path: `/nope/${i}` }
            : method === 'instances.kill'
              ? { instance: 'SUBJECT' }
              : method === 'plan.preview'
                ? { patch: {} }
                : {};
      return { text: JSON.stringify({ id: 5_000_000 + i, method, params }), id: 5_000_000 + i };
    };
    const ids = new Set<number>();
    let orphans = 0;
    const codes = new Map<string, number>();
    let answered = 0;
    let orphansSeen = 0;
    flood.socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: unknown; ok?: boolean; error?: { code: string } };
      if (reply.id === null) orphansSeen++;
      if (typeof reply.id !== 'number' || !ids.has(reply.id)) return;
      answered++;
      const code = reply.ok ? 'ok' : (reply.error?.code ?? 'none');
      codes.set(code, (codes.get(code) ?? 0) + 1);
    });
    // Kept full for three sampling intervals: a new wave whenever fewer than 1000 answers are outstanding.
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 3 * interval) {
      if (sent - answered - orphansSeen < 1000) {
        for (let i = 0; i < 2000; i++, sent++) {
          const { text, id } = message(sent);
          if (id === null) orphans++;
          else ids.add(id);
          flood.socket.send(text);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitUntil(() => answered === ids.size && orphansSeen === orphans, 60_000, 'every reply to the flood');
    const finished = Date.now();
    console.log(
      `fuzz: a flood of ${sent} messages answered in ${finished - started} ms: ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    for (const code of codes.keys()) {
      assert.ok(code === 'ok' || (CODES.has(code) && code !== 'INTERNAL'), `${code}; ${replay}`);
    }
    // The watchdog samples on the same event loop: while the flood was read, its samples kept their pace.
    const times = host
      .of('watchdog.samples')
      .flatMap((event) => event.samples.map((one) => one.t))
      .filter((t) => t >= started && t <= finished);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    console.log(`fuzz: ${times.length} watchdog samples during the flood, ${Math.max(...gaps)} ms apart at most`);
    assert.ok(times.length >= 2, `samples during the flood: ${times.length}`);
    assert.ok(
      Math.max(...gaps) < interval + 1000,
      `the longest gap between samples during the flood was ${Math.max(...gaps)} ms (interval ${interval} ms)`,
    );
    flood.close();
  });

  it('ends as it began: the same process, the same settings byte for byte, nothing caught', async () => {
    assert.equal(host.exited, null, replay);
    assert.ok(isAlive(host.pid));
    const fresh = await WsClient.connect(url);
    const after_ = await observedState(fresh, settingsFile);
    assert.deepEqual(after_, before_, replay);
    const snapshot = (await fresh.call('host.snapshot', {})) as ApiResult<HostSnapshot>;
    assert.ok(snapshot.ok);
    const caughtLines = host.of('log').filter((event) => event.message.startsWith('caught '));
    assert.deepEqual(
      caughtLines.map((event) => event.message),
      [],
      replay,
    );
    assert.equal(snapshot.result.caught, 0, replay);
    fresh.close();
  });
});

async function sendCase(client: WsClient, one: WsCase, binary?: Buffer): Promise<unknown> {
  if (binary) return client.sendRaw(binary, true);
  if (one.expect === 'orphan') return client.sendRaw(one.text);
  const { id } = JSON.parse(one.text) as { id: number };
  return client.callRaw(id, one.text);
}

function openSocket(panelUrl: string): Promise<WebSocket> {
  const { host, searchParams } = new URL(panelUrl);
  const socket = new WebSocket(`ws://${host}/ws?token=${searchParams.get('token')}`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A real handshake by hand, then bytes that are no WebSocket frames (unmasked, bad opcodes): the server closes. */
function rawWebSocketGarbage(port: number, token: string, garbage: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect', () =>
      socket.write(
        `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    );
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (upgraded || !chunk.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      socket.end(garbage);
    });
  });
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; ${replay}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
