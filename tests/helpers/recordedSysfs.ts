import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { fixture } from './fixtures.js';

/**
 * Lays a recorded "path: value" sysfs listing out as files under a fresh folder, so the code that reads sysfs reads
 * the recording. Returns the folder that stands for "/".
 */
export function recordedSysfs(listing: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-sysfs-'));
  for (const line of fixture(listing).split('\n')) {
    const match = /^(\/\S+): (.*)$/.exec(line.trim());
    if (!match) continue;
    const file = path.join(root, match[1]!);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${match[2]}\n`);
  }
  return root;
}
