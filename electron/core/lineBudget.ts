/**
 * At most `perMinute` log lines a minute, for lines that someone outside can cause (a refused request, a caught
 * error): a flood of them must not fill the events file and the disk. What goes unsaid is still counted where it
 * matters (LastResort.caught).
 */
export class LineBudget {
  private minuteStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(private readonly perMinute: number) {}

  /** True when one more line may be written now. */
  take(now = Date.now()): boolean {
    if (now - this.minuteStart >= 60_000) {
      this.minuteStart = now;
      this.used = 0;
    }
    return ++this.used <= this.perMinute;
  }
}
