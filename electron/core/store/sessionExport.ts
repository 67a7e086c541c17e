import path from 'node:path';

import type { ExportFile } from '../../../shared/history.js';
import { ROLES } from '../../../shared/instances.js';
import type { MetricsFrame } from '../../../shared/metrics.js';
import { describeRecord, parseRecord, scanLines, type SessionHistory } from './sessionHistory.js';

/**
 * A session as files a person opens with an editor or a spreadsheet: its transcripts as text or JSONL (the records
 * as written, only the ones that parse), its events as JSONL, its deaths and (for the session running now, the only
 * one whose metrics are kept) its metrics as CSV. Produced a megabyte at a time, never whole in memory.
 */

export interface Export {
  contentType: string;
  /** The download's name: built from the session id, which SESSION_ID allows only safe characters in. */
  filename: string;
  chunks: Iterable<string>;
}

const DEATH_COLUMNS = ['at', 'instance', 'deaths', 'cause', 'signal', 'exit_code', 'pid', 'memory_bytes', 'message'];

export function exportSession(
  history: SessionHistory,
  session: string,
  file: ExportFile,
  currentMetrics: () => MetricsFrame[],
  currentId: string,
): Export {
  const folder = history.folderOf(session);
  const transcripts = history.rolesOf(session).map((role) => path.join(folder, `${role}.jsonl`));
  const filename = `brain-in-jar-${session}-${file}`;
  switch (file) {
    case 'transcript.txt':
      return { contentType: 'text/plain; charset=utf-8', filename, chunks: transcriptText(transcripts) };
    case 'transcript.jsonl':
      return { contentType: 'application/x-ndjson', filename, chunks: validLines(transcripts, () => true) };
    case 'events.jsonl':
      return {
        contentType: 'application/x-ndjson',
        filename,
        chunks: validLines([path.join(folder, 'events.jsonl')], () => true),
      };
    case 'deaths.csv':
      return { contentType: 'text/csv; charset=utf-8', filename, chunks: deathsCsv(transcripts) };
    case 'metrics.csv':
      return {
        contentType: 'text/csv; charset=utf-8',
        filename,
        chunks: metricsCsv(session === currentId ? currentMetrics() : []),
      };
  }
}

/** The records of `files`, each as the object it parsed to, a batch at a time. */
function* recordsOf(files: string[]): Generator<Array<{ line: string; record: Record<string, unknown> }>> {
  for (const file of files) {
    let from: number | null = 0;
    while (from !== null) {
      const batch: Array<{ line: string; record: Record<string, unknown> }> = [];
      ({ next: from } = scanLines(file, from, 1024 * 1024, (line) => {
        const record = parseRecord(line);
        if (record) batch.push({ line, record });
        return true;
      }));
      yield batch;
    }
  }
}

function* validLines(files: string[], keep: (record: Record<string, unknown>) => boolean): Generator<string> {
  for (const batch of recordsOf(files)) {
    const kept = batch.filter(({ record }) => keep(record));
    if (kept.length > 0) yield kept.map(({ line }) => `${line}\n`).join('');
  }
}

function* transcriptText(files: string[]): Generator<string> {
  for (const file of files) {
    yield `== ${path.basename(file, '.jsonl')} ==\n\n`;
    for (const batch of recordsOf([file])) {
      yield batch
        .map(({ record }) => {
          const at = typeof record.at === 'number' ? new Date(record.at).toISOString() : '(no time)';
          return `[${at}] ${record.kind === 'reflection' ? '' : '* '}${describeRecord(record)}\n\n`;
        })
        .join('');
    }
  }
}

function* deathsCsv(files: string[]): Generator<string> {
  yield csvRow(DEATH_COLUMNS);
  for (const batch of recordsOf(files)) {
    yield batch
      .filter(({ record }) => record.kind === 'death')
      .map(({ record }) => {
        const at = typeof record.at === 'number' ? new Date(record.at).toISOString() : null;
        return csvRow([
          at,
          record.instance,
          record.deaths,
          record.cause,
          record.signal,
          record.exitCode,
          record.pid,
          record.memoryBytes,
          record.message,
        ]);
      })
      .join('');
  }
}

function* metricsCsv(frames: MetricsFrame[]): Generator<string> {
  const columns = ['t', 'ram_used_bytes', 'ram_total_bytes', 'ram_percent', 'gpu_used_bytes', 'gpu_load_percent'];
  const roles = ROLES.flatMap((role) => [`${role}_rss_bytes`, `${role}_limit_bytes`, `${role}_tokens_per_s`]);
  yield csvRow([...columns, ...roles]);
  for (let i = 0; i < frames.length; i += 1000) {
    yield frames
      .slice(i, i + 1000)
      .map((frame) =>
        csvRow([
          new Date(frame.t).toISOString(),
          frame.ramUsedBytes,
          frame.ramTotalBytes,
          frame.ramPercent,
          frame.gpu?.memoryUsedBytes ?? null,
          frame.gpu?.loadPercent ?? null,
          ...ROLES.flatMap((role) => {
            const one = frame.instances[role];
            return [one?.rssBytes ?? null, one?.limitBytes ?? null, one?.tokensPerSecond ?? null];
          }),
        ]),
      )
      .join('');
  }
}

/**
 * One CSV line (RFC 4180). A text that a spreadsheet would run as a formula (=, +, -, @ first) gets a quote mark
 * in front: a death message can carry a model's file name, which anyone may have chosen.
 */
export function csvRow(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
