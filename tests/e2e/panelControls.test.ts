import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { openPanel, screenshot } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

/**
 * The operator's hand controls, in Chromium against a real host: a threshold typed into the panel reaches the
 * watchdog (it says so in an event), survives a restart of the host, and every bad entry is refused next to the field
 * with nothing changed.
 */
describe('the controls in Chromium against the headless host', { timeout: 240_000 }, () => {
  const models = testModels();
  const args = ['--model', models.good, '--think-pause', '0.5'];
  let host = HostProcess.start(args);
  let browser: Browser;
  let page: Page;
  let problems: string[];

  const settingsOnDisk = () =>
    JSON.parse(fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;
  const ramThreshold = () => page.getByLabel(/^RAM threshold/);
  const watchdogForm = () => page.getByRole('form', { name: 'Watchdog thresholds' });
  const limitsForm = () => page.getByRole('form', { name: 'RAM limits' });

  async function showControls(): Promise<void> {
    await page.getByRole('tab', { name: 'Controls' }).click();
    await ramThreshold().waitFor();
  }

  before(async () => {
    const { url } = await host.waitFor('host.ready');
    // The watchdog runs once the board is measured (a few seconds); a change made before that is simply what it
    // starts with, and the test wants to see a running watchdog take a change.
    await host.waitFor('watchdog.started');
    ({ browser, page, problems } = await openPanel(url));
    await showControls();
  });
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  it('a RAM threshold typed into the panel is what the watchdog uses next, and the event log says so', async () => {
    assert.equal(await ramThreshold().inputValue(), '90', 'the default, as in the original');
    const from = host.events.length;
    await ramThreshold().fill('80');
    await watchdogForm().getByRole('button', { name: 'Apply' }).click();
    await watchdogForm().getByText('Saved.').waitFor();
    const using = await host.waitFor('watchdog.thresholds', (event) => event.ramThreshold === 80, 10_000, from);
    assert.deepEqual(using.changed, ['ramThreshold']);
    assert.equal(settingsOnDisk().ramThreshold, 80);
    await page.getByRole('tab', { name: 'Events' }).click();
    await page
      .getByTestId('event-log')
      .getByText(/Watchdog now uses RAM 80%/)
      .waitFor();
    await page.getByRole('tab', { name: 'Charts' }).click();
    await page.getByText('kill 80%').waitFor();
  });

  it('refuses empty, negative, over 100 and letters next to the field, and changes nothing', async () => {
    await page.getByRole('tab', { name: 'Controls' }).click();
    const before = host.events.length;
    const cases: Array<[string, RegExp]> = [
      ['', /^RAM threshold must be/],
      ['-5', /^RAM threshold must be/],
      ['150', /^RAM threshold must be/],
      ['eighty', /^RAM threshold must be/],
    ];
    for (const [entry, message] of cases) {
      await ramThreshold().fill(entry);
      await watchdogForm().getByRole('button', { name: 'Apply' }).click();
      const error = page.locator('#setting-ramThreshold-error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', message, `the error for "${entry}" names the field`);
      assert.equal(await ramThreshold().getAttribute('aria-invalid'), 'true');
      assert.equal(await watchdogForm().getByText('Saved.').count(), 0);
    }
    await screenshot(page, 'panel-controls-refused-1920x1080');
    // A warn level above the kill line is refused too: it would hold every start for ever.
    await ramThreshold().fill('80');
    await page.getByLabel(/^Warn level/).fill('95');
    await watchdogForm().getByRole('button', { name: 'Apply' }).click();
    await page.locator('#setting-warnThreshold-error').waitFor();
    await page.getByLabel(/^Warn level/).fill('70');

    assert.deepEqual(
      host.events
        .slice(before)
        .filter((event) => event.type === 'settings.changed' || event.type === 'watchdog.thresholds'),
      [],
      'no refused entry reached the settings or the watchdog',
    );
    assert.equal(settingsOnDisk().ramThreshold, 80);
    assert.equal(settingsOnDisk().warnThreshold, 70);
  });

  it('refuses RAM limits over the board, naming the numbers, and keeps the old ones', async () => {
    const subject = limitsForm().getByRole('textbox', { name: 'SUBJECT' });
    const old = await subject.inputValue();
    const before = host.events.length;
    await subject.fill('500');
    await limitsForm().getByText('Over the board: the host will refuse these limits.').waitFor();
    await limitsForm().getByRole('button', { name: 'Apply' }).click();
    const error = page.getByTestId('limits-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /500(\.0+)? GB/, 'the refusal names the limit asked for');
    await subject.fill('abc');
    await limitsForm().getByRole('button', { name: 'Apply' }).click();
    await page
      .getByTestId('limits-error')
      .getByText(/SUBJECT/)
      .waitFor();
    assert.deepEqual(
      host.events.slice(before).filter((event) => event.type === 'settings.changed'),
      [],
      'the refused limits changed nothing',
    );
    assert.deepEqual(settingsOnDisk().ramLimitsGb, {}, 'no limit was saved');
    await page.reload();
    await page.getByRole('tab', { name: 'Controls' }).click();
    assert.equal(await limitsForm().getByRole('textbox', { name: 'SUBJECT' }).inputValue(), old);
  });

  it('shows the plan with both RAM estimates, and a manual context changes the plan and its estimate', async () => {
    await page.getByRole('tab', { name: 'Plan' }).click();
    const row = page.getByTestId('plan-SUBJECT');
    const numbers = row.getByTestId('plan-numbers');
    const ram = row.getByTestId('plan-ram');
    await ram.waitFor();
    assert.match((await ram.textContent()) ?? '', /^RAM \d+ MB once loaded, \d+ MB while thinking$/);
    const fitted = /context (\d+)/.exec((await numbers.textContent()) ?? '')![1]!;
    const ramBefore = await ram.textContent();
    // Contexts that hold SUBJECT's prompts (the planner refuses a manual context that does not).
    const context = fitted === '1024' ? '1536' : '1024';

    const from = host.events.length;
    await row.getByRole('combobox', { name: 'SUBJECT planner strategy' }).selectOption('manual');
    const form = page.getByRole('form', { name: 'SUBJECT manual plan' });
    await form.getByLabel('Context').fill(context);
    await form.getByRole('button', { name: 'Apply' }).click();
    await numbers.getByText(`context ${context}`).waitFor();
    const planned = await host.waitFor(
      'plan.changed',
      (event) => event.outcome.ok && event.outcome.plan.instances[0]!.contextSize === Number(context),
      10_000,
      from,
    );
    assert.ok(planned.outcome.ok);
    assert.equal(planned.outcome.plan.instances[0]!.strategy, 'manual');
    assert.notEqual(await ram.textContent(), ramBefore, 'another context, another estimate');

    await form.getByLabel('Context').fill('100');
    await form.getByRole('button', { name: 'Apply' }).click();
    await form
      .getByRole('alert')
      .getByText(/SUBJECT's manual plan context must be/)
      .waitFor();
    assert.match((await numbers.textContent()) ?? '', new RegExp(`context ${context} `), 'the refusal changed nothing');

    await row.getByRole('combobox', { name: 'SUBJECT planner strategy' }).selectOption('fit');
    await numbers.getByText(`context ${fitted}`).waitFor();
    await screenshot(page, 'panel-plan-1920x1080');
  });

  it('has no script errors and no Content-Security-Policy violations', () => {
    // Checked before the restart: while the host is down the page's reconnect attempts fail, as they should.
    assert.deepEqual(problems, []);
  });

  it('keeps the threshold across a restart of the host', async () => {
    await host.stop();
    host = HostProcess.start(args, { dataDir: host.dataDir });
    const started = await host.waitFor('watchdog.started');
    assert.equal(started.ramThreshold, 80, 'the restarted watchdog uses the saved threshold');
    const { url } = await host.waitFor('host.ready');
    await page.goto(url);
    await showControls();
    assert.equal(await ramThreshold().inputValue(), '80');
  });
});
