import { useEffect, useState } from 'react';

import type { TokenInfo } from '../../shared/history.js';
import type { Connection } from '../client/connect.js';
import type { ConnectionStatus } from '../client/webSocketClient.js';

/**
 * When the panel's token was made, and a button to replace it: a kept token is a standing credential, so the
 * operator sees its age and can revoke every other open page at once.
 */
export function PanelToken({ connection, status }: { connection: Connection; status: ConnectionStatus }) {
  const [info, setInfo] = useState<TokenInfo | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const open = status.kind === 'open';

  useEffect(() => {
    if (!open) return;
    let current = true;
    void connection.client.call('token.info', {}).then((result) => {
      if (current && result.ok) setInfo(result.result);
    });
    return () => {
      current = false;
    };
  }, [connection, open]);

  const renew = async () => {
    const result = await connection.client.call('token.renew', {});
    if (!result.ok) {
      setMessage(result.error.message);
      return;
    }
    connection.useToken(result.result.token);
    setInfo(result.result);
    setMessage(
      'A new token is in use. Every other open page must be reopened with the new address (in the host\u2019s log); ' +
        `this one: ${window.location.origin}/?token=${result.result.token}`,
    );
  };

  if (connection.native || !info) return null;
  return (
    <div className="panel-token" data-testid="panel-token">
      <span title="Anyone with the panel's address (it carries the token) controls the panel until the token is replaced">
        Panel token made {new Date(info.madeAt).toLocaleString()}
        {info.network ? ' · served to the network' : ' · this machine only'}
      </span>
      <button type="button" onClick={() => void renew()} disabled={!open}>
        New token
      </button>
      {message && (
        <span className="token-message" role="status" data-testid="token-message">
          {message}
        </span>
      )}
    </div>
  );
}
