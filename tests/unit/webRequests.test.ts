import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isOwnHost, isOwnOrigin, ownHosts } from '../../electron/core/web/ownAddress.js';
import { staticTarget } from '../../electron/core/web/staticPath.js';

describe('which files a request target names', () => {
  it("maps the panel's own paths to files in the renderer folder, the query and fragment aside", () => {
    assert.deepEqual(staticTarget('/'), { ok: true, relative: 'index.html' });
    assert.deepEqual(staticTarget('/?token=abc'), { ok: true, relative: 'index.html' });
    assert.deepEqual(staticTarget('/assets/index-1a2b.js'), { ok: true, relative: 'assets/index-1a2b.js' });
    assert.deepEqual(staticTarget('/icon%20x.svg#top'), { ok: true, relative: 'icon x.svg' });
    assert.deepEqual(staticTarget('/index.html?x=%00'), { ok: true, relative: 'index.html' });
  });

  it('refuses NUL, bad and overlong encodings, climbing segments, backslashes and what is not a path', () => {
    const refused = [
      '/%00',
      '/index.html%00',
      '/index.html%00.js',
      '/%',
      '/%zz',
      '/%C0%AE%C0%AE/etc/passwd',
      '/%c0%af',
      '/%E0%80%AF',
      '/%ED%A0%80',
      '/..',
      '/../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/assets/../../package.json',
      '/./index.html',
      '/..\\..\\etc\\passwd',
      '/%5c..%5cpackage.json',
      '//etc/passwd',
      '/assets//x.js',
      '/a%0d%0aSet-Cookie:x',
      '/%7f',
      '*',
      'http://127.0.0.1:8095/index.html',
      '',
    ];
    for (const target of refused) {
      const result = staticTarget(target);
      assert.ok(!result.ok && result.status === 400, `${JSON.stringify(target)} is refused with 400`);
    }
    for (const folder of ['/assets/', '/index.html/']) {
      const result = staticTarget(folder);
      assert.ok(!result.ok && result.status === 404, `${folder} is a folder, and only the root has an index`);
    }
    const long = staticTarget(`/${'a'.repeat(5000)}`);
    assert.ok(!long.ok && long.status === 414);
  });
});

describe("the server's own names", () => {
  const machine = {
    interfaces: () => ({
      lo: [{ address: '127.0.0.1' }, { address: '::1' }],
      eth0: [{ address: '192.168.1.20' }, { address: 'fe80::1' }],
    }),
    hostname: () => 'Jetson',
  } as unknown as Parameters<typeof ownHosts>[2];

  it('are the loopback names and the --web-host, with the port', () => {
    const own = ownHosts('127.0.0.1', 8095, machine);
    for (const host of ['127.0.0.1:8095', 'localhost:8095', 'LOCALHOST:8095', '[::1]:8095']) {
      assert.equal(isOwnHost(host, own), true, host);
    }
    for (const host of ['evil.example:8095', '127.0.0.1:8096', '127.0.0.1', '192.168.1.20:8095', '', undefined]) {
      assert.equal(isOwnHost(host, own), false, String(host));
    }
    assert.equal(isOwnHost('jar.lan:8095', ownHosts('jar.lan', 8095, machine)), true);
    assert.equal(isOwnHost('[fe80::2]:8095', ownHosts('[fe80::2]', 8095, machine)), true);
  });

  it('bound to every interface, are also each address and the machine name; on port 80 also without it', () => {
    const own = ownHosts('0.0.0.0', 80, machine);
    for (const host of ['192.168.1.20:80', '192.168.1.20', '[fe80::1]:80', 'jetson', 'jetson.local:80']) {
      assert.equal(isOwnHost(host, own), true, host);
    }
    assert.equal(isOwnHost('0.0.0.0:80', own), true, 'the printed address, which a browser on the board opens');
    assert.equal(isOwnHost('evil.example', own), false);
  });

  it('are what a browser Origin must name: a DNS-rebinding page, whose Host is its own, does not pass', () => {
    const own = ownHosts('127.0.0.1', 8095, machine);
    assert.equal(isOwnOrigin('http://127.0.0.1:8095', own), true);
    assert.equal(isOwnOrigin('http://localhost:8095', own), true);
    for (const origin of [
      'http://evil.example:8095',
      'https://127.0.0.1:8095',
      'http://127.0.0.1:8095/',
      'http://127.0.0.1:1',
      'null',
      'file://',
      '',
    ]) {
      assert.equal(isOwnOrigin(origin, own), false, origin);
    }
  });
});
