// Undo stack: everything a run creates registers its removal here, so every
// exit path (success, bad input, setup failure) leaves nothing behind.
export class Cleanup {
  private undo: { what: string; fn: () => void | Promise<void> }[] = [];

  add(what: string, fn: () => void | Promise<void>): void {
    this.undo.push({ what, fn });
  }

  /** Runs every undo step, newest first; returns the failures instead of throwing. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.undo.length) {
      const { what, fn } = this.undo.pop()!;
      try {
        await fn();
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message}`);
      }
    }
    return failures;
  }
}
