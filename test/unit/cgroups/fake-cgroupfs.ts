// A temp-directory stand-in for cgroupfs. Real cgroupfs fills a new
// directory with control files and enforces a few rules; this fake does the
// subset the cgroup layer depends on, so unit tests exercise real file I/O.

import * as fs from "node:fs";
import * as os from "node:os";
import { realFs, type CgroupFs } from "../../../src/cgroups/fs.ts";

export interface FakeMount {
  /** Mount point relative to the fake root, e.g. "/sys/fs/cgroup/memory". */
  at: string;
  version: 1 | 2;
  /** v1: bound controllers ("name=systemd" for named); v2: controllers available at the root. */
  controllers: string[];
  /** Cgroup path of "our" process; created with our pid in cgroup.procs. */
  ownPath: string;
}

const V1_UNLIMITED = "9223372036854771712";
/** v2 controllers that may run inside a threaded subtree (the kernel's threaded mask). */
const V2_THREADED = new Set(["cpu", "cpuset", "perf_event", "pids"]);
/** cgroup.type values below which a new cgroup is "domain invalid". */
const THREAD_SUBTREE = new Set(["domain threaded", "threaded", "domain invalid"]);

function errno(code: string, msg: string): Error {
  return Object.assign(new Error(`${code}: ${msg}`), { code });
}

export interface FakeOptions {
  /** Omit memory.memsw.* (kernel without swap accounting). */
  noMemsw?: boolean;
  /** Omit cgroup.kill (pre-5.14 kernel). */
  noCgroupKill?: boolean;
  /** Omit freezer.state. */
  noFreezer?: boolean;
  /** Omit cpu.rt_* (kernel without CONFIG_RT_GROUP_SCHED). */
  noRtGroupSched?: boolean;
  /** Omit io.weight (v2 without blk-iocost or BFQ). */
  noIoWeight?: boolean;
}

export class FakeCgroupFs implements CgroupFs {
  readonly root: string;
  /** Every successful control-file write, in order. */
  readonly writes: { path: string; value: string }[] = [];
  /** Make writes to files whose path ends with the key fail with that errno. */
  readonly failWrites = new Map<string, string>();
  /** Directories (absolute) access(W_OK) says no to, with their files. */
  readonly readOnly = new Set<string>();
  /** Directories where rmdir keeps failing with EBUSY this many more times. */
  readonly busyRmdir = new Map<string, number>();
  readonly killed: number[] = [];
  readonly mkdirs: string[] = [];
  readonly rmdirs: string[] = [];

  constructor(
    readonly mounts: FakeMount[],
    readonly opts: FakeOptions = {},
    readonly ownPid = 4242,
  ) {
    this.root = fs.mkdtempSync(`${os.tmpdir()}/zoo-fake-cgroupfs-`);
    for (const m of mounts) {
      const top = this.abs(m.at);
      fs.mkdirSync(top, { recursive: true });
      this.populate(m, top, true);
      let dir = top;
      for (const part of m.ownPath.split("/").filter(Boolean)) {
        // Like systemd: every ancestor of a process's cgroup hands all controllers down.
        if (m.version === 2) fs.writeFileSync(`${dir}/cgroup.subtree_control`, this.read(`${dir}/cgroup.controllers`));
        dir = `${dir}/${part}`;
        fs.mkdirSync(dir);
        this.populate(m, dir, false);
      }
      fs.writeFileSync(`${dir}/cgroup.procs`, `${ownPid}\n`);
    }
  }

  abs(p: string): string {
    return `${this.root}${p}`;
  }

  mountinfo(): string {
    return this.mounts
      .map((m, i) => {
        const opts = m.version === 1 ? `rw,${m.controllers.join(",")}` : "rw,nsdelegate";
        return `${30 + i} 25 0:${40 + i} / ${m.at} rw,nosuid,nodev,noexec,relatime shared:${i} - ${m.version === 1 ? "cgroup" : "cgroup2"} cgroup ${opts}`;
      })
      .join("\n");
  }

