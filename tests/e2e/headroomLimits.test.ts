import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import type { PlanOutcome } from '../../shared/plan.js';
import { openPanel, screenshot, waitForText } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

/**
 * Safe limits and headroom, in Chromium against a real matrix host: a RAM limit below what its model needs is refused
 * in place, with both figures, before Apply and by the host alike, and the other instances keep their limits on the
 * cards and in the form; the header shows the board's RAM as a bar with the warn and kill lines and the headroom.
 */
describe('safe limits and headroom in Chromium against the headless host', { timeout: 180_000 }, () => {
  const models = testModels();
  const host = HostProcess.start(['--mode', 'matrix', '--model', models.good, '--no-autostart']);
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let url: string;
  const limitsForm = () => page.getByRole('form', { name: 'RAM limits' });
  const limitField = (role: string) => limitsForm().getByRole('textbox', { name: role });
  const cardLimit = (role: string) => page.getByTestId(`instance-${role}`).locator('.memory .limit');

  before(async () => {
    ({ url } = await host.waitFor('host.ready'));
    await host.waitFor('watchdog.started');
    ({ browser, page, problems } = await openPanel(url));
  });
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  it('shows the board RAM as a bar with the warn and kill lines where the thresholds are, and the headroom', async () => {
    const meter = page.getByRole('meter', { name: 'System RAM against the warn and kill lines' });
    await meter.waitFor();
    const header = page.locator('header.header');
    assert.equal(await header.getByTestId('line-warn').getAttribute('title'), 'warn 70%');
    assert.equal(await header.getByTestId('line-kill').getAttribute('title'), 'kill 90%');
    assert.match((await header.getByTestId('line-warn').getAttribute('style')) ?? '', /left: 70%/);
    assert.match((await header.getByTestId('line-kill').getAttribute('style')) ?? '', /left: 90%/);
    const figures = await waitForText(header.getByTestId('headroom'), (text) => /GB/.test(text));
    const [, gb, where] = /^(\d+\.\d\d) GB (to|past) the kill line$/.exec(figures) ?? [];
    assert.ok(gb, `the headroom in GB: "${figures}"`);
    // The host's own figures: the kill line is 90% of the board's RAM, the headroom what is left below it.
    const frame = host.of('metrics.frame').at(-1)!.frame;
    const expected = (frame.ramTotalBytes * 0.9 - frame.ramUsedBytes) / 2 ** 30;
    assert.equal(where, expected >= 0 ? 'to' : 'past');
    assert.ok(Math.abs(Number(gb) - Math.abs(expected)) < 1, `${gb} GB is about the host's ${expected.toFixed(2)} GB`);
  });

  it('refuses a limit below the estimate in place, with both figures, and the others keep their limits', async () => {
    await page.getByRole('tab', { name: 'Controls' }).click();
    await limitField('SUBJECT').waitFor();
    const before = Object.fromEntries(
      await Promise.all(['OBSERVER', 'GOD'].map(async (role) => [role, await limitField(role).inputValue()] as const)),
    );
    const cardsBefore = await Promise.all(['OBSERVER', 'GOD'].map((role) => cardLimit(role).textContent()));
    const least = await page.getByTestId('least-SUBJECT').textContent();
    assert.match(least ?? '', /^needs at least 0\.\d+ GB$/, 'the host says what the model needs');
    const free = await page.getByTestId('free-to-give').textContent();
    assert.match(free ?? '', /^Still free to give to instances: \d+(\.\d+)? (GB|MB)$/);

    const from = host.events.length;
    await limitField('SUBJECT').fill('0.1');
    const error = page.getByTestId('limit-error-SUBJECT');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    const [, limit, need] =
      /^SUBJECT's RAM limit of ([\d.]+) GB is below the ([\d.]+) GB its model needs/.exec(text) ?? [];
    assert.ok(limit && need, `both figures: "${text}"`);
    assert.notEqual(limit, need, 'rounded so that they differ');
    assert.ok(Number(limit) < Number(need));
    assert.equal(await limitField('SUBJECT').getAttribute('aria-invalid'), 'true');
    await limitsForm().getByRole('button', { name: 'Apply' }).click();
    await screenshot(page, 'limits-refused-1920x1080');

    // The host refuses the same change on its own, in the same words, naming the field as the operator sees it.
    const client = await WsClient.connect(url);
    try {
      const refused = await client.call('settings.set', { ramLimitsGb: { SUBJECT: 0.1 } });
      assert.ok(!refused.ok);
      assert.equal(refused.error.code, 'MODEL_TOO_LARGE');
      assert.equal(refused.error.field, 'ramLimitsGb.SUBJECT');
      assert.equal(refused.error.message, text);
    } finally {
      client.close();
    }

    assert.deepEqual(
      host.events.slice(from).filter((event) => event.type === 'settings.changed' || event.type === 'plan.changed'),
      [],
      'nothing changed',
    );
    const file = path.join(host.dataDir, 'settings.json');
    const saved = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { ramLimitsGb?: object }) : {};
    assert.deepEqual(saved.ramLimitsGb ?? {}, {}, 'no limit was saved');
    for (const role of ['OBSERVER', 'GOD']) assert.equal(await limitField(role).inputValue(), before[role]);
    assert.deepEqual(
      await Promise.all(['OBSERVER', 'GOD'].map((role) => cardLimit(role).textContent())),
      cardsBefore,
      "the cards keep the others' limits",
    );
    assert.ok(cardsBefore.every((limitText) => !/^of 0 MB$/.test(limitText ?? '')));
  });

  it('has no script errors', () => {
    assert.deepEqual(problems, []);
  });
});

