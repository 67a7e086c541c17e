import fs from 'node:fs';

/**
 * TEST ONLY, fenced by BRAIN_IN_JAR_TEST_BLOCK_MS (unset in every real run): SIGUSR2 blocks the host's main
 * JavaScript thread for that many ms, as a GC pause or a burst of api calls would, so that a test shows which lines
 * still hold while the loop cannot run. BRAIN_IN_JAR_TEST_BLOCK_MARK names a file written just before the block
 * (a hog waiting on it starts filling then).
 */
export function installTestHooks(env: NodeJS.ProcessEnv = process.env): void {
  const blockMs = Number(env.BRAIN_IN_JAR_TEST_BLOCK_MS ?? 0);
  if (!(blockMs > 0)) return;
  process.on('SIGUSR2', () => {
    if (env.BRAIN_IN_JAR_TEST_BLOCK_MARK) fs.writeFileSync(env.BRAIN_IN_JAR_TEST_BLOCK_MARK, String(Date.now()));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs);
  });
}