  procCgroup(): string {
    let id = 1;
    return this.mounts.map((m) => (m.version === 2 ? `0::${m.ownPath}` : `${id++}:${m.controllers.join(",")}:${m.ownPath}`)).join("\n");
  }

  /** Write /proc/self stand-ins under the fake root and return their directory. */
  procDir(): string {
    const d = this.abs("/proc/self");
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(`${d}/mountinfo`, `${this.mountinfo()}\n`);
    fs.writeFileSync(`${d}/cgroup`, `${this.procCgroup()}\n`);
    return d;
  }

  private mountOf(dir: string): FakeMount | undefined {
    return this.mounts.find((m) => dir === this.abs(m.at) || dir.startsWith(this.abs(m.at) + "/"));
  }

  private files(m: FakeMount, dir: string, isRoot: boolean): Record<string, string> {
    const f: Record<string, string> = { "cgroup.procs": "" };
    if (m.version === 1) {
      f["tasks"] = "";
      f["cgroup.clone_children"] = "0";
      if (isRoot) return f; // v1 roots expose few controller files; we never write there
      for (const c of m.controllers) Object.assign(f, this.v1Files(c));
      return f;
    }
    const parent = dir.slice(0, dir.lastIndexOf("/"));
    const available = isRoot ? m.controllers : this.read(`${parent}/cgroup.subtree_control`).split(/\s+/).filter(Boolean);
    f["cgroup.controllers"] = available.join(" ");
    f["cgroup.subtree_control"] = "";
    // The root has no cgroup.type; a child of a threaded subtree cannot hold processes.
    if (!isRoot) f["cgroup.type"] = THREAD_SUBTREE.has(this.typeOf(parent)) ? "domain invalid" : "domain";
    f["cgroup.freeze"] = "0";
    f["cgroup.max.depth"] = "max";
    f["cgroup.max.descendants"] = "max";
    f["cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n";
    if (!this.opts.noCgroupKill) f["cgroup.kill"] = "";
    if (!isRoot) for (const c of available) Object.assign(f, this.v2Files(c));
    return f;
  }

  private v1Files(c: string): Record<string, string> {
    switch (c) {
      case "memory":
        return {
          "memory.limit_in_bytes": V1_UNLIMITED,
          "memory.soft_limit_in_bytes": V1_UNLIMITED,
          "memory.usage_in_bytes": "0",
          "memory.failcnt": "0",
          "memory.swappiness": "60",
          "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
          "memory.use_hierarchy": "1",
          "memory.kmem.limit_in_bytes": V1_UNLIMITED,
          "memory.kmem.tcp.limit_in_bytes": V1_UNLIMITED,
          ...(this.opts.noMemsw ? {} : { "memory.memsw.limit_in_bytes": V1_UNLIMITED }),
        };
      case "cpu":
        return {
          "cpu.shares": "1024",
          "cpu.cfs_quota_us": "-1",
          "cpu.cfs_period_us": "100000",
          "cpu.cfs_burst_us": "0",
          "cpu.idle": "0",
          ...(this.opts.noRtGroupSched ? {} : { "cpu.rt_runtime_us": "0", "cpu.rt_period_us": "1000000" }),
        };
      case "blkio":
        // A kernel without CFQ: BFQ's weights and the throttles.
        return {
          "blkio.bfq.weight": "100",
          "blkio.bfq.weight_device": "",
          "blkio.throttle.read_bps_device": "",
          "blkio.throttle.write_bps_device": "",
          "blkio.throttle.read_iops_device": "",
          "blkio.throttle.write_iops_device": "",
        };
      case "hugetlb":
        return { "hugetlb.2MB.limit_in_bytes": V1_UNLIMITED, "hugetlb.2MB.rsvd.limit_in_bytes": V1_UNLIMITED };
      case "net_cls":
        return { "net_cls.classid": "0" };
      case "net_prio":
        return { "net_prio.ifpriomap": "lo 0\n", "net_prio.prioidx": "1" };
      case "rdma":
        return { "rdma.max": "" };
      case "cpuacct":
        return { "cpuacct.usage": "0" };
      case "cpuset":
        return { "cpuset.cpus": "", "cpuset.mems": "" };
      case "pids":
        return { "pids.max": "max", "pids.current": "0" };
      case "freezer":
        return this.opts.noFreezer ? {} : { "freezer.state": "THAWED" };
      default:
        return {};
    }
  }

  private v2Files(c: string): Record<string, string> {
    switch (c) {
      case "memory":
        return {
          "memory.max": "max",
          "memory.swap.max": "max",
          "memory.low": "0",
          "memory.current": "0",
          "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
        };
      case "cpu":
        return { "cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0" };
      case "cpuset":
        return { "cpuset.cpus": "", "cpuset.mems": "" };
      case "pids":
        return { "pids.max": "max", "pids.current": "0" };
      case "io":
        return { "io.max": "", ...(this.opts.noIoWeight ? {} : { "io.weight": "default 100" }) };
      case "hugetlb":
        return { "hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max", "hugetlb.1GB.max": "max", "hugetlb.1GB.rsvd.max": "max" };
      case "rdma":
        return { "rdma.max": "" };
      default:
        return {};
    }
  }

  private populate(m: FakeMount, dir: string, isRoot: boolean): void {
    for (const [name, value] of Object.entries(this.files(m, dir, isRoot))) fs.writeFileSync(`${dir}/${name}`, value);
    if (m.version === 1 && isRoot && m.controllers.includes("cpuset")) {
      fs.writeFileSync(`${dir}/cpuset.cpus`, "0-3");
      fs.writeFileSync(`${dir}/cpuset.mems`, "0");
    }
  }

  /** Put a fake process into a cgroup directory. */
  addPid(dir: string, pid: number): void {
    fs.appendFileSync(`${dir}/cgroup.procs`, `${pid}\n`);
  }

  private typeOf(dir: string): string {
    return fs.existsSync(`${dir}/cgroup.type`) ? this.read(`${dir}/cgroup.type`).trim() : "root";
  }

  private read(p: string): string {
    return fs.readFileSync(p, "utf8");
  }

  private allDirs(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      out.push(d);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(`${d}/${e.name}`);
    };
    for (const m of this.mounts) walk(this.abs(m.at));
    return out;
  }

