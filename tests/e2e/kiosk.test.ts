import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { launchBrowser } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';

/** What these checks use of the page (the tests' tsconfig has no DOM types); the functions run in the page. */
interface PageGlobals {
  document: { body: { classList: { contains(name: string): boolean } } };
  getComputedStyle(element: unknown): { cursor: string };
}
const idle = () => (globalThis as unknown as PageGlobals).document.body.classList.contains('cursor-idle');

describe('the panel on the board’s display (kiosk)', { timeout: 60_000 }, () => {
  const host = HostProcess.start(['--no-autostart']);
  after(() => host.stop());

  it('hides the mouse pointer when idle, and shows it again when it moves; not outside kiosk mode', async () => {
    const browser = await launchBrowser();
    try {
      const url = (await host.waitFor('host.ready')).url;
      const page = await browser.newPage();
      await page.goto(`${url}&kiosk=1`);
      await page.getByTestId('instance-SUBJECT').waitFor();
      const cursor = () =>
        page.evaluate(() => {
          const page = globalThis as unknown as PageGlobals;
          return page.getComputedStyle(page.document.body).cursor;
        });
      assert.notEqual(await cursor(), 'none', 'shown at first');
      await page.waitForFunction(idle, null, { timeout: 6000 });
      assert.equal(await cursor(), 'none');
      await page.mouse.move(200, 200);
      assert.notEqual(await cursor(), 'none', 'back on a move');

      const desk = await browser.newPage();
      await desk.goto(url);
      await desk.getByTestId('instance-SUBJECT').waitFor();
      await new Promise((resolve) => setTimeout(resolve, 3500));
      assert.equal(await desk.evaluate(idle), false);
    } finally {
      await browser.close();
    }
  });
});
