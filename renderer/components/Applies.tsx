import type { Applies as When } from '../../shared/settingsTable.js';

/** Whether a setting's change reaches the running instances at once or on their next start (the settings table's). */
export function Applies({ when }: { when: When }) {
  return (
    <span className={`applies applies-${when.replace(' ', '-')}`}>
      {when === 'live' ? 'applies live' : 'on next start'}
    </span>
  );
}
