import path from 'node:path';

/**
 * Where a file of the packaged app really is when electron-builder unpacked it beside the archive (asarUnpack):
 * `.../resources/app.asar/dist/x.js` is `.../resources/app.asar.unpacked/dist/x.js`. The main process reads either
 * through Electron's asar support; a child it starts under ELECTRON_RUN_AS_NODE (a worker, the headless host) is
 * started from the unpacked file, so it never loads ES modules from inside the archive. Other paths are unchanged.
 */
export function unpackedPath(file: string): string {
  const marker = `${path.sep}app.asar${path.sep}`;
  const at = file.indexOf(marker);
  if (at === -1) return file;
  return path.join(file.slice(0, at), 'app.asar.unpacked', file.slice(at + marker.length));
}

/** True for a file of a packaged app, in the archive or unpacked beside it: its tree is not the operator's to change. */
export function isPackagedPath(file: string): boolean {
  return file.split(path.sep).some((part) => part === 'app.asar' || part === 'app.asar.unpacked');
}
