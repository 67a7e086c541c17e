import os from 'node:os';

/**
 * The names this server answers to, as a Host header or an Origin states them. A DNS-rebinding page makes the browser
 * send the attacker's own name (evil.example:8095) as both Host and Origin, so comparing one with the other lets it
 * through; comparing each with the host's own addresses does not.
 *
 * Always: 127.0.0.1, localhost and [::1] and the --web-host as given, each with the port. Bound to every interface
 * (0.0.0.0 or ::), also each interface's address and the machine's name (and name.local), read at each call since
 * addresses change (DHCP). On port 80, also without the port, as browsers send it.
 */
export function ownHosts(
  bindHost: string,
  port: number,
  machine: { interfaces: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>; hostname: () => string } = {
    interfaces: os.networkInterfaces,
    hostname: os.hostname,
  },
): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '::1', unbracket(bindHost)]);
  if (isWildcard(bindHost)) {
    for (const list of Object.values(machine.interfaces())) for (const item of list ?? []) names.add(item.address);
    const hostname = machine.hostname();
    names.add(hostname);
    names.add(`${hostname}.local`);
  }
  const hosts = new Set<string>();
  for (const name of names) {
    // The --web-host as given is kept even when it is 0.0.0.0: the printed address names it, and a browser on the
    // board opens it as the local host.
    if (name === '') continue;
    const host = name.includes(':') ? `[${name.toLowerCase()}]` : name.toLowerCase();
    hosts.add(`${host}:${port}`);
    if (port === 80) hosts.add(host);
  }
  return hosts;
}

/** Whether a Host header names this server (names compare without case). */
export function isOwnHost(header: string | undefined, own: ReadonlySet<string>): boolean {
  return header !== undefined && own.has(header.toLowerCase());
}

/** Whether a browser's Origin is a page this server served: http, one of its own names, the same port. */
export function isOwnOrigin(origin: string, own: ReadonlySet<string>): boolean {
  const match = /^http:\/\/([^/]+)$/i.exec(origin);
  return match !== null && own.has(match[1]!.toLowerCase());
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || unbracket(host) === '::';
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
