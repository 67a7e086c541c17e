/**
 * Calls `onLine` with each complete, non-blank line a text stream writes, holding a partial line back until its end
 * arrives: for the JSON lines and log lines our child processes print.
 */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
}
