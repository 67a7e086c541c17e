import { memo, useEffect, useRef } from 'react';

import type { Observation, PartialReflection, ReflectionRecord, Role } from '../../shared/instances.js';
import { plural } from './format.js';

/** "SUBJECT #12–#14 (1 death)": what one watched mind showed. */
function sawLine(observation: Observation): string {
  const numbers = observation.reflections.map((reflection) => reflection.n);
  const range =
    numbers.length === 0
      ? 'no thoughts yet'
      : numbers.length === 1
        ? `#${numbers[0]}`
        : `#${numbers[0]}–#${numbers.at(-1)}`;
  return `${observation.instance} ${range} (${plural(observation.deaths, 'death')})`;
}

/** What a watcher was shown with this reflection, folded away: the chain of observation, read back on demand. */
function Shown({ shown }: { shown: Observation[] }) {
  return (
    <details className="shown" data-testid="shown">
      <summary>saw {shown.map(sawLine).join(' and ')}</summary>
      {shown.flatMap((observation) =>
        observation.reflections.map((reflection) => (
          <blockquote key={`${observation.instance}-${reflection.n}`}>
            <span className="meta">
              {observation.instance} #{reflection.n}
            </span>
            {reflection.text}
          </blockquote>
        )),
      )}
    </details>
  );
}

/** One finished thought: records never change, so a new one added to the list leaves the others' elements alone. */
const Thought = memo(function Thought({ record }: { record: ReflectionRecord }) {
  return (
    <p className={record.complete ? 'thought' : 'thought cut'}>
      <span className="meta">
        #{record.n} · after {record.deaths} {record.deaths === 1 ? 'death' : 'deaths'}
        {record.complete ? '' : ' · cut off'}
      </span>
      {record.shown && record.shown.length > 0 && <Shown shown={record.shown} />}
      {record.text}
    </p>
  );
});

/** The finished thoughts: redrawn when one is added, not for every streamed token. */
const Thoughts = memo(function Thoughts({ reflections }: { reflections: ReflectionRecord[] }) {
  return reflections.map((record) => <Thought key={`${record.n}-${record.endedAt}`} record={record} />);
});

/**
 * The scrolling transcript of one instance. It follows new text while the reader is at the bottom, and stays put
 * when they have scrolled up to read. It follows from a ResizeObserver, which runs once layout is done: reading the
 * box's height after every render instead forced a layout of the transcript for each streamed token, half the
 * panel's script time with three minds streaming.
 */
export function Transcript({
  reflections,
  partial,
  role,
}: {
  reflections: ReflectionRecord[];
  partial: PartialReflection | null;
  role: Role;
}) {
  const box = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  useEffect(() => {
    const element = box.current;
    if (!element || !content.current) return;
    const observer = new ResizeObserver(() => {
      if (following.current) element.scrollTop = element.scrollHeight;
    });
    // The text growing, and the box shrinking when the card above it gains a line.
    observer.observe(content.current);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  return (
    <div
      className="transcript"
      ref={box}
      data-testid="transcript"
      role="log"
      aria-live="off"
      aria-label={`${role} transcript`}
      tabIndex={0}
      onScroll={(event) => {
        const element = event.currentTarget;
        following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      }}
    >
      <div ref={content}>
        {reflections.length === 0 && !partial && <p className="empty">No thoughts yet.</p>}
        <Thoughts reflections={reflections} />
        {partial && (
          <p className="thought streaming" data-testid="streaming">
            <span className="meta">#{partial.n}</span>
            {partial.text}
            <span className="cursor" aria-hidden="true">
              ▍
            </span>
          </p>
        )}
      </div>
    </div>
  );
}
