import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { dataPaths } from './store/dataDir.js';

/**
 * A host that cannot start says why where its operator looks: on stderr, in the data folder's logs/startup.log (a
 * kiosk's stderr goes nowhere), and, under Electron, on the display (`show`). Each line is one that says what to do.
 */
export function reportStartupFailure(
  message: string,
  options: { dataDir: string | null; show?: (title: string, message: string) => void; now?: Date },
): void {
  process.stderr.write(`brain-in-jar: ${message}\n`);
  if (options.dataDir) {
    try {
      const logs = dataPaths(options.dataDir).logs;
      fs.mkdirSync(logs, { recursive: true });
      fs.appendFileSync(path.join(logs, 'startup.log'), `${(options.now ?? new Date()).toISOString()} ${message}\n`);
    } catch {
      // The data folder itself may be what failed; stderr and the display still say it.
    }
  }
  options.show?.('Brain in a Jar could not start', message);
}

/**
 * Whether a Brain in a Jar panel already answers on host:port (the service, say), asked with a short deadline: the
 * page it serves has our title. False for anything else on the port, or nothing in time.
 */
export function panelAlreadyServed(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: '/', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      response.on('end', () => resolve(/<title>Brain in a Jar<\/title>/.test(body)));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
    request.on('error', () => resolve(false));
  });
}
