import type { JarClient } from '../../shared/api.js';
import type { ConnectionStatus } from './webSocketClient.js';
import { WebSocketClient } from './webSocketClient.js';

declare global {
  interface Window {
    /** Present under Electron: the preload's typed bridge. */
    jar?: JarClient;
  }
}

export interface Connection {
  client: JarClient;
  /** Status of the transport; Electron's IPC is always open. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** True under Electron (file dialogs and the like are available). */
  native: boolean;
  /** The token the page holds now (for downloads); '' under Electron, which needs none. */
  token(): string;
  /** After token.renew: keep the new token, for this connection and a reload. */
  useToken(token: string): void;
}

/**
 * The one way the renderer reaches the host: window.jar under Electron, else a WebSocket to the host that served this
 * page, with the token from the address (moved out of the visible URL once read).
 */
export function connect(): Connection {
  if (window.jar) {
    const client = window.jar;
    return {
      client,
      native: true,
      onStatus(listener) {
        listener({ kind: 'open' });
        return () => undefined;
      },
      token: () => '',
      useToken: () => undefined,
    };
  }
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token') ?? sessionStorage.getItem('jar-token') ?? '';
  if (params.has('token')) {
    sessionStorage.setItem('jar-token', token);
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`);
  }
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const urlOf = (held: string) => `${scheme}://${window.location.host}/ws?token=${encodeURIComponent(held)}`;
  let held = token;
  const client = new WebSocketClient(urlOf(token), token);
  return {
    client,
    native: false,
    onStatus: (listener) => client.onStatus(listener),
    token: () => held,
    useToken(next) {
      held = next;
      sessionStorage.setItem('jar-token', next);
      client.useToken(urlOf(next), next);
    },
  };
}
