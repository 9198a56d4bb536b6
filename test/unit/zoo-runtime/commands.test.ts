// The pure parts of ps, update and events: argument parsing, the resources
// request, cgroup stats parsing and the JSON line, the ps table filter.
import { describe, expect, test } from "bun:test";
import { parseDuration, parseEvents } from "../../../src/cli/zoo-runtime/events.ts";
import { parsePs } from "../../../src/cli/zoo-runtime/ps.ts";
import { parseUpdate } from "../../../src/cli/zoo-runtime/update.ts";
import { eventLine, flatKeyed, parseBlkioV1, parseIoStatV2 } from "../../../src/runtime/oci/events-stats.ts";
import { filterPsTable } from "../../../src/runtime/oci/ps.ts";
import { updateRequest } from "../../../src/runtime/oci/update.ts";

describe("update", () => {
  test("flags: sizes with suffixes, -1 for unlimited", () => {
    const a = parseUpdate(["--memory", "64m", "--memory-swap=-1", "--cpu-quota", "-1", "--cpu-shares", "512", "--pids-limit", "-1", "--cpuset-cpus", "0-1", "c"]);
    expect(a).toMatchObject({ id: "c", memory: 64 << 20, memorySwap: -1, cpuQuota: -1, cpuShares: 512, pidsLimit: -1, cpusetCpus: "0-1" });
    expect(() => parseUpdate(["--cpu-shares", "-1", "c"])).toThrow('update: --cpu-shares "-1": want a whole number');
    expect(parseUpdate(["--cpu-rt-period", "1000000", "--cpu-rt-runtime", "-1", "c"])).toMatchObject({ cpuRtPeriod: 1_000_000, cpuRtRuntime: -1 });
    expect(updateRequest(undefined, parseUpdate(["--kernel-memory", "1m", "--kernel-memory-tcp", "-1", "c"])).resources).toEqual({ memory: { kernel: 1 << 20, kernelTCP: -1 } });
    expect(() => parseUpdate(["c", "d"])).toThrow("update: expected ID, got 2 arguments");
  });
  test("the JSON first, flags over it; only what is named is in the request", () => {
    const json = JSON.stringify({ memory: { limit: 100, swap: 200 }, cpu: { shares: 10, cpus: "" }, pids: { limit: 5 }, blockIO: { weight: 300 }, devices: [{ allow: false, access: "rwm" }] });
    expect(updateRequest(json, { memory: 150, pidsLimit: 6 })).toEqual({
      resources: { memory: { limit: 150, swap: 200 }, cpu: { shares: 10 }, pids: { limit: 6 }, blockIO: { weight: 300 } },
    });
    expect(updateRequest(json, { blkioWeight: 500 }).resources.blockIO).toEqual({ weight: 500 });
    expect(updateRequest(undefined, { cpuPeriod: 100000 })).toEqual({ resources: { cpu: { period: 100000 } } });
    expect(updateRequest(undefined, {})).toEqual({ resources: {} });
    // The rest of linux.resources goes to the cgroup layer as given.
    const more = {
      blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1024 }] },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      network: { classID: 1 },
      rdma: { mlx5_0: { hcaHandles: 2 } },
      unified: { "cgroup.max.descendants": "5" },
    };
    expect(updateRequest(JSON.stringify({ ...more, memory: { disableOOMKiller: true, checkBeforeUpdate: true }, cpu: { idle: 1, burst: 0, realtimePeriod: 1000 } }), { cpuRtRuntime: 10 })).toEqual({
      resources: { ...more, memory: { disableOOMKiller: true, checkBeforeUpdate: true }, cpu: { idle: 1, burst: 0, realtimePeriod: 1000, realtimeRuntime: 10 } },
    });
    expect(() => updateRequest(JSON.stringify({ intelRdt: {} }), {})).toThrow("--resources: intelRdt: not supported by update");
    expect(() => updateRequest(JSON.stringify({ memory: { disableOOMKiller: 1 } }), {})).toThrow("--resources: memory.disableOOMKiller: want true or false, got 1");
    expect(() => updateRequest(JSON.stringify({ memory: { limit: "1g" } }), {})).toThrow('--resources: memory.limit: want an integer, got "1g"');
    expect(() => updateRequest("[", {})).toThrow("--resources: invalid JSON");
  });
});

describe("events", () => {
  test("Go durations", () => {
    expect(parseDuration("5s", "--interval")).toBe(5000);
    expect(parseDuration("1m30s", "--interval")).toBe(90_000);
    expect(parseDuration("250ms", "--interval")).toBe(250);
    expect(() => parseDuration("5", "--interval")).toThrow('events: --interval "5": want a duration');
    expect(() => parseDuration("10us", "--interval")).toThrow("must be at least 1ms");
    expect(parseEvents(["--stats", "c"])).toEqual({ id: "c", stats: true, intervalMs: 5000 });
  });
  test("cgroup file parsers", () => {
    expect(flatKeyed("cache 10\nrss 20\nbad\nx y\n")).toEqual({ cache: 10n, rss: 20n });
    expect(parseBlkioV1("8:0 Read 100\n8:0 Write 7\nTotal 107\n")).toEqual([
      { major: 8n, minor: 0n, op: "Read", value: 100n },
      { major: 8n, minor: 0n, op: "Write", value: 7n },
    ]);
    expect(parseIoStatV2("259:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n")).toEqual({
      bytes: [
        { major: 259n, minor: 0n, op: "Read", value: 4096n },
        { major: 259n, minor: 0n, op: "Write", value: 0n },
      ],
      ios: [
        { major: 259n, minor: 0n, op: "Read", value: 1n },
        { major: 259n, minor: 0n, op: "Write", value: 0n },
      ],
    });
  });
  test("one JSON line: 64-bit counters exact, undefined and empty lists left out", () => {
    const line = eventLine("stats", "c", { memory: { usage: { limit: 9223372036854771712n, max: undefined } }, blkio: { ioServiceBytesRecursive: [] } });
    expect(line).toBe('{"type":"stats","id":"c","data":{"memory":{"usage":{"limit":9223372036854771712}},"blkio":{}}}\n');
    expect(eventLine("oom", "c")).toBe('{"type":"oom","id":"c"}\n');
  });
});

describe("ps", () => {
  const out = "UID        PID  PPID  C STIME TTY          TIME CMD\nroot         1     0  0 10:00 ?        00:00:01 /sbin/init\nroot      4242     7  0 10:01 ?        00:00:00 sleep 4242\nroot        42     1  0 10:01 ?        00:00:00 sleep 42\n";
  test("keeps the header and the rows whose PID column is one of the container's", () => {
    expect(filterPsTable(out, new Set([42]))).toBe("UID        PID  PPID  C STIME TTY          TIME CMD\nroot        42     1  0 10:01 ?        00:00:00 sleep 42\n");
    expect(filterPsTable("COMMAND PID\nsleep 7\n", new Set([7]))).toBe("COMMAND PID\nsleep 7\n");
    expect(() => filterPsTable("COMMAND\nsleep\n", new Set([7]))).toThrow("ps: the output has no PID column");
  });
  test("arguments: ps args after the id pass through", () => {
    expect(parsePs(["-f", "json", "c", "-o", "pid"])).toEqual({ id: "c", format: "json", psArgs: ["-o", "pid"] });
    expect(parsePs(["c"])).toEqual({ id: "c", format: "table", psArgs: [] });
  });
});
