import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../store/atomicFile.js';

/**
 * The panel's token, kept in the data folder so that an open page (a kiosk browser) reconnects after a restart.
 * A kept token is a standing credential: whoever has the address controls the panel until it is replaced. So the
 * file is trusted only when it is ours alone (a regular file, this user's, mode 0600, well formed); anything else
 * is replaced, with a notice. A token only ever served on loopback is replaced the first time the panel is bound
 * beyond it, so a local address that leaked into a browser history never becomes a network credential silently.
 */

export const TOKEN_FILE = 'panel-token.json';
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

export interface PanelToken {
  token: string;
  /** Epoch ms when it was made. */
  madeAt: number;
  /** True once it has been served beyond loopback. */
  network: boolean;
}

export interface KeptToken extends PanelToken {
  /** What was found and done, for the log; empty when the kept token was used as it was. */
  notices: string[];
}

export interface TokenRules {
  dataDir: string;
  /** --new-token: replace whatever is kept. */
  renew: boolean;
  /** The panel is served beyond loopback this run. */
  network: boolean;
  now?: number;
  /** The user who must own the file (tests); this process's user otherwise. */
  uid?: number;
}

export function tokenFileOf(dataDir: string): string {
  return path.join(dataDir, TOKEN_FILE);
}

/** The token this run serves: the kept one if it may be trusted and used here, else a new one, written. */
export function keptToken(rules: TokenRules): KeptToken {
  const file = tokenFileOf(rules.dataDir);
  const now = rules.now ?? Date.now();
  const found = readTokenFile(file, rules.uid ?? process.getuid?.() ?? -1);
  const notices: string[] = [];
  let reason: string | null = null;
  if (rules.renew) reason = 'as --new-token asked';
  else if (found.kind === 'missing') reason = null;
  else if (found.kind === 'hostile') {
    reason = `because ${file} ${found.why}; it is not trusted`;
  } else if (rules.network && !found.token.network) {
    reason = 'because the panel is now served beyond loopback, and the kept token was made for this machine only';
  }
  if (found.kind === 'ok' && reason === null) return { ...found.token, notices };
  const made = makeToken(rules.network, now);
  writeTokenFile(file, made);
  if (reason !== null) notices.push(`made a new panel token ${reason}: pages open with the old one must be reopened`);
  return { ...made, notices };
}

/** A new token replaces the kept one (the panel's "New token"); the caller serves it from now on. */
export function renewToken(dataDir: string, network: boolean, now: number = Date.now()): PanelToken {
  const made = makeToken(network, now);
  writeTokenFile(tokenFileOf(dataDir), made);
  return made;
}

function makeToken(network: boolean, now: number): PanelToken {
  return { token: crypto.randomBytes(24).toString('base64url'), madeAt: now, network };
}

function writeTokenFile(file: string, token: PanelToken): void {
  // A hostile file may be a symbolic link or another user's: removed first, so the rename lands on a file of ours.
  fs.rmSync(file, { force: true });
  writeFileAtomic(file, `${JSON.stringify(token)}\n`);
  // writeFileAtomic creates with 0600, but a umask cannot widen it and a chmod makes the rule explicit.
  fs.chmodSync(file, 0o600);
}

type Found = { kind: 'missing' } | { kind: 'hostile'; why: string } | { kind: 'ok'; token: PanelToken };

/** The kept token, if the file is a regular file of `uid`'s that nobody else may read or write, and well formed. */
export function readTokenFile(file: string, uid: number): Found {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'hostile', why: `cannot be read (${(error as Error).message})` };
  }
  if (!stat.isFile()) return { kind: 'hostile', why: 'is not a regular file' };
  if (uid >= 0 && stat.uid !== uid) return { kind: 'hostile', why: `belongs to user ${stat.uid}, not ${uid}` };
  if ((stat.mode & 0o077) !== 0) {
    return { kind: 'hostile', why: `has mode ${(stat.mode & 0o777).toString(8)}, not 600` };
  }
  if (stat.size > 4096) return { kind: 'hostile', why: 'is too large to be a token file' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { kind: 'hostile', why: 'is damaged (not JSON)' };
  }
  const { token, madeAt, network } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || !TOKEN.test(token)) return { kind: 'hostile', why: 'holds no valid token' };
  if (typeof madeAt !== 'number' || !Number.isSafeInteger(madeAt) || madeAt <= 0) {
    return { kind: 'hostile', why: 'says no valid time it was made' };
  }
  return { kind: 'ok', token: { token, madeAt, network: network === true } };
}
