import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { openPanel, screenshot, waitForText } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

/** Width and height from a PNG's header chunk (IHDR, right after the 8-byte signature and the chunk's length and type). */
function pngSize(file: string): { width: number; height: number } {
  const header = fs.readFileSync(file).subarray(0, 24);
  assert.equal(header.toString('latin1', 12, 16), 'IHDR', `${file} is a PNG`);
  return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) };
}

describe('the panel in Chromium against the headless host, single mode', { timeout: 180_000 }, () => {
  const models = testModels();
  const host = HostProcess.start(['--model', models.good, '--resurrect-delay', '1.5', '--think-pause', '0.3']);
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let url = '';

  before(async () => {
    url = (await host.waitFor('host.ready')).url;
    ({ browser, page, problems } = await openPanel(url));
  });
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  const card = () => page.getByTestId('instance-SUBJECT');

  it('fills the transcript with streamed text, and does not call a chosen model a demo', async () => {
    await card().getByTestId('state').filter({ hasText: 'Thinking' }).waitFor();
    const text = await waitForText(card().getByTestId('transcript'), (seen) => seen.length > 200);
    assert.match(text, /[a-z]+ [a-z]+ [a-z]+/);
    assert.equal(await card().getByText('demo model').count(), 0, 'a model given with --model is not the demo');
    assert.match((await page.getByRole('status').textContent()) ?? '', /Connected/);
  });

  it('names the board in the Plan tab: its system, CPU and OS', async () => {
    await page.getByRole('tab', { name: 'Plan' }).click();
    const inventory = page.getByTestId('inventory');
    await inventory.waitFor();
    assert.match((await inventory.textContent()) ?? '', /\S · .+, \d+ cores? · Debian GNU\/Linux \d+/);
    await page.getByRole('tab', { name: 'Charts' }).click();
  });

  it('says in the Plan tab which llama.cpp binary the workers use, and why', async () => {
    await page.getByRole('tab', { name: 'Plan' }).click();
    const llama = page.getByTestId('llama');
    await llama.waitFor();
    assert.match(
      (await llama.textContent()) ?? '',
      /^llama\.cpp: (prebuilt|local) linux-\w+ \((CPU|CUDA|Vulkan)[^)]*\), /,
    );
    assert.match((await llama.getAttribute('title')) ?? '', /needs GLIBC_2\.\d+/);
    await page.getByRole('tab', { name: 'Charts' }).click();
  });

  it('shows the death of an external SIGKILL, then new text from the next life', async () => {
    const { pid } = await host.waitFor('instance.loaded');
    process.kill(pid, 'SIGKILL');
    await card().getByTestId('deaths').filter({ hasText: '1 death' }).waitFor();
    await card()
      .getByTestId('state')
      .filter({ hasText: /Dead|Resurrecting|Loading/ })
      .waitFor();
    await page.getByRole('tab', { name: 'Events' }).click();
    await page
      .getByTestId('event-log')
      .getByText(/SUBJECT died: signal \(SIGKILL\), death 1/)
      .waitFor();
    await screenshot(page, 'panel-single-after-death');
    await page.getByRole('tab', { name: 'Charts' }).click();
    // The next life's reflections are marked with its death count.
    await card()
      .getByTestId('transcript')
      .getByText(/after 1 death\b/)
      .first()
      .waitFor({ timeout: 30_000 });
    await card().getByTestId('state').filter({ hasText: 'Thinking' }).waitFor();
    const file = await screenshot(page, 'panel-single-1920x1080');
    assert.deepEqual(pngSize(file), { width: 1920, height: 1080 }, 'the screenshot is of the whole display');
    const transcript = await card().getByTestId('transcript').boundingBox();
    assert.ok(transcript && transcript.width > 0 && transcript.height > 0, 'the streamed text is on the page');
    assert.ok(
      transcript.x >= 0 &&
        transcript.y >= 0 &&
        transcript.x + transcript.width <= 1920 &&
        transcript.y + transcript.height <= 1080,
      `the streamed text is in view (${JSON.stringify(transcript)})`,
    );
    const scrollWidth = await page.locator('html').evaluate((html) => html.scrollWidth);
    assert.ok(scrollWidth <= 1920, `the panel fits the display's width (it is ${scrollWidth} px wide)`);
  });

  it('stays whole at 1280x720', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    const box = await card().boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 1280, 'the card fits the width');
    const kill = card().getByRole('button', { name: 'Kill' });
    const killBox = await kill.boundingBox();
    assert.ok(killBox && killBox.y + killBox.height <= 720, 'the controls are on screen');
    await screenshot(page, 'panel-single-1280x720');
  });

  it('has no script errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(problems, []);
  });

  it('refuses a page opened without the token, and says what to do', async () => {
    const stranger = await browser.newPage();
    await stranger.goto(url.replace(/\?token=.*/, ''));
    await stranger.getByText(/This address has no token\. Open the link the host printed/).waitFor();
    const wrong = await browser.newPage();
    await wrong.goto(url.replace(/token=.*/, 'token=wrong'));
    await wrong.getByText(/The host refused the connection: the token is wrong/).waitFor();
    assert.equal(await wrong.getByTestId('instance-SUBJECT').count(), 0);
  });
});
