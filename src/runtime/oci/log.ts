// --log/--log-format: callers such as containerd read the last error from
// this file (JSON lines {"level","msg","time"}), so it gets every error.
import { appendFileSync } from "node:fs";
import { writeErr } from "../../util/stdio.ts";

export class RuntimeLog {
  constructor(
    private readonly file: string | undefined,
    private readonly format: "text" | "json",
    private readonly debugOn: boolean,
  ) {}

  error(msg: string): void {
    this.write("error", msg);
  }

  debug(msg: string): void {
    if (this.debugOn) this.write("debug", msg);
  }

  private write(level: string, msg: string): void {
    const time = new Date().toISOString();
    const line = this.format === "json" ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    if (!this.file) {
      if (level === "debug") writeErr(line + "\n");
      return;
    }
    try {
      appendFileSync(this.file, line + "\n");
    } catch (e) {
      writeErr(`zoo-runtime: --log ${this.file}: ${(e as Error).message}\n`);
    }
  }
}
