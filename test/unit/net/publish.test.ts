import { expect, test } from "bun:test";
import { parsePublish } from "../../../src/net/publish.ts";

test("ZOO_PUBLISH: hostPort:containerPort, comma-separated", () => {
  expect(parsePublish(undefined)).toEqual([]);
  expect(parsePublish("")).toEqual([]);
  expect(parsePublish("18080:8080, 2222:22")).toEqual([
    { hostPort: 18080, containerPort: 8080, protocol: "tcp" },
    { hostPort: 2222, containerPort: 22, protocol: "tcp" },
  ]);
  expect(parsePublish("5353:53/udp,80:80/tcp")).toEqual([
    { hostPort: 5353, containerPort: 53, protocol: "udp" },
    { hostPort: 80, containerPort: 80, protocol: "tcp" },
  ]);
});

test("ZOO_PUBLISH: a host port twice, or an unknown protocol, is refused", () => {
  expect(() => parsePublish("80:80,80:81")).toThrow(/host port 80\/tcp is published twice/);
  expect(parsePublish("53:53/udp,53:53/tcp")).toHaveLength(2);
  expect(() => parsePublish("80:80/sctp")).toThrow(/tcp or udp/);
});

test("ZOO_PUBLISH: bad values say what the format is", () => {
  for (const bad of ["8080", "0:80", "80:70000", "a:b", "1:2:3"]) {
    expect(() => parsePublish(bad)).toThrow(/ZOO_PUBLISH=.*hostPort:containerPort/);
  }
});
