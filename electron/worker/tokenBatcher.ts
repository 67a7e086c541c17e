/**
 * Collects streamed text and hands it on at most every `intervalMs`, so a fast model sends tens of messages a second
 * instead of one per token. `flush` sends whatever is pending at once (the end of a reflection).
 */
export class TokenBatcher {
  private text = '';
  private tokens = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (text: string, tokens: number) => void,
  ) {}

  push(text: string, tokens: number): void {
    this.text += text;
    this.tokens += tokens;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.text === '' && this.tokens === 0) return;
    const { text, tokens } = this;
    this.text = '';
    this.tokens = 0;
    this.send(text, tokens);
  }
}
