import { COMMANDS } from '../../../shared/commands.js';
import { parseArgs, type ParsedArgs } from './args.js';

/**
 * What the Electron entry does with its arguments (Chromium's switches already taken out, electronArgv.ts). The
 * AppImage is the whole product: a command (`doctor`, `plan`, `service`, `self-test`), `--help`, or `run --headless`
 * is run in this process as the headless host runs it, before Electron starts Chromium (no window, no display
 * needed), and the process exits with its code. Anything else opens the panel's window.
 *
 * A command line the parser refuses goes to the terminal when it names a command or --headless (whoever typed it
 * is at a terminal, or is systemd), else to the window's start-up path, which shows the error on the display.
 */
export type EntryRoute = 'cli' | 'window';

export function entryRoute(ours: readonly string[], parsed: ParsedArgs = parseArgs(ours)): EntryRoute {
  if (parsed.ok) {
    if (parsed.command !== 'run') return 'cli';
    return parsed.flags.headless ? 'cli' : 'window';
  }
  const first = ours[0] ?? '';
  const command = first !== 'run' && (COMMANDS as readonly string[]).includes(first);
  const headless = ours.some((arg) => arg === '--headless' || arg.startsWith('--headless='));
  return command || headless ? 'cli' : 'window';
}