describe('a plan refused for one instance, in Chromium', { timeout: 120_000 }, () => {
  // A flag may still set a limit below the need for one run: the plan is refused, the others keep their limits.
  const host = HostProcess.start([
    '--mode',
    'matrix',
    '--model',
    testModels().good,
    '--no-autostart',
    '--ram-limit-subject',
    '0.1',
  ]);
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  it("never blanks the others' limits on the cards, the charts and the plan tab", async () => {
    const { url } = await host.waitFor('host.ready');
    const opened = await openPanel(url);
    browser = opened.browser;
    const { page } = opened;
    const card = (role: string) => page.getByTestId(`instance-${role}`).locator('.memory .limit');
    await card('GOD').waitFor();
    // The host's plan as it answers for it (a plan.changed event comes only when it changes after the start).
    const client = await WsClient.connect(url);
    const answer = await client.call('plan.get', {});
    client.close();
    assert.ok(answer.ok);
    const plan = answer.result as PlanOutcome;
    assert.ok(!plan.ok, 'the plan is refused');
    assert.equal(await card('SUBJECT').textContent(), 'of 102 MB');
    for (const role of ['OBSERVER', 'GOD']) {
      const limit: number = plan.limits!.instances.find((entry) => entry.instance === role)!.ramLimitBytes;
      assert.equal(await card(role).textContent(), `of ${(limit / 2 ** 30).toFixed(2)} GB`);
    }
    await page.getByText('OBSERVER, GOD limit').waitFor();
    await page.getByRole('tab', { name: 'Plan' }).click();
    await page
      .getByTestId('plan-error')
      .getByText(/SUBJECT: .* more than its RAM limit of 0\.10 GB/)
      .waitFor();
    const limits = await page.getByTestId('plan-limits').locator('li').allTextContents();
    assert.equal(limits.length, 3);
    assert.match(limits[0]!, /^SUBJECT: RAM limit 0\.1 GB, needs at least 0\.\d+ GB$/);
    await screenshot(page, 'plan-refused-limits-kept-1920x1080');
    assert.deepEqual(opened.problems, []);
  });
});
