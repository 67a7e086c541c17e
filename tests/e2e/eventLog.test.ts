import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { readMeminfo } from '../../electron/core/sampler/procfs.js';
import { openPanel, screenshot, waitForText } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

/**
 * The event log in Chromium against a real host held over its RAM threshold with nobody to stop (the threshold set
 * under what the board already uses, no instance running): the watchdog says the crossing once per 10 s instead
 * of every sample, the panel collapses the repeats into one line with their count and span, the kind filter shows
 * one kind, and a settings change reads old -> new without a second identical "Plan:" line.
 */
describe('the event log in Chromium against the headless host', { timeout: 180_000 }, () => {
  const models = testModels();
  // The board must stay over the line for the whole test: an idle machine uses 2% of its RAM, so this process holds
  // enough (touched, so it counts) to keep the board's use at 3% or more, over a threshold of 1.5%.
  const meminfo = readMeminfo();
  const short = meminfo.totalBytes * 0.03 - (meminfo.totalBytes - meminfo.availableBytes);
  const held = short > 0 ? Buffer.alloc(Math.ceil(short), 1) : null;
  const host = HostProcess.start([
    '--model',
    models.good,
    '--no-autostart',
    '--ram-threshold',
    '1.5',
    '--warn-threshold',
    '1',
  ]);
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const log = () => page.getByTestId('event-log');
  const kind = () => page.getByRole('combobox', { name: 'Filter the events by kind' });

  before(async () => {
    const { url } = await host.waitFor('host.ready');
    await host.waitFor('watchdog.started');
    ({ browser, page, problems } = await openPanel(url));
    await page.getByRole('tab', { name: 'Events' }).click();
  });
  after(async () => {
    await browser?.close();
    await host.stop();
    held?.fill(0);
  });

  it('says a crossing with nobody to stop once per 10 s, and the panel shows the repeats as one line', async () => {
    const first = await host.waitFor('watchdog.critical');
    await host.waitUntil(() => (host.of('watchdog.critical').length >= 3 ? true : undefined), '3 criticals', 40_000);
    const criticals = host.of('watchdog.critical');
    const spanS = (criticals.at(-1)!.at - first.at) / 1000;
    assert.ok(criticals.every((event) => event.reason === 'ram-threshold'));
    assert.ok(
      criticals.length <= spanS / 10 + 1,
      `${criticals.length} criticals in ${spanS.toFixed(1)} s: ${criticals.map((event) => event.at - first.at).join(', ')} ms`,
    );
    const samples = fs
      .readFileSync(path.join(host.dataDir, 'logs', 'watchdog.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('System RAM:')).length;
    assert.ok(samples > criticals.length * 3, `the watchdog sampled on meanwhile (${samples} samples)`);

    const line = log().locator('li', { hasText: 'ram-threshold crossed' });
    const repeats = await waitForText(line.getByTestId('repeats'), (text) => /x[3-9] in/.test(text), 10_000);
    const [, count, seconds] = /^\s*x(\d+) in (\d+) s$/.exec(repeats) ?? [];
    assert.equal(await line.count(), 1, 'one line for every repeat');
    const shown = host.of('watchdog.critical').slice(0, Number(count));
    assert.equal(Number(seconds), Math.round((shown.at(-1)!.at - shown[0]!.at) / 1000));
    await screenshot(page, 'event-log-collapsed-1920x1080');
  });

  it('filters by kind: the watchdog alone, then deaths alone (none here)', async () => {
    await kind().selectOption('watchdog');
    const texts = await log().locator('li').allTextContents();
    assert.ok(texts.length >= 2);
    assert.ok(
      texts.every((text) => /^\S+ Watchdog/.test(text)),
      `only the watchdog's lines: ${JSON.stringify(texts)}`,
    );
    await kind().selectOption('deaths');
    assert.equal(await log().locator('li').count(), 0);
    await kind().selectOption('all');
    assert.ok((await log().locator('li').count()) > texts.length);
  });

  it('says a settings change as old -> new, and the plan it leaves as it was is not said again', async () => {
    await kind().selectOption('plan');
    await log().locator('li').first().waitFor();
    const planLines = await log().locator('li').count();
    const plansBefore = host.of('plan.changed').length;

    await page.getByRole('tab', { name: 'Controls' }).click();
    const limits = page.getByRole('form', { name: 'RAM limits' });
    await limits.getByRole('textbox', { name: 'SUBJECT' }).fill('2');
    await limits.getByRole('button', { name: 'Apply' }).click();
    await host.waitFor('settings.changed');
    await host.waitUntil(() => (host.of('plan.changed').length > plansBefore ? true : undefined), 'a new plan');

    await page.getByRole('tab', { name: 'Events' }).click();
    await kind().selectOption('settings');
    await log().getByText("Settings: SUBJECT's RAM limit default -> 2 GB").waitFor();
    await kind().selectOption('plan');
    assert.equal(await log().locator('li').count(), planLines, 'the same plan line is not repeated');
  });

  it('has no script errors', () => {
    assert.deepEqual(problems, []);
  });
});
