import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

/** Starts a host on `dataDir` with `args`, runs `body` with a client, and stops it. */
async function withHost(
  args: string[],
  dataDir: string | undefined,
  body: (host: HostProcess, client: WsClient) => Promise<void>,
): Promise<HostProcess> {
  const host = HostProcess.start(['--no-autostart', ...args], dataDir ? { dataDir } : {});
  try {
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    try {
      await body(host, client);
    } finally {
      client.close();
    }
  } finally {
    await host.stop();
  }
  return host;
}

const settingsOf = (dataDir: string) =>
  JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;

describe('a settings change never leaves a file that stops a later start', { timeout: 120_000 }, () => {
  it('refuses, beside --warn-threshold 50, a RAM threshold the saved warn level would break; a start without the flag then runs', async () => {
    const first = await withHost(['--warn-threshold', '50'], undefined, async (host, client) => {
      const refused = await client.call('settings.set', { ramThreshold: 60 });
      assert.ok(!refused.ok);
      assert.equal(refused.error.code, 'INVALID_PARAMS');
      assert.equal(refused.error.field, 'ramThreshold');
      assert.match(refused.error.message, /^as saved in settings\.json, Warn level must be below/);
      assert.match(refused.error.message, /\(70% is not below 60%\): --warn-threshold holds for this run only/);
      assert.equal(fs.existsSync(path.join(host.dataDir, 'settings.json')), false, 'nothing was saved');
      // Both together are what the operator means, and the file holds them on its own.
      assert.ok((await client.call('settings.set', { ramThreshold: 60, warnThreshold: 50 })).ok);
    });
    await withHost([], first.dataDir, async (host, client) => {
      assert.equal(host.of('log').filter((event) => /settings\.json/.test(event.message)).length, 0);
      const view = await client.call('settings.get', {});
      assert.ok(view.ok);
      const { settings, notice } = view.result as HostSnapshot['settings'];
      assert.equal(notice, null);
      assert.equal(settings.ramThreshold, 60);
      assert.equal(settings.warnThreshold, 50);
    });
  });

  it('sets aside a hand-edited {"warnThreshold": 95}, starts on the defaults and says so', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    fs.writeFileSync(path.join(dataDir, 'settings.json'), '{"warnThreshold": 95}');
    await withHost([], dataDir, async (host, client) => {
      const warning = await host.waitFor('log', (event) => /settings\.json was damaged/.test(event.message));
      assert.match(
        warning.message,
        /Warn level must be below the RAM threshold and the GPU threshold \(95% is not below 85%\)/,
      );
      assert.match(warning.message, /kept as .*settings\.json\.corrupt-.* and the defaults are in use$/);
      const backups = fs.readdirSync(dataDir).filter((name) => name.startsWith('settings.json.corrupt-'));
      assert.equal(backups.length, 1);
      assert.equal(fs.readFileSync(path.join(dataDir, backups[0]!), 'utf8'), '{"warnThreshold": 95}');
      const snapshot = await client.call('host.snapshot', {});
      assert.ok(snapshot.ok);
      const { settings, notice } = (snapshot.result as HostSnapshot).settings;
      assert.equal(settings.warnThreshold, 70);
      assert.match(notice ?? '', /^settings\.json was damaged/);
    });
  });

  it("keeps a newer version's key across a save, and every setting it knows", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    const newer = { ramThreshold: 80, strategies: { SUBJECT: 'seed' }, dashboardTheme: { accent: 'amber' } };
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(newer));
    await withHost([], dataDir, async (host, client) => {
      const view = await client.call('settings.get', {});
      assert.ok(view.ok);
      const { settings, notice } = view.result as HostSnapshot['settings'];
      assert.equal(notice, null);
      assert.equal(settings.ramThreshold, 80);
      assert.deepEqual(settings.strategies, { SUBJECT: 'seed' });
      assert.ok((await client.call('settings.set', { graceS: 4 })).ok);
      const saved = settingsOf(dataDir);
      assert.equal(saved.graceS, 4);
      assert.equal(saved.ramThreshold, 80);
      assert.deepEqual(saved.dashboardTheme, { accent: 'amber' });
      assert.equal(fs.readdirSync(dataDir).filter((name) => name.includes('corrupt')).length, 0, 'nothing set aside');
      assert.equal(host.exited, null);
    });
  });

  it('puts one refused value back to its default and keeps the others', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ ramThreshold: 150, graceS: 4 }));
    await withHost([], dataDir, async (host) => {
      const warning = await host.waitFor('log', (event) => /settings\.json had values/.test(event.message));
      assert.match(warning.message, /ramThreshold must be a number between 1% and 100% \(got 150%\)/);
      const saved = settingsOf(dataDir);
      assert.equal(saved.ramThreshold, 90);
      assert.equal(saved.graceS, 4);
    });
  });

  it('says settings.json cannot be read or written when it is a folder, keeps the change for this run, and leaves no temp file', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    fs.mkdirSync(path.join(dataDir, 'settings.json'));
    await withHost([], dataDir, async (host, client) => {
      await host.waitFor('log', (event) => /^settings\.json could not be read \(EISDIR/.test(event.message));
      const set = await client.call('settings.set', { graceS: 4 });
      assert.ok(set.ok, JSON.stringify(set));
      const { settings, notice } = set.result as HostSnapshot['settings'];
      assert.equal(settings.graceS, 4, 'in force for this run');
      assert.match(notice ?? '', /settings\.json could not be saved \(.+\); the changes hold until the host stops/);
      await host.waitFor('log', (event) => event.level === 'error' && /could not be saved/.test(event.message));
      assert.deepEqual(
        fs.readdirSync(dataDir).filter((name) => name.endsWith('.tmp')),
        [],
      );
    });
  });
});
