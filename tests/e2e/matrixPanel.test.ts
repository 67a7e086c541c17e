import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import type { Role } from '../../shared/instances.js';
import type { TranscriptRecord } from '../../shared/transcript.js';
import { openPanel, screenshot, waitForText } from '../helpers/browser.js';
import { HostProcess, isAlive } from '../helpers/hostProcess.js';
import { sizedModel, testModels } from '../helpers/models.js';

/** Reflections on disk, from a role's transcript in the host's session folder. */
function reflectionsOnDisk(host: HostProcess, role: Role): Extract<TranscriptRecord, { kind: 'reflection' }>[] {
  const written = host.of('transcript.written').find((event) => event.instance === role);
  assert.ok(written, `${role} has a transcript`);
  return fs
    .readFileSync(written.file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TranscriptRecord)
    .filter((record): record is Extract<TranscriptRecord, { kind: 'reflection' }> => record.kind === 'reflection');
}

describe('matrix mode in Chromium: three minds, each with its own generated model', { timeout: 300_000 }, () => {
  const models = testModels();
  const observerModel = sizedModel(models.dir, 'observer-mind', { name: 'Observer mind', seed: 2 });
  const godModel = sizedModel(models.dir, 'god-mind', { name: 'God mind', seed: 3 });
  const host = HostProcess.start([
    '--mode',
    'matrix',
    '--model-subject',
    models.good,
    '--model-observer',
    observerModel,
    '--model-god',
    godModel,
    '--resurrect-delay',
    '1',
    '--think-pause',
    '0.3',
  ]);
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const card = (role: Role) => page.getByTestId(`instance-${role}`);
  const pidOnCard = async (role: Role) =>
    Number((await card(role).locator('dt:text-is("PID") + dd').textContent()) ?? Number.NaN);

  before(async () => {
    const { url } = await host.waitFor('host.ready');
    ({ browser, page, problems } = await openPanel(url));
  });
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  it('streams all three side by side, each with its own model', async () => {
    const names: Record<Role, string> = {
      SUBJECT: 'Brain in a Jar demo mind',
      OBSERVER: 'Observer mind',
      GOD: 'God mind',
    };
    for (const role of ['SUBJECT', 'OBSERVER', 'GOD'] as const) {
      await card(role).getByTestId('state').filter({ hasText: 'Thinking' }).waitFor({ timeout: 90_000 });
      await card(role).getByText(names[role]).waitFor();
      await waitForText(card(role).getByTestId('transcript'), (text) => text.length > 150, 60_000);
    }
    await card('OBSERVER').getByTestId('watching').getByText('SUBJECT (0 deaths)').waitFor();
    await card('GOD').getByTestId('watching').getByText('OBSERVER (0 deaths)').waitFor();
    await screenshot(page, 'panel-matrix-1920x1080');
  });

  it("lets the reader open what OBSERVER was shown: SUBJECT's own words, as recorded on disk", async () => {
    const shown = card('OBSERVER')
      .getByTestId('shown')
      .filter({ hasText: /saw SUBJECT #\d+/ })
      .last();
    await shown.waitFor({ timeout: 60_000 });
    await shown.locator('summary').click();
    const quote = shown.locator('blockquote').last();
    const text = ((await quote.textContent()) ?? '').replace(/^SUBJECT #\d+/, '');
    assert.ok(text.length > 20, `a quoted thought: ${text}`);
    const subject = reflectionsOnDisk(host, 'SUBJECT').map((record) => record.text);
    assert.ok(subject.includes(text), 'the quote is a reflection SUBJECT really wrote');
    const observer = reflectionsOnDisk(host, 'OBSERVER');
    assert.ok(
      observer.some((record) => record.shown?.[0]?.reflections.some((reflection) => reflection.text === text)),
      "OBSERVER's transcript on disk records the same text with its reflection",
    );
  });

  it('survives a SIGKILL of SUBJECT: the watchers keep their PIDs and are told the new count', async () => {
    const observerPid = await pidOnCard('OBSERVER');
    const godPid = await pidOnCard('GOD');
    const subjectPid = await pidOnCard('SUBJECT');
    assert.ok(observerPid > 0 && godPid > 0 && subjectPid > 0);
    const from = host.events.length;
    process.kill(subjectPid, 'SIGKILL');

    await card('SUBJECT').getByTestId('deaths').filter({ hasText: '1 death' }).waitFor();
    await card('OBSERVER').getByTestId('watching').getByText('SUBJECT (1 death)').waitFor();
    await card('GOD').getByTestId('watching').getByText('SUBJECT (1 death)').waitFor();
    // Their next reflections were prompted with SUBJECT's new count.
    for (const role of ['OBSERVER', 'GOD'] as const) {
      await card(role)
        .getByTestId('shown')
        .filter({ hasText: /saw SUBJECT .*\(1 death\)/ })
        .first()
        .waitFor({ timeout: 60_000 });
      const prompted = reflectionsOnDisk(host, role).filter((record) =>
        /SUBJECT has died 1 time\./.test(record.prompt ?? ''),
      );
      assert.ok(prompted.length > 0, `${role}'s prompt on disk carries the count`);
    }
    await page.getByRole('tab', { name: 'Events' }).click();
    await page
      .getByTestId('event-log')
      .getByText(/SUBJECT died: signal \(SIGKILL\), death 1/)
      .waitFor();
    await page
      .getByTestId('event-log')
      .getByText(/OBSERVER was told: SUBJECT has just died/)
      .waitFor();
    await page
      .getByTestId('event-log')
      .getByText(/GOD was told: SUBJECT has just died/)
      .waitFor();
    await page.getByRole('tab', { name: 'Charts' }).click();

    assert.equal(await pidOnCard('OBSERVER'), observerPid);
    assert.equal(await pidOnCard('GOD'), godPid);
    assert.ok(isAlive(observerPid) && isAlive(godPid));
    assert.equal(
      host.events.slice(from).filter((e) => e.type === 'instance.death' && e.instance !== 'SUBJECT').length,
      0,
    );
  });

  it('stays whole at 1280x720', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    for (const role of ['SUBJECT', 'OBSERVER', 'GOD'] as const) {
      const box = await card(role).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 1280, `${role}'s card fits the width`);
      const kill = await card(role).getByRole('button', { name: 'Kill' }).boundingBox();
      assert.ok(kill && kill.x + kill.width <= box.x + box.width, `${role}'s Kill button is inside its card`);
      assert.ok(kill.y + kill.height <= 720, `${role}'s controls are on the first screen`);
    }
    await screenshot(page, 'panel-matrix-1280x720');
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('switches to single and back from the header, after a confirmation', async () => {
    const from = host.events.length;
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Single' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Confirm the mode switch' });
    await confirm.getByText('Switch to single?').waitFor();
    await confirm.getByRole('button', { name: 'Switch' }).click();
    await card('OBSERVER').waitFor({ state: 'detached', timeout: 30_000 });
    await card('GOD').waitFor({ state: 'detached' });
    await card('SUBJECT').getByTestId('state').filter({ hasText: 'Thinking' }).waitFor({ timeout: 60_000 });
    assert.equal(
      await page
        .getByRole('group', { name: 'Mode' })
        .getByRole('button', { name: 'Single' })
        .getAttribute('aria-pressed'),
      'true',
    );
    assert.equal(host.events.slice(from).filter((event) => event.type === 'instance.death').length, 0, 'no deaths');

    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Matrix' }).click();
    await page
      .getByRole('alertdialog', { name: 'Confirm the mode switch' })
      .getByRole('button', { name: 'Switch' })
      .click();
    for (const role of ['SUBJECT', 'OBSERVER', 'GOD'] as const)
      await card(role).getByTestId('state').filter({ hasText: 'Thinking' }).waitFor({ timeout: 90_000 });
    // Deaths are the mind's, not the session's: SUBJECT still counts the SIGKILL.
    await card('SUBJECT').getByTestId('deaths').filter({ hasText: '1 death' }).waitFor();
  });

  it('has no script errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(problems, []);
  });
});
