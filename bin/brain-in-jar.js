#!/usr/bin/env node
// The installed command: runs the built headless host (npm run build makes dist/).
import { runHeadless } from '../dist/electron/headless.js';

process.exit(await runHeadless(process.argv.slice(2)));
