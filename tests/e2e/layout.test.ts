import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { Browser, Locator, Page } from 'playwright-core';

import type { Role } from '../../shared/instances.js';
import { openPanel, screenshot } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

const SIZES = [
  { width: 1920, height: 1080, smallestPx: 15 },
  { width: 1280, height: 720, smallestPx: 13 },
] as const;
const ROLES: Role[] = ['SUBJECT', 'OBSERVER', 'GOD'];

/** Page script (a string: it runs in Chromium): the smallest computed font size of any text the reader can see. */
const SMALLEST_VISIBLE_TEXT = `(() => {
  let smallest = { px: Infinity, text: '', tag: '' };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.textContent || '').trim();
    const element = node.parentElement;
    if (text === '' || !element) continue;
    if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if ([...range.getClientRects()].every((rect) => rect.width === 0 || rect.height === 0)) continue;
    const px = parseFloat(getComputedStyle(element).fontSize);
    if (px < smallest.px) smallest = { px, text: text.slice(0, 60), tag: element.tagName };
  }
  return smallest;
})()`;

/** Page script: what has the keyboard's focus, and on which card. */
const FOCUSED = `(() => {
  const element = document.activeElement;
  return {
    text: element ? element.textContent : '',
    tag: element ? element.tagName : '',
    card: element && element.closest('[data-testid^="instance-"]')
      ? element.closest('[data-testid^="instance-"]').getAttribute('data-testid')
      : null,
  };
})()`;

async function box(locator: Locator) {
  const found = await locator.boundingBox();
  assert.ok(found, `${String(locator)} is drawn`);
  return found;
}

function inside(
  inner: { x: number; y: number; width: number; height: number },
  outer: { x: number; y: number; width: number; height: number },
): boolean {
  return (
    inner.x >= outer.x - 0.5 &&
    inner.y >= outer.y - 0.5 &&
    inner.x + inner.width <= outer.x + outer.width + 0.5 &&
    inner.y + inner.height <= outer.y + outer.height + 0.5
  );
}

const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** 1, 2, 2.5 or 5 times a power of ten. */
function isRoundStep(step: number): boolean {
  const power = 10 ** Math.floor(Math.log10(step));
  return [1, 2, 2.5, 5, 10].some((multiple) => Math.abs(step / power - multiple) < 1e-6);
}

async function yTicks(chart: Locator): Promise<number[]> {
  return (await chart.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents()).map(
    Number,
  );
}

/**
 * The panel at the board's display and at a small laptop's, in matrix mode, with a card in each state that grows it:
 * SUBJECT killed and dead (a long resurrection delay keeps it so), OBSERVER stopped, and GOD needing the operator
 * (llama.cpp refuses its model file, a failure that would happen again, so its card carries the error and the fix).
 */
