import { expect, test } from "bun:test";
import { formatMap, parseSubid, rootlessMappings } from "../../../src/runtime/idmap.ts";

const SUBUID = "# comment\nalice:100000:65536\n1001:200000:1000\nbob:300000:65536\nalice:500000:10\nbad:line\n";

test("subid ranges by name or by uid", () => {
  expect(parseSubid(SUBUID, "alice", 1000)).toEqual([{ start: 100000, count: 65536 }, { start: 500000, count: 10 }]);
  expect(parseSubid(SUBUID, "carol", 1001)).toEqual([{ start: 200000, count: 1000 }]);
  expect(parseSubid(SUBUID, "nobody", 5)).toEqual([]);
});

test("container root is the caller and uid 1000 inside is subuid start + 999", () => {
  const maps = rootlessMappings(1000, [{ start: 100000, count: 65536 }]);
  expect(maps).toEqual([{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }]);
  const m = maps.find((x) => 1000 >= x.containerID && 1000 < x.containerID + x.size)!;
  expect(m.hostID + (1000 - m.containerID)).toBe(100000 + 999);
  expect(formatMap(maps)).toBe("0 1000 1\n1 100000 65536\n");
});
