import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { HistoryPage, SessionList } from '../../shared/history.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

/** The token kept across runs, --new-token, and the routes behind the token: /token-check and /export. */
describe('the kept token, the history api and the export routes of a real host', { timeout: 120_000 }, () => {
  const models = testModels();
  const args = ['--model', models.good, '--no-autostart'];
  let host = HostProcess.start(args);
  let url = '';
  let origin = '';
  let token = '';
  let firstSession = '';

  before(async () => {
    const ready = await host.waitFor('host.ready');
    ({ url, sessionId: firstSession } = ready);
    origin = new URL(url).origin;
    token = new URL(url).searchParams.get('token')!;
  });
  after(() => host.stop());

  const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${origin}${target}`, { method, headers });
  const bearer = (value: string) => ({ Authorization: `Bearer ${value}` });

  it('answers /token-check for the token and refuses any other, without the token in a URL', async () => {
    assert.equal((await get('/token-check', bearer(token))).status, 204);
    assert.equal((await get('/token-check', bearer('x'.repeat(32)))).status, 401);
    assert.equal((await get(`/token-check?token=${token}`)).status, 401, 'a token in the query is not enough here');
    assert.equal((await get('/token-check', bearer(token), 'POST')).status, 405);
  });

  it('exports only sessions of the data folder, by names it made', async () => {
    const ok = await get(`/export/${firstSession}/events.jsonl`, bearer(token));
    assert.equal(ok.status, 200);
    assert.match(
      ok.headers.get('content-disposition') ?? '',
      new RegExp(`^attachment; filename="brain-in-jar-${firstSession}-events\\.jsonl"$`),
    );
    for (const line of (await ok.text()).trimEnd().split('\n')) assert.equal(typeof JSON.parse(line), 'object');
    const metrics = await get(`/export/${firstSession}/metrics.csv`, bearer(token));
    assert.match((await metrics.text()).split('\r\n')[0]!, /^t,ram_used_bytes,ram_total_bytes,ram_percent,/);
    for (const target of [
      `/export/..%2F..%2Fsettings.json/events.jsonl`,
      `/export/${firstSession}/..%2F..%2Fsettings.json`,
      `/export/${firstSession}/SUBJECT.jsonl`,
      `/export/2020-01-01T00-00-00-000Z-1/deaths.csv`,
      `/export/${firstSession}/deaths.csv/more`,
    ]) {
      const refused = await get(target, bearer(token));
      assert.equal(refused.status, 404, target);
    }
    assert.equal((await get(`/export/${firstSession}/deaths.csv`)).status, 401);
  });

  it('lists and reads sessions through the api, refusing what is not one', async () => {
    const client = await WsClient.connect(url);
    const list = await client.call('history.list', { limit: 5 });
    assert.ok(list.ok);
    const sessions = (list.result as SessionList).sessions;
    assert.equal(sessions[0]!.id, firstSession);
    assert.equal(sessions[0]!.current, true);
    const events = await client.call('history.read', { session: firstSession, part: 'events', limit: 3 });
    assert.ok(events.ok);
    assert.ok((events.result as HistoryPage).entries.length <= 3);
    const bad = await client.call('history.read', { session: '../..', part: 'events' });
    assert.deepEqual(bad.ok ? null : [bad.error.code, bad.error.field], ['INVALID_PARAMS', 'session']);
    const tooMany = await client.call('history.read', { session: firstSession, part: 'events', limit: 10_000 });
    assert.equal(tooMany.ok, false, 'a page is bounded');
    client.close();
  });

  it('keeps the token across a restart, in a 0600 file, and --new-token replaces it', async () => {
    const file = path.join(host.dataDir, 'panel-token.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await host.stop();
    host = HostProcess.start(args, { dataDir: host.dataDir });
    const again = new URL((await host.waitFor('host.ready')).url).searchParams.get('token');
    assert.equal(again, token);
    await host.stop();
    host = HostProcess.start([...args, '--new-token'], { dataDir: host.dataDir });
    const ready = await host.waitFor('host.ready');
    const renewed = new URL(ready.url).searchParams.get('token')!;
    assert.notEqual(renewed, token);
    assert.ok(host.of('log').some((event) => /made a new panel token as --new-token asked/.test(event.message)));
    await assert.rejects(WsClient.connect(ready.url, { token }), /refused: 401/);
  });

  it('replaces a token file another user could read, and says so', async () => {
    const file = path.join(host.dataDir, 'panel-token.json');
    await host.stop();
    fs.chmodSync(file, 0o644);
    host = HostProcess.start(args, { dataDir: host.dataDir });
    await host.waitFor('host.ready');
    const notice = host.of('log').find((event) => /made a new panel token because/.test(event.message));
    assert.match(notice?.message ?? '', /has mode 644, not 600; it is not trusted/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });
});
