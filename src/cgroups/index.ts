// Public surface of the cgroup layer.

export {
  ContainerCgroup,
  createContainerCgroup,
  MANAGERS,
  type CgroupOptions,
  type CgroupPath,
  type CgroupState,
} from "./container.ts";
export {
  cgroupDir,
  detectHierarchies,
  hierarchyFor,
  parseHierarchies,
  parseMountInfo,
  parseProcCgroup,
  type CgroupVersion,
  type DetectOptions,
  type Hierarchy,
} from "./detect.ts";
export {
  CgroupConfigError,
  CgroupDelegationError,
  CgroupError,
  CgroupFsError,
  CgroupWriteError,
  errnoText,
} from "./errors.ts";
export { realFs, type CgroupFs } from "./fs.ts";
export {
  cpuPercentToQuota,
  planWrites,
  requiredControllers,
  sharesToWeight,
  validateResources,
  type Controller,
  type ControlWrite,
  type CpuResources,
  type MemoryResources,
  type PidsResources,
  type Resources,
  type WritePlan,
} from "./limits.ts";
export type { MemoryUsage, OomKills, VersionManager } from "./manager.ts";
export { PARENT_ENV, checkDelegation, resolveParentPath } from "./parent.ts";
