import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** A recorded file from tests/fixtures (see tests/fixtures/recorded/SOURCES.md for where each came from). */
export function fixture(relative: string): string {
  return fs.readFileSync(path.join(fixtures, relative), 'utf8');
}

export function fixturePath(relative: string): string {
  return path.join(fixtures, relative);
}