  /** Directories named zoo* anywhere below the mounts. */
  leftovers(): string[] {
    return this.allDirs().filter((d) => /\/zoo[^/]*(\/|$)/.test(d.slice(this.root.length)));
  }

  kill = (pid: number, _sig: NodeJS.Signals | number): void => {
    this.killed.push(pid);
    let found = false;
    for (const d of this.allDirs()) {
      const pids = this.read(`${d}/cgroup.procs`).split("\n").filter(Boolean);
      if (pids.includes(String(pid))) {
        found = true;
        fs.writeFileSync(
          `${d}/cgroup.procs`,
          pids
            .filter((p) => p !== String(pid))
            .map((p) => `${p}\n`)
            .join(""),
        );
      }
    }
    if (!found) throw errno("ESRCH", "no such process");
  };

  sleep = async (_ms: number): Promise<void> => {};

  // --- CgroupFs ---

  readFile(path: string): string {
    return this.read(path);
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  writable(path: string): boolean {
    const dir = fs.existsSync(path) && fs.statSync(path).isDirectory() ? path : path.slice(0, path.lastIndexOf("/"));
    return !this.readOnly.has(dir);
  }

  open(path: string, flags: number): number {
    return realFs.open(path, flags);
  }

  listDirs(path: string): string[] {
    return realFs.listDirs(path);
  }

  mkdir(path: string): void {
    const m = this.mountOf(path);
    if (!m) throw errno("EPERM", "not in a cgroup mount");
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (!fs.existsSync(parent)) throw errno("ENOENT", path);
    if (this.readOnly.has(parent)) throw errno("EACCES", path);
    fs.mkdirSync(path); // throws EEXIST like the kernel
    this.populate(m, path, false);
    this.mkdirs.push(path);
  }

  rmdir(path: string): void {
    if (!fs.existsSync(path)) throw errno("ENOENT", path);
    const busy = this.busyRmdir.get(path) ?? 0;
    if (busy > 0) {
      this.busyRmdir.set(path, busy - 1);
      throw errno("EBUSY", path);
    }
    const entries = fs.readdirSync(path, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) throw errno("EBUSY", `${path} has children`);
    if (this.read(`${path}/cgroup.procs`).trim() !== "") throw errno("EBUSY", `${path} has processes`);
    for (const e of entries) fs.unlinkSync(`${path}/${e.name}`);
    fs.rmdirSync(path);
    this.rmdirs.push(path);
  }

  writeFile(path: string, value: string): void {
    for (const [suffix, code] of this.failWrites) if (path.endsWith(suffix)) throw errno(code, path);
    if (!fs.existsSync(path)) throw errno("ENOENT", path);
    const dir = path.slice(0, path.lastIndexOf("/"));
    const file = path.slice(dir.length + 1);
    const m = this.mountOf(dir);
    switch (file) {
      case "cgroup.procs":
        if (m?.version === 2 && this.typeOf(dir) === "domain invalid") throw errno("EOPNOTSUPP", `${dir} is domain invalid`);
        fs.appendFileSync(path, `${value}\n`);
        break;
      case "cgroup.subtree_control":
        this.subtreeControl(m!, dir, value);
        break;
      case "cgroup.kill":
        for (const d of this.allDirs().filter((x) => x === dir || x.startsWith(dir + "/"))) {
          for (const p of this.read(`${d}/cgroup.procs`).split("\n").filter(Boolean)) this.kill(Number(p), "SIGKILL");
        }
        break;
      case "memory.limit_in_bytes":
      case "memory.memsw.limit_in_bytes":
        this.v1MemoryWrite(dir, file, value);
        break;
      default:
        fs.writeFileSync(path, value);
    }
    this.writes.push({ path, value });
  }

  private subtreeControl(m: FakeMount, dir: string, value: string): void {
    const isRoot = dir === this.abs(m.at);
    const adding = value.split(/\s+/).filter((t) => t.startsWith("+")).map((t) => t.slice(1));
    if (!isRoot && this.read(`${dir}/cgroup.procs`).trim() !== "") {
      // The kernel refuses domain controllers in a cgroup with processes but
      // takes threaded ones: the cgroup becomes a thread root, its domain children invalid.
      if (adding.some((c) => !V2_THREADED.has(c))) throw errno("EBUSY", dir);
      if (adding.length > 0) this.makeThreadRoot(dir);
    }
    const available = this.read(`${dir}/cgroup.controllers`).split(/\s+/).filter(Boolean);
    const enabled = new Set(this.read(`${dir}/cgroup.subtree_control`).split(/\s+/).filter(Boolean));
    for (const tok of value.split(/\s+/).filter(Boolean)) {
      const ctl = tok.slice(1);
      if (!available.includes(ctl)) throw errno("ENOENT", `${ctl} not available`);
      if (tok.startsWith("+")) enabled.add(ctl);
      else enabled.delete(ctl);
    }
    fs.writeFileSync(`${dir}/cgroup.subtree_control`, [...enabled].join(" "));
    // Existing children gain the files and the controller in cgroup.controllers.
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const child = `${dir}/${e.name}`;
      fs.writeFileSync(`${child}/cgroup.controllers`, [...enabled].join(" "));
      for (const c of enabled) {
        for (const [name, v] of Object.entries(this.v2Files(c))) {
          if (!fs.existsSync(`${child}/${name}`)) fs.writeFileSync(`${child}/${name}`, v);
        }
      }
    }
  }

