import net from 'node:net';

export interface RawAnswer {
  /** The status of the first response, or null when none came (the connection closed, or the time ran out). */
  status: number | null;
  /** The response's head (status line and headers), or what came instead. */
  head: string;
}

/**
 * Sends bytes as they are over a fresh TCP connection (no HTTP client cleans them up first) and reads the first
 * response's head. A request still unanswered after `endAfterMs` may be incomplete: the sending side is ended then,
 * which makes the server decide (ended at once, a server that reads a file first would see the request aborted).
 */
export function rawRequest(
  port: number,
  bytes: Buffer | string,
  endAfterMs = 1000,
  timeoutMs = 5000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(ender);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/.exec(received);
      const end = received.indexOf('\r\n\r\n');
      resolve({ status: match ? Number(match[1]) : null, head: end === -1 ? received : received.slice(0, end) });
    };
    const timer = setTimeout(finish, timeoutMs);
    const ender = setTimeout(() => socket.end(), endAfterMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => socket.write(bytes));
  });
}
