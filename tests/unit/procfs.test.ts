import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseMeminfo, parseProcStatus, ramPercent, readProcessMemory } from '../../electron/core/sampler/procfs.js';
import { fixture } from '../helpers/fixtures.js';

describe('/proc parsers on recorded files', () => {
  it('reads a Jetson Orin Nano meminfo (unified memory) in bytes', () => {
    const meminfo = parseMeminfo(fixture('recorded/meminfo/jetson-orin-nano-8gb-jp6.2-l4t36.4.txt'));
    assert.equal(meminfo.totalBytes, 7802736 * 1024);
    assert.equal(meminfo.availableBytes, 6245596 * 1024);
    assert.equal(ramPercent(meminfo).toFixed(2), '19.96');
  });

  it('reads x86 meminfo files', () => {
    const desktop = parseMeminfo(fixture('recorded/meminfo/x86_64-16gb-statum-2019.txt'));
    assert.equal(desktop.totalBytes, 16319968 * 1024);
    assert.equal(ramPercent(desktop).toFixed(2), '3.50');
    const chromebook = parseMeminfo(fixture('recorded/meminfo/x86_64-chromeos-8gb-kernel6.txt'));
    assert.equal(chromebook.availableBytes, 5106572 * 1024);
  });

  it('falls back to free + cache + buffers on kernels without MemAvailable', () => {
    const meminfo = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
    assert.equal(meminfo.availableBytes, 400 * 1024);
  });

  it('refuses a file without MemTotal', () => {
    assert.throws(() => parseMeminfo('MemFree: 1 kB\n'), /no MemTotal/);
  });

  it("sums RssAnon and RssFile from a recorded /proc/<pid>/status (mmap'd weights are file pages)", () => {
    const text = fixture('proc/status-node-x86_64.txt');
    const memory = parseProcStatus(text);
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)![1]) * 1024;
    assert.equal(memory.rssAnonBytes, field('RssAnon'));
    assert.equal(memory.rssFileBytes, field('RssFile'));
    assert.equal(memory.rssBytes, field('RssAnon') + field('RssFile'));
    // VmRSS also counts shared memory; ours leaves RssShmem out.
    assert.equal(field('VmRSS'), memory.rssBytes + memory.rssShmemBytes);
  });

  it('reads a live process and says null for one that is gone', () => {
    const self = readProcessMemory(process.pid);
    assert.ok(self && self.rssBytes > 10 * 2 ** 20);
    assert.equal(readProcessMemory(2 ** 22 + 12345), null);
  });
});
