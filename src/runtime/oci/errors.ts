import { ZooError } from "../../util/errors.ts";

/** A zoo-runtime failure: one line, exit status 1 as runc's callers expect. */
export class RuntimeError extends ZooError {
  constructor(message: string) {
    super(message, 1);
    this.name = "RuntimeError";
  }
}
