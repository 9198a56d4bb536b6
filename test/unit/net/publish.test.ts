import { expect, test } from "bun:test";
import { parsePublish } from "../../../src/net/publish.ts";

test("ZOO_PUBLISH: hostPort:containerPort, comma-separated", () => {
  expect(parsePublish(undefined)).toEqual([]);
  expect(parsePublish("")).toEqual([]);
  expect(parsePublish("18080:8080, 2222:22")).toEqual([{ hostPort: 18080, containerPort: 8080 }, { hostPort: 2222, containerPort: 22 }]);
});

test("ZOO_PUBLISH: bad values say what the format is", () => {
  for (const bad of ["8080", "0:80", "80:70000", "a:b", "1:2:3"]) {
    expect(() => parsePublish(bad)).toThrow(/ZOO_PUBLISH=.*hostPort:containerPort/);
  }
});
