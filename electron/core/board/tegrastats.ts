/**
 * Parser for tegrastats lines, every form seen on real boards: JetPack 4 to 6, root and non-root, Nano, TX1/TX2,
 * Xavier and Orin. GR3D_FREQ (the GPU) appears as "0%@76", "0%", "84%@[713]", "39%@[305,0]", "@0" (no percent), or in
 * the TX1's legacy "GR3D 3%@76". Temperatures of absent sensors read -256C and are left out.
 */

export interface TegrastatsSample {
  /** Epoch-free timestamp text when the line has one (JetPack 5+: "07-21-2025 16:33:42"). */
  time: string | null;
  ramUsedBytes: number | null;
  ramTotalBytes: number | null;
  swapUsedBytes: number | null;
  swapTotalBytes: number | null;
  /** GPU load, 0..100; null when the line does not say (non-root on some boards). */
  gpuLoadPercent: number | null;
  /** Temperatures by sensor name, lower case ("cpu", "gpu", "tj"). */
  temperaturesC: Record<string, number>;
}

const MB = 2 ** 20;

/** tegrastats prints -256C (sometimes -40C on old boards is real, -256 never is) for sensors that are offline. */
const OFFLINE_TEMPERATURE = -256;

export function parseTegrastatsLine(line: string): TegrastatsSample | null {
  const ram = /\bRAM (\d+)\/(\d+)MB/.exec(line);
  if (!ram) return null;
  const swap = /\bSWAP (\d+)\/(\d+)MB/.exec(line);
  const time = /^(\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2})\s/.exec(line);
  const gpu = /\bGR3D(?:_FREQ)? (?:(\d+)%)?(?:@(?:\[[\d,]*\]|\d+))?/.exec(line);
  const temperaturesC: Record<string, number> = {};
  for (const match of line.matchAll(/\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b/g)) {
    const value = Number(match[2]);
    if (value <= OFFLINE_TEMPERATURE) continue;
    temperaturesC[match[1]!.toLowerCase()] = value;
  }
  return {
    time: time ? time[1]! : null,
    ramUsedBytes: Number(ram[1]) * MB,
    ramTotalBytes: Number(ram[2]) * MB,
    swapUsedBytes: swap ? Number(swap[1]) * MB : null,
    swapTotalBytes: swap ? Number(swap[2]) * MB : null,
    gpuLoadPercent: gpu && gpu[1] !== undefined ? Number(gpu[1]) : null,
    temperaturesC,
  };
}

/** Every sample of a tegrastats log (lines that are not tegrastats output, like a shell prompt, are skipped). */
export function parseTegrastats(text: string): TegrastatsSample[] {
  return text
    .split(/\r?\n/)
    .map(parseTegrastatsLine)
    .filter((sample): sample is TegrastatsSample => sample !== null);
}
