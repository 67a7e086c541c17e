#!/usr/bin/env node
// The installed command: runs the built headless host.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/electron/headless.js', import.meta.url);
if (!fs.existsSync(fileURLToPath(entry))) {
  process.stderr.write('brain-in-jar: not built yet. Run `npm run build` in the project folder first.\n');
  process.exit(1);
}
const { runHeadless } = await import(entry.href);
process.exit(await runHeadless(process.argv.slice(2)));
