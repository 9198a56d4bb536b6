// zoo's own failures carry the exit code the CLI should use; the CLI prints
// `message` as one line and never a stack trace.
export class ZooError extends Error {
  constructor(message: string, readonly exitCode = 125) {
    super(message);
    this.name = "ZooError";
  }
}

/** Bad input from the user: the message says what is wrong and how to fix it. */
export class UsageError extends ZooError {
  constructor(message: string) {
    super(message, 125);
    this.name = "UsageError";
  }
}

/** The container's command could not be started (126 cannot execute, 127 not found). */
export class ExecError extends ZooError {
  override name = "ExecError";
}
