import { rmSync } from "node:fs";

// Undo stack: everything a run creates registers its removal here, so every
// exit path (success, bad input, setup failure) leaves nothing behind.
export class Cleanup {
  private undo: { what: string; fn: () => void | Promise<void> }[] = [];
  /** Scratch directories this run made: also named to the shim, which removes them if zoo dies. */
  readonly scratchDirs: string[] = [];
  /** Helper processes (network) the shim must kill if zoo dies. */
  readonly helpers: number[] = [];

  /** A temporary directory of this run: removed with its contents, by us or by the shim. */
  adoptDir(path: string): void {
    this.scratchDirs.push(path);
    this.add(`remove ${path}`, () => rmSync(path, { recursive: true, force: true }));
  }

  /** A helper process we started but that is not our child (it daemonised). */
  adoptHelper(pid: number): void {
    this.helpers.push(pid);
  }

  add(what: string, fn: () => void | Promise<void>): void {
    this.undo.push({ what, fn });
  }

  /**
   * What was made now belongs to something that outlives this run (a
   * detached container's monitor): only the steps `runAnyway` picks (closing
   * our own fds) run; the rest are forgotten.
   */
  async keep(runAnyway: (what: string) => boolean): Promise<string[]> {
    this.undo = this.undo.filter((u) => runAnyway(u.what));
    return this.run();
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
