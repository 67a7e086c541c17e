import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { launchBrowser } from '../helpers/browser.js';
import { HostProcess } from '../helpers/hostProcess.js';

describe('with no model configured', { timeout: 120_000 }, () => {
  const host = HostProcess.start([]);
  after(() => host.stop());

  it('generates the demo model, runs it, and the panel says it is a demo model', async () => {
    const loaded = await host.waitFor('instance.loaded');
    assert.equal(loaded.load.demo, true);
    assert.equal(loaded.load.modelPath, path.join(host.dataDir, 'models', 'demo.gguf'));
    assert.ok(fs.statSync(loaded.load.modelPath).size > 100_000);

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto((await host.waitFor('host.ready')).url);
      const tag = page.getByTestId('instance-SUBJECT').getByText('demo model', { exact: true });
      await tag.waitFor();
      assert.match((await tag.getAttribute('title')) ?? '', /choose a real GGUF model with --model/);
    } finally {
      await browser.close();
    }
  });
});
