import { useCallback, useEffect, useState } from 'react';

import {
  EXPORT_FILES,
  type ExportFile,
  type HistoryEntry,
  type HistoryPart,
  type SessionSummary,
} from '../../shared/history.js';
import type { Role } from '../../shared/instances.js';
import type { Connection } from '../client/connect.js';
import { formatBytes } from './format.js';

const PAGE = 100;
const PARTS: HistoryPart[] = ['transcript', 'deaths', 'events'];

/** Earlier sessions of the data folder: each one's transcripts, deaths and events, a page at a time, and its files. */
export function History({ connection }: { connection: Connection }) {
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [chosen, setChosen] = useState<SessionSummary | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (offset: number) => {
      const result = await connection.client.call('history.list', { offset, limit: 20 });
      if (!result.ok) return setError(result.error.message);
      setTotal(result.result.total);
      setSessions((before) => (offset === 0 ? result.result.sessions : [...before, ...result.result.sessions]));
    },
    [connection],
  );
  useEffect(() => void load(0), [load]);

  return (
    <section className="history" aria-label="History" data-testid="history">
      <h2>Sessions</h2>
      {error && <p className="error">{error}</p>}
      <ul className="session-list">
        {sessions.map((session) => (
          <li key={session.id}>
            <button
              type="button"
              aria-pressed={chosen?.id === session.id}
              onClick={() => setChosen(session)}
              data-testid={`session-${session.id}`}
            >
              {session.startedAt ? new Date(session.startedAt).toLocaleString() : session.id}
              {session.current ? ' (this run)' : ''} · {session.roles.join(', ') || 'no transcripts'} ·{' '}
              {formatBytes(session.bytes)}
            </button>
          </li>
        ))}
      </ul>
      {sessions.length < total && (
        <button type="button" onClick={() => void load(sessions.length)}>
          Older sessions ({total - sessions.length} more)
        </button>
      )}
      {chosen && <SessionView key={chosen.id} session={chosen} connection={connection} />}
    </section>
  );
}

function SessionView({ session, connection }: { session: SessionSummary; connection: Connection }) {
  const [part, setPart] = useState<HistoryPart>('transcript');
  const [instance, setInstance] = useState<Role | undefined>(session.roles[0]);
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const read = useCallback(
    async (from: number) => {
      const params = { session: session.id, part, from, limit: PAGE, ...(instance ? { instance } : {}) };
      const result = await connection.client.call('history.read', params);
      if (!result.ok) return setError(result.error.message);
      setError(null);
      setNext(result.result.next);
      setEntries((before) => (from === 0 ? result.result.entries : [...before, ...result.result.entries]));
    },
    [connection, session.id, part, instance],
  );
  useEffect(() => void read(0), [read]);

  return (
    <div className="session-view" data-testid="session-view">
      <div className="session-choices">
        {PARTS.map((name) => (
          <button key={name} type="button" aria-pressed={part === name} onClick={() => setPart(name)}>
            {name === 'transcript' ? 'Transcript' : name === 'deaths' ? 'Deaths' : 'Events'}
          </button>
        ))}
        {part !== 'events' &&
          session.roles.map((role) => (
            <button key={role} type="button" aria-pressed={instance === role} onClick={() => setInstance(role)}>
              {role}
            </button>
          ))}
      </div>
      {/* Under Electron the page has no HTTP host to download from: export from the browser view. */}
      {!connection.native && (
        <div className="session-export" aria-label="Export this session">
          Export:{' '}
          {EXPORT_FILES.map((file) => (
            <button key={file} type="button" onClick={() => void download(connection, session.id, file, setError)}>
              {file}
            </button>
          ))}
        </div>
      )}
      {error && <p className="error">{error}</p>}
      <ol className="history-entries" data-testid="history-entries">
        {entries.map((entry, index) => (
          <li key={index} className={`history-${entry.kind.replace(/[^a-z]/gi, '-')}`}>
            <time>{entry.at ? new Date(entry.at).toLocaleTimeString() : ''}</time> <b>{entry.kind}</b> {entry.text}
          </li>
        ))}
      </ol>
      {entries.length === 0 && !error && <p className="muted">Nothing of this kind in this session.</p>}
      {next !== null && (
        <button type="button" onClick={() => void read(next)}>
          More
        </button>
      )}
    </div>
  );
}

/** The token goes in a header, not the link: fetched, then saved through a temporary object URL. */
async function download(connection: Connection, session: string, file: ExportFile, fail: (text: string) => void) {
  const response = await fetch(`/export/${encodeURIComponent(session)}/${file}`, {
    headers: { Authorization: `Bearer ${connection.token()}` },
  }).catch(() => null);
  if (!response?.ok) return fail(`could not export ${file}: ${response ? response.status : 'no answer from the host'}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `brain-in-jar-${session}-${file}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