describe('layout and keyboard in Chromium, matrix mode, against the real host', { timeout: 300_000 }, () => {
  const models = testModels();
  const host = HostProcess.start([
    '--mode',
    'matrix',
    '--model',
    models.good,
    '--model-god',
    models.rejectedByLlama,
    '--resurrect-delay',
    '300',
    '--think-pause',
    '0.3',
  ]);
  let browser: Browser;
  let page: Page;
  const card = (role: Role) => page.getByTestId(`instance-${role}`);
  const state = (role: Role) => card(role).getByTestId('state');
  const focused = () => page.evaluate(FOCUSED) as Promise<{ text: string; tag: string; card: string | null }>;

  async function eachSize(check: (size: (typeof SIZES)[number]) => Promise<void>): Promise<void> {
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await check(size);
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
  }

  async function buttonsOnScreen(role: Role, size: { width: number; height: number }): Promise<void> {
    const viewport = { x: 0, y: 0, width: size.width, height: size.height };
    const cardBox = await box(card(role));
    for (const name of ['Start', 'Stop', 'Kill']) {
      const button = await box(card(role).getByRole('button', { name, exact: true }));
      assert.ok(inside(button, viewport), `${role}'s ${name} is on screen at ${size.width}x${size.height}`);
      assert.ok(inside(button, cardBox), `${role}'s ${name} is inside its card at ${size.width}x${size.height}`);
    }
  }

  before(async () => {
    const { url } = await host.waitFor('host.ready');
    ({ browser, page } = await openPanel(url));
    await state('SUBJECT').filter({ hasText: 'Thinking' }).waitFor({ timeout: 90_000 });
    await state('OBSERVER').filter({ hasText: 'Thinking' }).waitFor({ timeout: 90_000 });
    await state('GOD').filter({ hasText: 'Needs the operator' }).waitFor({ timeout: 90_000 });
    await card('GOD').getByTestId('instance-error').waitFor();
  });
  after(async () => {
    await browser?.close();
    await host.stop();
  });

  it('keeps every card whole while thinking and needing the operator, at both sizes', async () => {
    await eachSize(async (size) => {
      for (const role of ROLES) await buttonsOnScreen(role, size);
    });
  });

  it('says in the header what holds each line: the kernel where this machine offers it, else polling', async () => {
    // As root on cgroup v1 (this machine and CI) the kernel watches the instances' limits and the RAM line; no kernel
    // sees the GPU's memory here, so that line is polled.
    const v1Root = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;
    const held = page.getByTestId('line-mechanism');
    const expected = v1Root
      ? 'Held by: limits kernel · RAM kernel · GPU polled'
      : 'Held by: limits polled · RAM polled · GPU polled';
    assert.equal(await held.textContent(), expected);
    assert.match((await held.getAttribute('title')) ?? '', /GPU: polling every \d+ ms/);
    await eachSize(async (size) => {
      const header = await box(page.locator('header.header'));
      assert.ok(inside(await box(held), header), `the line note sits in the header at ${size.width}x${size.height}`);
    });
  });

  it('at 1280x720 shows a chart on the first screen, beside the cards, and the page does not scroll', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    const chart = await box(page.getByRole('figure', { name: 'Board memory over time' }));
    assert.ok(inside(chart, { x: 0, y: 0, width: 1280, height: 720 }), `the board chart lies in the viewport`);
    assert.ok(
      await page.evaluate('document.documentElement.scrollHeight <= window.innerHeight'),
      'nothing below the fold',
    );
    // Usefully wide memory bars: the card's width, not a sliver beside its figures.
    const bar = await box(card('SUBJECT').getByRole('meter'));
    const cardBox = await box(card('SUBJECT'));
    assert.ok(bar.width >= cardBox.width * 0.7, `SUBJECT's memory bar is ${bar.width} px of ${cardBox.width}`);
    await screenshot(page, 'layout-matrix-1280x720');
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('prints no text smaller than 15 px at 1920x1080 nor 13 px at 1280x720, on any tab', async () => {
    await eachSize(async (size) => {
      for (const tab of ['Events', 'Controls', 'Plan', 'Charts']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel', { name: tab }).waitFor();
        const smallest = (await page.evaluate(SMALLEST_VISIBLE_TEXT)) as { px: number; text: string; tag: string };
        assert.ok(
          smallest.px >= size.smallestPx,
          `at ${size.width}x${size.height} on ${tab}: "${smallest.text}" (${smallest.tag}) is ${smallest.px} px`,
        );
      }
    });
  });

  it('draws the charts readably: legends in card order, round ticks, limit labels apart, a scale for small instances', async () => {
    const boardChart = page.getByRole('figure', { name: 'Board memory over time' });
    const instancesChart = page.getByRole('figure', { name: 'Instance memory over time' });
    await instancesChart.locator('.recharts-line').first().waitFor();
    assert.deepEqual(await boardChart.locator('.recharts-legend-item-text').allTextContents(), [
      ...ROLES,
      'rest of the system',
    ]);
    assert.deepEqual(await instancesChart.locator('.recharts-legend-item-text').allTextContents(), ROLES);

    await eachSize(async (size) => {
      for (const chart of [boardChart, instancesChart]) {
        const ticks = await yTicks(chart);
        assert.ok(ticks.length >= 3, `${ticks.length} ticks`);
        const steps = ticks.slice(1).map((value, index) => value - ticks[index]!);
        assert.ok(
          steps.every((step) => Math.abs(step - steps[0]!) < 1e-9 && isRoundStep(step)),
          `round ticks: ${ticks.join(', ')}`,
        );
      }
      const times = await boardChart
        .locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value')
        .allTextContents();
      assert.ok(times.length >= 2, `time ticks: ${times.join(', ')}`);
      // The window fills from the host's start, so the step depends on how much of the minute there is: whatever
      // it is, every tick falls on a round mark of the clock, the same step apart (10:20:10, 10:20:20, ...).
      const seconds = times.map((time) => time.split(':').reduce((sum, part) => sum * 60 + Number(part), 0));
      const step = seconds[1]! - seconds[0]!;
      assert.ok([1, 2, 5, 10, 15, 20, 30].includes(step), `time ticks a round step apart: ${times.join(', ')}`);
      for (const [index, second] of seconds.entries())
        assert.ok(
          second % step === 0 && (index === 0 || second - seconds[index - 1]! === step),
          `time ticks on the clock's round marks: ${times.join(', ')}`,
        );
      const labels = await page.locator('.chart .recharts-label').all();
      const boxes = await Promise.all(labels.map(box));
      for (let a = 0; a < boxes.length; a++)
        for (let b = a + 1; b < boxes.length; b++)
          assert.ok(!overlap(boxes[a]!, boxes[b]!), `labels ${a} and ${b} overlap at ${size.width}x${size.height}`);
    });

    // The instances have a scale of their own: a ~100 MB instance is not a flat line at the bottom of the board's.
    const topGb = (await yTicks(instancesChart)).at(-1)!;
    assert.ok(topGb < 2, `the instance chart's scale ends at ${topGb} GB`);
    const before = await yTicks(boardChart);
    const zoom = boardChart.getByRole('button', { name: 'Zoom to the instances' });
    await zoom.click();
    assert.equal(await zoom.getAttribute('aria-pressed'), 'true');
    const zoomed = await yTicks(boardChart);
    assert.ok(
      zoomed.at(-1)! - zoomed[0]! < before.at(-1)! - before[0]!,
      `zoomed: ${zoomed.join(', ')}; whole board: ${before.join(', ')}`,
    );
    await zoom.click();
  });

  it('after Kill, focus stays on the card (its Stop), and the dead card keeps its buttons on screen at both sizes', async () => {
    await card('SUBJECT').getByRole('button', { name: 'Kill' }).click();
    await state('SUBJECT').filter({ hasText: 'Dead' }).waitFor({ timeout: 30_000 });
    await card('SUBJECT').getByTestId('countdown').waitFor();
    assert.deepEqual(await focused(), { text: 'Stop', tag: 'BUTTON', card: 'instance-SUBJECT' });
    await eachSize(async (size) => {
      await buttonsOnScreen('SUBJECT', size);
      await screenshot(page, `layout-dead-${size.width}x${size.height}`);
    });
  });

  it('after Stop, focus goes to Start', async () => {
    await card('OBSERVER').getByRole('button', { name: 'Stop' }).click();
    await state('OBSERVER').filter({ hasText: 'Stopped' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await focused(), { text: 'Start', tag: 'BUTTON', card: 'instance-OBSERVER' });
    await eachSize(async (size) => buttonsOnScreen('OBSERVER', size));
  });

  it('moves between tabs with the arrows, Home and End', async () => {
    const tab = (name: string) => page.getByRole('tab', { name });
    await tab('Charts').click();
    const selectedAndFocused = async (name: string) => {
      assert.equal(await tab(name).getAttribute('aria-selected'), 'true', `${name} is selected`);
      assert.equal((await focused()).text, name, `${name} has the focus`);
      await page.getByRole('tabpanel', { name }).waitFor();
    };
    await page.keyboard.press('End');
    await selectedAndFocused('Plan');
    await page.keyboard.press('Home');
    await selectedAndFocused('Charts');
    await page.keyboard.press('ArrowLeft');
    await selectedAndFocused('Plan');
    await page.keyboard.press('ArrowRight');
    await selectedAndFocused('Charts');
  });

  it('Escape cancels the mode confirmation, and after a switch focus is on the new mode', async () => {
    const modes = page.getByRole('group', { name: 'Mode' });
    const confirm = page.getByRole('alertdialog', { name: 'Confirm the mode switch' });
    await modes.getByRole('button', { name: 'Single' }).click();
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await modes.getByRole('button', { name: 'Matrix' }).getAttribute('aria-pressed'), 'true');
    assert.deepEqual(await focused(), { text: 'Single', tag: 'BUTTON', card: null });

    await page.keyboard.press('Enter');
    await confirm.getByRole('button', { name: 'Switch' }).click();
    await card('OBSERVER').waitFor({ state: 'detached', timeout: 60_000 });
    await modes.getByRole('button', { name: 'Single', pressed: true }).waitFor();
    assert.deepEqual(await focused(), { text: 'Single', tag: 'BUTTON', card: null });
  });
});
