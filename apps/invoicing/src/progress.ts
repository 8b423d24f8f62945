/** A one-line progress bar on a terminal; plain lines (one per phase) anywhere else. */
export class ProgressBar {
  private lastPhase = '';
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(phase: string, done: number, total: number): void {
    const tty = this.out.isTTY;
    if (!tty) {
      if (phase !== this.lastPhase) this.out.write(`${phase}...\n`);
      this.lastPhase = phase;
      return;
    }
    const now = Date.now();
    // Redraw at most 20 times a second, always at the end of a phase.
    if (phase === this.lastPhase && done < total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    if (phase !== this.lastPhase && this.lastPhase !== '') this.out.write('\n');
    this.lastPhase = phase;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * this.width);
    this.out.write(
      `\r${phase.padEnd(8)} [${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`,
    );
  }

  end(): void {
    if (this.out.isTTY && this.lastPhase !== '') this.out.write('\n');
  }
}
