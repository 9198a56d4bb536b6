// -n's only change to zookeeper's OCI config: a read-only resolv.conf bind with -r.
import { expect, test } from "bun:test";
import { zookeeperSpec } from "../../../src/frontends/zookeeper-spec.ts";

const o = { help: false, proc: false, network: true, command: ["/bin/sh"] };
const id = { cwd: "/", env: {}, uidMappings: [], gidMappings: [] };

test("with -r and a generated resolv.conf, it is bound read-only over /etc/resolv.conf", () => {
  const spec = zookeeperSpec({ ...o, root: "/fs" }, { ...id, resolvConf: "/tmp/zoo.resolv-x/resolv.conf" });
  expect(spec.mounts?.find((m) => m.destination === "/etc/resolv.conf")).toEqual({
    destination: "/etc/resolv.conf", type: "bind", source: "/tmp/zoo.resolv-x/resolv.conf", options: ["bind", "ro", "nosuid", "nodev", "noexec"],
  });
});

test("without -r the host's view is left alone, and the netns is always private", () => {
  const spec = zookeeperSpec(o, { ...id, resolvConf: "/tmp/zoo.resolv-x/resolv.conf" });
  expect(spec.mounts?.some((m) => m.destination === "/etc/resolv.conf")).toBe(false);
  expect(spec.linux?.namespaces?.some((n) => n.type === "network" && !n.path)).toBe(true);
});