  /** What enabling a threaded controller in a populated cgroup does to it and its children. */
  makeThreadRoot(dir: string): void {
    fs.writeFileSync(`${dir}/cgroup.type`, "domain threaded");
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && this.typeOf(`${dir}/${e.name}`) === "domain") fs.writeFileSync(`${dir}/${e.name}/cgroup.type`, "domain invalid");
    }
  }

  private v1MemoryWrite(dir: string, file: string, value: string): void {
    const num = (s: string) => (s.trim() === "-1" ? 2 ** 63 : Number(s.trim()));
    const limit = file === "memory.limit_in_bytes" ? num(value) : num(this.read(`${dir}/memory.limit_in_bytes`));
    const memswPath = `${dir}/memory.memsw.limit_in_bytes`;
    if (fs.existsSync(memswPath)) {
      const memsw = file === "memory.memsw.limit_in_bytes" ? num(value) : num(this.read(memswPath));
      // The kernel keeps memory+swap >= memory at all times.
      if (memsw < limit) throw errno("EINVAL", `${file}: memsw below limit`);
    }
    fs.writeFileSync(`${dir}/${file}`, value.trim() === "-1" ? V1_UNLIMITED : value);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** This test host's layout: v1 controllers mounted one per hierarchy, named systemd, cgroup2 with hugetlb only. */
export function hybridMounts(memoryOwn = "/process_api/abc"): FakeMount[] {
  const v1 = (c: string, own = "/"): FakeMount => ({ at: `/sys/fs/cgroup/${c.replace("name=", "")}`, version: 1, controllers: [c], ownPath: own });
  return [
    v1("cpu"),
    v1("cpuacct"),
    v1("cpuset"),
    v1("memory", memoryOwn),
    v1("devices"),
    v1("freezer"),
    v1("blkio"),
    v1("pids"),
    v1("name=systemd"),
    { at: "/sys/fs/cgroup/unified", version: 2, controllers: ["hugetlb"], ownPath: "/" },
  ];
}

/** A systemd host on pure cgroup v2. */
export function v2Mounts(own = "/user.slice/user-1000.slice/session-2.scope"): FakeMount[] {
  return [{ at: "/sys/fs/cgroup", version: 2, controllers: ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"], ownPath: own }];
}

/** Pure v1 with cpu,cpuacct co-mounted (the classic layout). */
export function v1CoMountedMounts(own = "/user.slice"): FakeMount[] {
  return [
    { at: "/sys/fs/cgroup/cpu,cpuacct", version: 1, controllers: ["cpu", "cpuacct"], ownPath: own },
    { at: "/sys/fs/cgroup/memory", version: 1, controllers: ["memory"], ownPath: own },
    { at: "/sys/fs/cgroup/pids", version: 1, controllers: ["pids"], ownPath: own },
    { at: "/sys/fs/cgroup/cpuset", version: 1, controllers: ["cpuset"], ownPath: "/" },
    { at: "/sys/fs/cgroup/freezer", version: 1, controllers: ["freezer"], ownPath: "/" },
    { at: "/sys/fs/cgroup/systemd", version: 1, controllers: ["name=systemd"], ownPath: own },
  ];
}

/** Pure v1 with every controller zoo can write, net_cls and net_prio co-mounted. */
export function v1AllMounts(own = "/"): FakeMount[] {
  const v1 = (cs: string[]): FakeMount => ({ at: `/sys/fs/cgroup/${cs.join(",")}`, version: 1, controllers: cs, ownPath: own });
  return [v1(["cpu", "cpuacct"]), v1(["memory"]), v1(["pids"]), v1(["blkio"]), v1(["hugetlb"]), v1(["net_cls", "net_prio"]), v1(["rdma"])];
}
