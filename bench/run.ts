/**
 * npm run bench [-- NAME ...] [--json] [--recording=FILE (renderer: replay a kept recording)]
 * Prints each benchmark's figures as a table (medians, and ratios against a baseline run side by side), or with
 * --json one JSON object holding them all.
 */
import { benchAdmission, printAdmission } from './admission.js';
import { benchPath, printPath } from './path.js';
import { benchPlanner, printPlanner } from './planner.js';
import { benchRenderer, printRenderer } from './renderer.js';
import { benchWatchdog, printWatchdog } from './watchdog.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const names = args.filter((arg) => !arg.startsWith('--'));
const available = ['path', 'planner', 'watchdog', 'admission', 'renderer'] as const;
const selected = names.length > 0 ? names : [...available];
for (const name of selected) {
  if (!(available as readonly string[]).includes(name)) {
    process.stderr.write(`bench: unknown benchmark "${name}" (one of ${available.join(', ')})\n`);
    process.exit(2);
  }
}

const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};
const results: Record<string, unknown> = {};
for (const name of selected) {
  if (name === 'path') {
    log('path: running...');
    const result = await benchPath({ runs: 5, reflections: 6, log });
    results.path = result;
    if (!json) log(`\n${printPath(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'planner') {
    log('planner: running...');
    const result = await benchPlanner({ runs: 3, thinkSeconds: 8, log });
    results.planner = result;
    if (!json) log(`\n${printPlanner(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'watchdog') {
    log('watchdog: running...');
    const result = await benchWatchdog({ runs: 11, log });
    results.watchdog = result;
    if (!json) log(`\n${printWatchdog(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'admission') {
    log('admission: running...');
    const result = await benchAdmission({ runs: 5, log });
    results.admission = result;
    if (!json) log(`\n${printAdmission(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'renderer') {
    log('renderer: running...');
    const recordingFile = args.find((arg) => arg.startsWith('--recording='))?.slice('--recording='.length);
    const result = await benchRenderer({ runs: 3, log, recordingFile });
    results.renderer = result;
    if (!json) log(`\n${printRenderer(result)}\n`);
  }
}
if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
