import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { openPanel, screenshot, waitForText } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { fill, mountTmpfs, unmount } from '../helpers/tmpfs.js';

const NAME = /SUBJECT died: signal \(SIGKILL\), death 1\b/;

/** "61 samples over the 30 s before it (…)": how many the death view drew, and over how long. */
async function samplesShown(page: Page): Promise<{ count: number; seconds: number }> {
  const text = await waitForText(page.getByTestId('death-samples'), (seen) => /\d+ samples over/.test(seen));
  const [, count, seconds] = /(\d+) samples over the (\d+) s before it/.exec(text)!;
  return { count: Number(count), seconds: Number(seconds) };
}

describe(
  'a death explained: the card, the charts, the death view, the alert, a host restart',
  { timeout: 240_000 },
  () => {
    const models = testModels();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-deaths-'));
    // A long pause before the return, to look at the dead card; long reflections, so a kill cuts one short.
    const flags = ['--model', models.good, '--resurrect-delay', '6', '--max-tokens', '512', '--interval', '0.5'];
    let host = HostProcess.start(flags, { dataDir });
    let browser: Browser;
    let page: Page;
    let problems: string[];
    const card = () => page.getByTestId('instance-SUBJECT');

    /** A fresh browser on the host now running (its token is new on every start). */
    const reopen = async () => {
      await browser?.close();
      ({ browser, page, problems } = await openPanel((await host.waitFor('host.ready')).url));
    };

    before(reopen);
    after(async () => {
      await browser?.close();
      await host.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('says on the card why it died while it is dead, with a banner and the title', async () => {
      const { pid, at: loadedAt } = await host.waitFor('instance.loaded');
      await card().getByTestId('state').filter({ hasText: 'Thinking' }).waitFor();
      // Some seconds of samples before the death, and a thought being streamed when it comes.
      await host.waitUntil(
        () => (host.of('metrics.frame').filter((event) => event.at > loadedAt + 4000).length > 0 ? true : undefined),
        'four seconds of samples',
      );
      // Killed at the first words of a new thought, which has most of its 512 tokens to go: it is cut, not ended.
      const streamed = host.events.length;
      await host.waitUntil(() => {
        const tokens = host.events
          .slice(streamed)
          .flatMap((event) => (event.type === 'instance.tokens' && event.instance === 'SUBJECT' ? [event] : []));
        return tokens.find((event, index) => index > 0 && event.n !== tokens[index - 1]!.n);
      }, 'the first words of a new thought');
      process.kill(pid, 'SIGKILL');
      const death = await host.waitFor('instance.death');
      assert.ok(death.postMortem, 'the death event carries its post-mortem');

      await card().getByTestId('state').filter({ hasText: 'Dead' }).waitFor();
      const last = card().getByTestId('last-death');
      assert.match((await last.getByTestId('death-cause').textContent()) ?? '', /^signal \(SIGKILL\)/);
      assert.match(
        (await last.getByTestId('death-memory').textContent()) ?? '',
        /^\d+ MB of its [\d.]+ GB limit \(\d+%\)$/,
      );
      assert.match(
        (await last.getByTestId('death-board').textContent()) ?? '',
        /^\d+% of [\d.]+ GB · kill line 90%, warn 70%$/,
      );
      assert.equal(
        await last.getByTestId('death-reaction').count(),
        0,
        'no reaction time: the watchdog did not kill it',
      );
      assert.equal(await card().getByTestId('state').textContent(), 'Dead', 'all this while it is still dead');

      assert.match((await page.getByTestId('death-alert').textContent()) ?? '', NAME);
      assert.match(await page.title(), NAME);
      await screenshot(page, 'death-dead-card');
    });

    it('marks the death on every time chart, by name, and a marker opens the minute before it', async () => {
      const charts = await page.getByTestId('charts').locator('figure.chart').count();
      const markers = page.getByRole('button', { name: NAME });
      await markers.first().waitFor();
      assert.equal(await markers.count(), charts, `a marker on each of the ${charts} charts`);
      assert.match((await markers.first().locator('title').textContent()) ?? '', NAME, 'a title for the pointer');

      await markers.first().focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(
        (await dialog.getByRole('heading').first().textContent()) ?? '',
        /SUBJECT, death 1: signal \(SIGKILL\)/,
      );
      const { count, seconds } = await samplesShown(page);
      assert.ok(
        count >= 8 && seconds >= 4,
        `the seconds before it, at the sampling interval (${count} in ${seconds} s)`,
      );
      for (const chart of ['death-chart-instance', 'death-chart-board']) {
        const curve = dialog.getByTestId(chart).locator('path.recharts-line-curve').first();
        assert.match((await curve.getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+L/, `${chart} draws a line`);
      }
      await screenshot(page, 'death-view');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      type Focus = { document: { activeElement: { getAttribute(name: string): string | null } | null } };
      const focused = await page.evaluate(
        () => (globalThis as unknown as Focus).document.activeElement?.getAttribute('aria-label') ?? null,
      );
      assert.equal(focused, await markers.first().getAttribute('aria-label'), 'focus goes back to the marker');
    });

    it('keeps the death on the card after it returns, and marks the thought it cut', async () => {
      await card().getByTestId('state').filter({ hasText: 'Thinking' }).waitFor({ timeout: 30_000 });
      assert.match(
        (await card().getByTestId('last-death').getByTestId('death-cause').textContent()) ?? '',
        /^signal \(SIGKILL\)/,
      );
      const cut = host.of('instance.reflection').find((event) => !event.record.complete);
      assert.ok(cut, 'the kill cut a thought short');
      await card().getByTestId('cut-mark').filter({ hasText: 'cut off by death 1: signal (SIGKILL)' }).waitFor();
      assert.deepEqual(problems, []);
    });

    it('has the sound off by default, and keeps it on in this browser once ticked', async () => {
      await page.getByRole('tab', { name: 'Controls' }).click();
      const sound = () => page.getByRole('checkbox', { name: /Sound on a death/ });
      assert.equal(await sound().isChecked(), false);
      await sound().check();
      await page.reload();
      await page.getByRole('tab', { name: 'Controls' }).click();
      assert.equal(await sound().isChecked(), true);
      await page.getByRole('tab', { name: 'Charts' }).click();
    });

    it('still explains the death after the host restarts', async () => {
      await host.stop();
      host = HostProcess.start(flags, { dataDir });
      await reopen();
      const last = card().getByTestId('last-death');
      await last.waitFor();
      assert.match((await last.getByTestId('death-cause').textContent()) ?? '', /^signal \(SIGKILL\)/);
      assert.equal(
        await page.getByTestId('death-alert').count(),
        0,
        'an old death is on the card, not announced again',
      );
      await last.getByRole('button', { name: 'The minute before it' }).click();
      await page.getByRole('dialog').waitFor();
      const { count } = await samplesShown(page);
      assert.ok(count >= 8, `the samples came back from disk (${count})`);
      await page.getByRole('button', { name: 'Close the death view' }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      assert.deepEqual(problems, []);
    });
  },
);

describe('a death while the disk is full', { timeout: 120_000 }, () => {
  const models = testModels();

  it('is explained on the card at once, and its post-mortem reaches the disk once there is room', async () => {
    const mount = mountTmpfs('size=2m');
    const filler = path.join(mount, 'filler');
    const host = HostProcess.start(['--model', models.good, '--resurrect-delay', '30', '--interval', '0.5'], {
      dataDir: path.join(mount, 'data'),
    });
    let browser: Browser | undefined;
    try {
      const opened = await openPanel((await host.waitFor('host.ready')).url);
      browser = opened.browser;
      const card = opened.page.getByTestId('instance-SUBJECT');
      const { pid } = await host.waitFor('instance.loaded');
      await card.getByTestId('state').filter({ hasText: 'Thinking' }).waitFor();
      fill(filler);
      await host.waitFor('store.disk', (event) => event.state === 'full', 15_000);
      await card
        .getByTestId('card-disk')
        .filter({ hasText: /not being written: disk full/ })
        .waitFor();

      process.kill(pid, 'SIGKILL');
      const { postMortem } = await host.waitFor('instance.death');
      const cause = card.getByTestId('last-death').getByTestId('death-cause');
      await cause.filter({ hasText: /^signal \(SIGKILL\)/ }).waitFor();
      await card.getByRole('button', { name: 'The minute before it' }).click();
      const { count } = await samplesShown(opened.page);
      assert.ok(count >= 2, `the view opens while its line waits for the disk (${count} samples)`);
      await opened.page.keyboard.press('Escape');

      fs.rmSync(filler);
      await host.waitFor('store.disk', (event) => event.state !== 'full', 30_000);
      await card.getByTestId('card-disk').waitFor({ state: 'detached' });
      const file = path.join(mount, 'data/sessions', postMortem!.id.split('/')[0]!, 'postmortems.jsonl');
      await host.waitUntil(
        () => (fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n') ? true : undefined),
        'the post-mortem on disk',
      );
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      assert.deepEqual(
        lines.map((line) => (JSON.parse(line) as { id: string }).id),
        [postMortem!.id],
        'one whole line, written once there was room',
      );
    } finally {
      await browser?.close();
      await host.stop();
      unmount(mount);
    }
  });
});

describe('a failure that will repeat, on the card', { timeout: 60_000 }, () => {
  it('shows Needs the operator with the reason and the fix, beside the death that came first', async () => {
    const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');
    const host = HostProcess.start(['--resurrect-delay', '0.2'], {
      env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, BIJ_HOG_ABORT_AT_LOAD: '1' },
    });
    let browser: Browser | undefined;
    try {
      const opened = await openPanel((await host.waitFor('host.ready')).url);
      browser = opened.browser;
      await host.waitFor('instance.state', (event) => event.state === 'blocked');
      const card = opened.page.getByTestId('instance-SUBJECT');
      await card.getByTestId('state').filter({ hasText: 'Needs the operator' }).waitFor();
      assert.match((await card.getByTestId('instance-error').textContent()) ?? '', /crashed the same way twice/);
      assert.match((await card.getByTestId('instance-fix').textContent()) ?? '', /^To fix: .+Not counted as a death/);
      // The first crash counted; the second, the same, did not.
      assert.match((await card.getByTestId('death-cause').textContent()) ?? '', /^load-failed \(SIGABRT\)/);
      assert.equal(await card.getByTestId('deaths').textContent(), '1 death');
      assert.match(
        (await card.getByTestId('death-memory').textContent()) ?? '',
        /^(not measured \(it died before a sample saw it\); its limit [\d.]+ GB|\d+ MB of its [\d.]+ GB limit .*)$/,
        'its limit is known even when no sample saw the worker (it aborts within milliseconds)',
      );
      await screenshot(opened.page, 'death-blocked-card');
    } finally {
      await browser?.close();
      await host.stop();
    }
  });
});
