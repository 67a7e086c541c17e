import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { keptToken, renewToken, tokenFileOf } from '../../electron/core/web/panelToken.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-token-'));
const loopback = (dataDir: string, more: Partial<Parameters<typeof keptToken>[0]> = {}) =>
  keptToken({ dataDir, renew: false, network: false, ...more });

describe('the panel token kept in the data folder', () => {
  it('is made once, written 0600, and the same token on the next run', () => {
    const dir = tmp();
    const first = loopback(dir, { now: 1_000 });
    assert.match(first.token, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(first.notices, [], 'a first token is no news');
    assert.equal(fs.statSync(tokenFileOf(dir)).mode & 0o777, 0o600);
    const second = loopback(dir, { now: 2_000 });
    assert.equal(second.token, first.token);
    assert.equal(second.madeAt, 1_000, 'the panel shows when it was made, not when it was read');
  });

  it('is replaced by --new-token and by a renewal, the new one kept', () => {
    const dir = tmp();
    const first = loopback(dir);
    const renewed = loopback(dir, { renew: true });
    assert.notEqual(renewed.token, first.token);
    assert.match(renewed.notices.join(), /--new-token/);
    const again = renewToken(dir, false);
    assert.notEqual(again.token, renewed.token);
    assert.equal(loopback(dir).token, again.token);
  });

  it('is replaced the first time the panel is served beyond loopback, then kept there', () => {
    const dir = tmp();
    const local = loopback(dir);
    const network = loopback(dir, { network: true });
    assert.notEqual(network.token, local.token, 'a loopback token never becomes a network credential silently');
    assert.match(network.notices.join(), /beyond loopback/);
    assert.equal(loopback(dir, { network: true }).token, network.token);
    assert.equal(loopback(dir).token, network.token, 'back on loopback, the network token is still the credential');
  });

  const hostile: Array<[string, (file: string) => void, RegExp]> = [
    ['readable by others', (file) => fs.chmodSync(file, 0o644), /mode 644/],
    ['damaged', (file) => fs.writeFileSync(file, '{"token": "abc', { mode: 0o600 }), /damaged/],
    [
      'holding a short token',
      (file) => fs.writeFileSync(file, '{"token":"x","madeAt":1}', { mode: 0o600 }),
      /no valid token/,
    ],
    [
      'a symbolic link',
      (file) => {
        const elsewhere = `${file}.elsewhere`;
        fs.renameSync(file, elsewhere);
        fs.symlinkSync(elsewhere, file);
      },
      /not a regular file/,
    ],
  ];
  for (const [what, spoil, why] of hostile) {
    it(`is replaced, with a notice, when its file is ${what}`, () => {
      const dir = tmp();
      const first = loopback(dir);
      spoil(tokenFileOf(dir));
      const next = loopback(dir);
      assert.notEqual(next.token, first.token);
      assert.match(next.notices.join(), why);
      const stat = fs.lstatSync(tokenFileOf(dir));
      assert.ok(stat.isFile() && (stat.mode & 0o777) === 0o600, 'the replacement is a regular 0600 file');
      assert.equal(loopback(dir).token, next.token, 'and kept from then on');
    });
  }

  it("is replaced when the file is another user's", () => {
    const dir = tmp();
    const first = loopback(dir);
    const owner = fs.statSync(tokenFileOf(dir)).uid;
    const next = loopback(dir, { uid: owner + 1 });
    assert.notEqual(next.token, first.token);
    assert.match(next.notices.join(), new RegExp(`belongs to user ${owner}`));
  });
});
