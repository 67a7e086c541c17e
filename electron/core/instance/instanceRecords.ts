import type { UnstampedEvent } from '../../../shared/events.js';
import type { ReflectionRecord, Role } from '../../../shared/instances.js';
import type { DeathSummary } from '../../../shared/postMortem.js';
import type { DeathRecord, LifeRecord, TranscriptRecord } from '../../../shared/transcript.js';
import type { SessionStore } from '../store/sessionStore.js';

export interface RecordsOptions {
  role: Role;
  store: SessionStore;
  emit: (event: UnstampedEvent) => void;
  /** Keeps the minute before a death with it; its figures go out with the death's event. */
  postMortem?: (record: DeathRecord) => DeathSummary;
}

type Fields<R> = Omit<R, 'v' | 'kind' | 'instance'>;

/**
 * What one instance leaves on disk: its transcript (lives, reflections, deaths) and its lines in the crash report.
 * Each record is built once, written, and the event that announces it is made from the record itself.
 */
export class InstanceRecords {
  constructor(private readonly options: RecordsOptions) {}

  life(fields: Fields<LifeRecord>): LifeRecord {
    const record: LifeRecord = { v: 1, kind: 'life', instance: this.options.role, ...fields };
    this.write(record);
    const { v: _v, kind: _kind, ...event } = record;
    this.options.emit({ type: 'instance.life', ...event });
    return record;
  }

  reflection(record: ReflectionRecord): void {
    this.write({ v: 1, kind: 'reflection', at: record.endedAt, ...record });
    this.options.emit({ type: 'instance.reflection', instance: record.instance, record });
  }

  /** A death: the transcript record, the crash report line (with what only the report carries), then the event. */
  death(fields: Fields<DeathRecord>, report: Record<string, string | null>, resurrectAt: number | null): DeathRecord {
    const record: DeathRecord = { v: 1, kind: 'death', instance: this.options.role, ...fields };
    this.write(record);
    this.options.store.appendCrashReport(record, report);
    const postMortem = this.options.postMortem?.(record);
    const { v: _v, kind: _kind, ...event } = record;
    this.options.emit({ type: 'instance.death', ...event, resurrectAt, ...(postMortem ? { postMortem } : {}) });
    return record;
  }

  /**
   * Announced only once the record is whole on disk: now, or when a full disk takes it again (the store holds it
   * meanwhile and the data folder's watch says the disk is full); a full disk never takes the instance down.
   */
  private write(record: TranscriptRecord): void {
    const { role, emit } = this.options;
    this.options.store.appendTranscript(record, (file, line) =>
      emit({ type: 'transcript.written', instance: role, file, line, kind: record.kind }),
    );
  }
}
