// The run cache's side in `zoo-runtime run`: start watching an eligible run,
// and once it has ended as it should, write its entry. Nothing here can fail
// the run; with ZOO_DEBUG, why a run got no entry is said on stderr.
import { hasMarkByte } from "./eligible.ts";
import { buildEntry } from "./build.ts";
import { KEY_ENV, keyForRun, RUN_CACHE_DIR } from "./key.ts";
import { RunRecorder } from "./record.ts";
import { saveEntry } from "./write.ts";
import { writeErr } from "../../../util/stdio.ts";

export { RunRecorder };

function debug(line: string): void {
  if (process.env.ZOO_DEBUG) writeErr(`zoo-runtime: run cache: ${line}\n`);
}

/**
 * A recorder for this run, or null when it gets no entry whatever happens.
 * The caller has checked runIneligible already: that is what decides whether
 * this module is loaded at all.
 */
export function watchRun(argv: string[], id: string, root: string): RunRecorder | null {
  const why =
    (argv.at(-1) !== id ? "the ID is not the last argument" : null) ??
    (hasMarkByte(process.cwd(), root, ...argv, ...KEY_ENV.map((k) => process.env[k])) ? "byte 0x01 in an argument, path or variable" : null);
  if (why) {
    debug(`no entry (${why})`);
    return null;
  }
  try {
    return new RunRecorder(argv, root);
  } catch (e) {
    debug(`no entry (${(e as Error).message})`);
    return null;
  }
}

/** Writes the entry of a run that ended as it should; returns its file, or null. */
export function finishRun(r: RunRecorder, id: string, dir = RUN_CACHE_DIR): string | null {
  const build = (key: Uint8Array) => {
    if (hasMarkByte(r.bundle?.raw)) throw new Error("byte 0x01 in config.json");
    return buildEntry(r, key, id);
  };
  return saveEntry(() => keyForRun(r.argv, id), build, dir, debug);
}
