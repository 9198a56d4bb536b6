/** Public surface of the seccomp compiler; the runtime imports from here. */
export { compileSeccomp, type CompileOptions, type CompiledSeccomp } from "./compile.ts";
export { compileSeccompCached, defaultSeccompCache, type SeccompCache, type SeccompFilter } from "./cache.ts";
export { listenerStateParts, seccompSetup, type SeccompSetup } from "./listener.ts";
export { hostArch, syscallNumber, targetArchFor } from "./arch.ts";
export { encodeProgram, decodeProgram, type SockFilter } from "./bpf.ts";
export { SeccompError, SeccompProfileError, SeccompProgramTooLargeError } from "./errors.ts";
export { zookeeperSeccompProfile } from "./profiles/zookeeper.ts";
export { defaultProfileFor, DEFAULT_RULES, resolveGated, type GatedRule } from "./profiles/default.ts";
export type * from "./types.ts";
