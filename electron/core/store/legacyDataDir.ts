import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROLES } from '../../../shared/instances.js';
import { writeFileAtomic } from './atomicFile.js';

/**
 * Before there was one data folder, the Electron app kept its data in Electron's default userData
 * (~/.config/brain-in-a-jar, from the package name) while the headless host and the service used
 * ~/.config/brain-in-jar: the death counts and settings split. The first start that finds the old folder moves what
 * it holds into the one folder, once, and leaves a note there saying where it went.
 */
export const LEGACY_DIR_NAME = 'brain-in-a-jar';
const MOVED_NOTE = 'MOVED.txt';
/** What of the old folder is ours (the rest is Chromium's profile, which stays). */
const OURS = ['settings.json', 'deaths.json', 'models', 'sessions', 'logs'];

export function legacyDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configHome =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), '.config');
  return path.join(configHome, LEGACY_DIR_NAME);
}

/**
 * Moves the old folder's data into `target`: what the target lacks is moved; sessions are moved one by one; death
 * counts present in both are merged (the higher count of each role: counts only rise); a settings.json or log the
 * target already has is kept, the old one set beside it. Returns what it did, in words, or [] when there was
 * nothing to move.
 */
export function moveLegacyData(legacy: string, target: string): string[] {
  if (path.resolve(legacy) === path.resolve(target)) return [];
  if (!fs.existsSync(legacy) || fs.existsSync(path.join(legacy, MOVED_NOTE))) return [];
  const present = OURS.filter((name) => fs.existsSync(path.join(legacy, name)));
  if (present.length === 0) return [];
  fs.mkdirSync(target, { recursive: true });
  const done: string[] = [];
  for (const name of present) {
    const from = path.join(legacy, name);
    const to = path.join(target, name);
    if (!fs.existsSync(to)) {
      move(from, to);
      done.push(`moved ${name}`);
    } else if (name === 'deaths.json') {
      writeFileAtomic(to, `${JSON.stringify(higherCounts(readJson(to), readJson(from)), null, 2)}\n`);
      fs.rmSync(from);
      done.push('merged the death counts (the higher of each role)');
    } else if (name === 'sessions' || name === 'models') {
      for (const entry of fs.readdirSync(from)) {
        if (!fs.existsSync(path.join(to, entry))) move(path.join(from, entry), path.join(to, entry));
      }
      done.push(`moved ${name}/`);
    } else {
      move(from, path.join(target, `${name}.from-${LEGACY_DIR_NAME}`));
      done.push(`kept ${name} of the old folder as ${name}.from-${LEGACY_DIR_NAME}`);
    }
  }
  fs.writeFileSync(path.join(legacy, MOVED_NOTE), `Brain in a Jar's data now lives in ${target}\n`);
  return done;
}

function move(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    // Another file system: copy, then remove.
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.cpSync(from, to, { recursive: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function higherCounts(a: unknown, b: unknown): Record<string, number> {
  const count = (value: unknown, role: string) => {
    const n = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[role] : undefined;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  return Object.fromEntries(ROLES.map((role) => [role, Math.max(count(a, role), count(b, role))]));
}
