import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { launchBrowser, screenshot, waitForText, watchProblems } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

/** What the page's own scripts see (this file is typechecked without the DOM's types). */
interface PageGlobals {
  notReloaded?: boolean;
  document: { querySelector(selector: string): object | null };
  getComputedStyle(element: object, pseudo: string): { content: string };
}

/**
 * The kiosk case: a browser left open on the panel while the host restarts (systemd, an update). The page must come
 * back by itself, mark what it shows as stale while the host is away, and, once its token is replaced, say what to
 * do rather than retry in silence.
 */
describe('an open panel across a host restart, in Chromium', { timeout: 240_000 }, () => {
  const models = testModels();
  const args = ['--model', models.good, '--resurrect-delay', '60', '--max-tokens', '24'];
  const first = HostProcess.start(args);
  let second: HostProcess | null = null;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let firstUrl = '';
  let firstSession = '';

  before(async () => {
    const ready = await first.waitFor('host.ready');
    firstUrl = ready.url;
    firstSession = ready.sessionId;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    problems = watchProblems(page);
    await page.goto(firstUrl);
  });
  after(async () => {
    await browser?.close();
    await first.stop();
    await second?.stop();
  });

  const status = () => page.getByRole('status').filter({ hasText: /Connected|Connecting|Disconnected/ });

  it('is reconnected within 15 s of the host coming back on the same port and data folder, without a reload', async (t) => {
    await waitForText(status(), (text) => text === 'Connected');
    // A death in the first session, for the history and the export below.
    await first.waitFor('instance.state', (event) => event.state === 'thinking');
    const client = await WsClient.connect(firstUrl);
    assert.equal((await client.call('instances.kill', { instance: 'SUBJECT' })).ok, true);
    await first.waitFor('instance.death');
    client.close();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    await first.stop();
    const notice = page.getByTestId('stale-notice');
    await waitForText(notice, (text) => /Lost the connection/.test(text) && /Stale: every figure is as of/.test(text));
    assert.equal(await page.locator('.app').getAttribute('data-stale'), 'true');
    const marks = await page.evaluate(() =>
      ['[data-testid="instance-SUBJECT"]', '.chart', '[data-testid="ram-now"]'].map((selector) => {
        const element = (globalThis as unknown as PageGlobals).document.querySelector(selector);
        return element
          ? (globalThis as unknown as PageGlobals).getComputedStyle(element, '::after').content
          : 'missing';
      }),
    );
    assert.deepEqual(marks, ['"stale"', '"stale"', '"stale"'], 'the card, a chart and the header RAM say stale');
    await screenshot(page, 'restart-stale');

    const port = new URL(firstUrl).port;
    second = HostProcess.start([...args, '--web-port', port], { dataDir: first.dataDir });
    const ready = await second.waitFor('host.ready');
    assert.equal(new URL(ready.url).searchParams.get('token'), new URL(firstUrl).searchParams.get('token'));
    const backAt = second.arrivalOf(ready);
    await waitForText(status(), (text) => text === 'Connected', 15_000);
    const took = Date.now() - backAt;
    assert.ok(took < 15_000, `reconnected ${took} ms after the host was ready`);
    t.diagnostic(`reconnected ${took} ms after the restarted host was ready`);
    assert.equal(await page.getByTestId('stale-notice').count(), 0);
    assert.equal(await page.locator('.app').getAttribute('data-stale'), null);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded), true);
    assert.match((await page.getByTestId('panel-token').textContent()) ?? '', /Panel token made .* this machine only/);
  });

  it('lists the earlier session with its death, and exports it as CSV and JSONL that parse', async () => {
    await page.getByRole('button', { name: 'History and export' }).click();
    await page.getByTestId(`session-${firstSession}`).click();
    await page.getByRole('button', { name: 'Deaths', exact: true }).click();
    await waitForText(page.getByTestId('history-entries'), (text) =>
      /died \(death 1\): killed, signal SIGKILL/.test(text),
    );

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'deaths.csv' }).click();
    const saved = await download;
    assert.equal(saved.suggestedFilename(), `brain-in-jar-${firstSession}-deaths.csv`);
    const csv = await page.evaluate(
      async ([session, token]) => {
        const response = await fetch(`/export/${session}/deaths.csv`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        return { status: response.status, text: await response.text() };
      },
      [firstSession, new URL(firstUrl).searchParams.get('token')!] as const,
    );
    assert.equal(csv.status, 200);
    const rows = csv.text
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    assert.deepEqual(rows[0], [
      'at',
      'instance',
      'deaths',
      'cause',
      'signal',
      'exit_code',
      'pid',
      'memory_bytes',
      'message',
    ]);
    assert.equal(rows.length, 2, csv.text);
    assert.deepEqual([rows[1]![1], rows[1]![2], rows[1]![3], rows[1]![4]], ['SUBJECT', '1', 'killed', 'SIGKILL']);
    assert.ok(Number.isFinite(Date.parse(rows[1]![0]!)));

    const jsonl = await page.evaluate(
      async ([session, token]) => {
        const response = await fetch(`/export/${session}/transcript.jsonl`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        return response.text();
      },
      [firstSession, new URL(firstUrl).searchParams.get('token')!] as const,
    );
    const kinds = jsonl
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { kind: string }).kind);
    assert.equal(kinds[0], 'life');
    assert.ok(kinds.includes('death'), kinds.join());
    const refused = await page.evaluate(
      async (session) => (await fetch(`/export/${session}/deaths.csv`)).status,
      firstSession,
    );
    assert.equal(refused, 401, 'an export needs the token');
  });

  it('tells a page whose token was replaced what to do, and logs a retrying client once', async () => {
    const other = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await other.goto(firstUrl);
    await waitForText(
      other.getByRole('status').filter({ hasText: /Connected|Connecting|Disconnected/ }),
      (text) => text === 'Connected',
    );
    const before = second!.of('log').filter((event) => /refused a WebSocket/.test(event.message)).length;
    await other.getByRole('button', { name: 'New token' }).click();
    const message = await waitForText(other.getByTestId('token-message'), (text) => /A new token is in use/.test(text));
    const newToken = /\?token=([A-Za-z0-9_-]+)/.exec(message)![1]!;

    const told = await waitForText(page.getByTestId('stale-notice'), (text) => /token was replaced/.test(text), 10_000);
    assert.match(told, /Open the new address the host printed/);
    await screenshot(page, 'restart-token-replaced');
    // The page that asked goes on with the new token.
    await waitForText(
      other.getByRole('status').filter({ hasText: /Connected|Connecting|Disconnected/ }),
      (text) => text === 'Connected',
    );
    assert.equal(await other.getByTestId('stale-notice').count(), 0);
    const log = second!.of('log').find((event) => /its new address/.test(event.message));
    assert.ok(log && log.message.includes(newToken), 'the new address is in the host log');

    // A client that retries with the old token, as a kiosk script would: refused every time, said once (counted from
    // the renewal: the page that was told may have tried the old token once already, and that is the one line).
    for (let i = 0; i < 5; i++) {
      await assert.rejects(WsClient.connect(firstUrl), /refused: 401/);
    }
    await WsClient.connect(`${firstUrl.split('?')[0]}?token=${newToken}`).then((client) => client.close());
    const refusals = second!.of('log').filter((event) => /refused a WebSocket/.test(event.message));
    assert.equal(refusals.length - before, 1, refusals.map((event) => event.message).join('\n'));
    assert.match(refusals.at(-1)!.message, /its retries are not logged/);
    await other.close();
    assert.deepEqual(
      problems.filter((problem) => !/WebSocket|401|Failed to load resource/.test(problem)),
      [],
    );
  });
});
