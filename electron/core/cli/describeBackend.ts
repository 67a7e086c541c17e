import { describeLlamaBinary, llamaReason, llamaSummary, type LlamaDiscovery } from '../../../shared/board.js';
import type { JetsonSystemFacts } from '../board/jetsonSystem.js';

/** doctor's and plan's lines on the llama.cpp binaries and on what changes the meaning of the figures on a Jetson. */

export function describeLlama(llama: LlamaDiscovery): string[] {
  const { system } = llama;
  const versions = [system.glibc && `glibc ${system.glibc}`, system.glibcxx && `GLIBCXX ${system.glibcxx}`]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `[llama.cpp] ${llama.platform}${system.os ? `, ${system.os}` : ''}${versions ? ` (${versions})` : ''}`,
    `  System: ${system.source}`,
  ];
  if (llama.candidates.length === 0) lines.push(`  Binaries: none found for ${llama.platform}`);
  for (const binary of llama.candidates) {
    const verdict = binary.loads === true ? 'loads' : binary.loads === false ? 'CANNOT LOAD' : 'not known';
    lines.push(`  ${describeLlamaBinary(binary)}${binary.builtOn ? `, built on ${binary.builtOn}` : ''}: ${verdict}`);
    lines.push(`    ${binary.why}`);
  }
  lines.push(
    llama.using
      ? `  Workers use: ${describeLlamaBinary(llama.using)}, ${llamaReason(llama)} (a plan without GPU layers takes a CPU binary where one loads)`
      : `  Workers use: nothing, ${llamaReason(llama)}: every instance would fail to load`,
  );
  if (llama.advice) lines.push(`  To do: ${llama.advice}`);
  return lines;
}

/** One line for `plan`. */
export function describeLlamaLine(llama: LlamaDiscovery | undefined): string[] {
  return llama ? [`  ${llamaSummary(llama)}`, ...(llama.advice ? [`  To do: ${llama.advice}`] : [])] : [];
}

export function describeJetsonSystem(facts: JetsonSystemFacts): string[] {
  const line = (label: string, fact: { summary: string; source: string }) =>
    `  ${label}: ${fact.summary} [${fact.source}]`;
  return [
    '[What changes these figures]',
    line('zram swap', facts.zram),
    line('Power mode', facts.powerMode),
    line('Clocks', facts.clocks),
  ];
}
