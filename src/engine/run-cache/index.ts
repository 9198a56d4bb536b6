// The run cache's side in `zoo run --rm`: watch an eligible run, and once it
// has ended as it should, write its entry for the front door (dist/zoo) to
// replay. Nothing here can fail the run; with ZOO_DEBUG, why a run got no
// entry is said on stderr.
import { REPLAY_ENGINE_ENV, REPLAY_ENGINE_ID_LEN } from "../../plan/replay-ids.ts";
import { hasMarkByte } from "../../runtime/oci/run-cache/eligible.ts";
import { exeIdentity, keyBytes, RUN_CACHE_DIR } from "../../runtime/oci/run-cache/key.ts";
import { saveEntry } from "../../runtime/oci/run-cache/write.ts";
import { writeErr } from "../../util/stdio.ts";
import { buildEngineEntry, type EngineRunFacts } from "./build.ts";
import { EngineRecorder } from "./record.ts";

export { EngineRecorder };

function debug(line: string): void {
  if (process.env.ZOO_DEBUG) writeErr(`zoo: run cache: ${line}\n`);
}

/** A recorder for this run (the caller checked engineRunIneligible), or null. */
export function watchEngineRun(argv: string[], storeRoot: string): EngineRecorder | null {
  if (hasMarkByte(process.cwd(), storeRoot, ...argv, ...REPLAY_ENGINE_ENV.map((k) => process.env[k]))) {
    debug("no entry (byte 0x01 in an argument, path or variable)");
    return null;
  }
  return new EngineRecorder(argv, storeRoot);
}

/** The key the front door computes for these arguments (docs/design/run-cache.md, "zoo run"). */
export function engineKey(argv: string[], env: Record<string, string | undefined> = process.env): Uint8Array | null {
  const exe = exeIdentity();
  if (exe === null) return null;
  return keyBytes({ door: "zoo", envNames: REPLAY_ENGINE_ENV, exe, euid: process.geteuid!(), umask: process.umask(), cwd: process.cwd(), env, idLength: REPLAY_ENGINE_ID_LEN, args: argv });
}

/** Writes the entry of a run that ended as it should (its recorder stopped); returns its file, or null. */
export function finishEngineRun(r: EngineRecorder, facts: EngineRunFacts, dir = RUN_CACHE_DIR): string | null {
  const build = (key: Uint8Array) => {
    if (facts.id.length !== REPLAY_ENGINE_ID_LEN) throw new Error("the ID is not 64 characters");
    return buildEngineEntry(r, key, facts);
  };
  return saveEntry(() => engineKey(r.argv), build, dir, debug);
}
