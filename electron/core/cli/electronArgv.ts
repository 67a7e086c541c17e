/**
 * The Electron entry's command line holds two kinds of switch: ours, and Chromium's and Electron's own, which the
 * runtime reads itself. electron-builder's AppRun adds `--no-sandbox` wherever unprivileged user namespaces are off
 * (and writes it into the AppImage's desktop entry); an operator may add `--disable-gpu`, `--ozone-platform=wayland`,
 * `--enable-features=...`. Those are left to Chromium; only the rest goes to our strict parser, so a bad value of one
 * of our flags is still refused with the flag named.
 */

/** Switches Chromium or Electron read, by name (without a value) or by prefix. */
const RUNTIME_SWITCHES = new Set([
  '--no-sandbox',
  '--no-zygote',
  '--single-process',
  '--in-process-gpu',
  '--disable-gpu',
  '--disable-gpu-sandbox',
  '--disable-software-rasterizer',
  '--disable-dev-shm-usage',
  '--disable-setuid-sandbox',
  '--use-gl',
  '--use-angle',
  '--ozone-platform',
  '--ozone-platform-hint',
  '--enable-features',
  '--disable-features',
  '--enable-logging',
  '--log-level',
  '--v',
  '--vmodule',
  '--lang',
  '--force-device-scale-factor',
  '--high-dpi-support',
  '--class',
  '--user-data-dir',
  '--remote-debugging-port',
  '--remote-debugging-address',
  '--js-flags',
  '--inspect',
  '--inspect-brk',
  '--proxy-server',
  '--ignore-gpu-blocklist',
  '--enable-wayland-ime',
  '--password-store',
]);
const RUNTIME_PREFIXES = ['--disable-', '--enable-', '--force-', '--gtk-', '--ozone-'];

function isRuntimeSwitch(arg: string): boolean {
  if (!arg.startsWith('--')) return false;
  const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
  return RUNTIME_SWITCHES.has(name) || RUNTIME_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Our arguments, with the runtime's switches taken out (every one we leave to Chromium takes its value inline,
 * `--name=value`, as Chromium's own parser requires, so nothing after it is taken too). Our own flags of the same
 * shape (`--no-autostart`) are ours: a name that is one of `ownFlags` is never taken for Chromium's.
 */
export function splitElectronArgv(
  argv: readonly string[],
  ownFlags: ReadonlySet<string>,
): { ours: string[]; runtime: string[] } {
  const ours: string[] = [];
  const runtime: string[] = [];
  for (const arg of argv) {
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (!ownFlags.has(name) && isRuntimeSwitch(arg)) runtime.push(arg);
    else ours.push(arg);
  }
  return { ours, runtime };
}
