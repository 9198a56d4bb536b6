// npm run vm -- CMD...: run CMD at the checkout root inside a cgroup v2 +
// systemd VM and exit with its code. See docs/design/vm.md.
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, ensureImage } from "./image.ts";
import { runInVm } from "./qemu.ts";

const log = (s: string) => console.error(s);
const env = process.env;
const argv = process.argv.slice(2);
if (argv.length === 0) {
  log("usage: npm run vm -- CMD [ARG...]   (env: ZOO_VM_USER, ZOO_VM_TIMEOUT, ZOO_VM_CACHE, ZOO_VM_CGROUP=root, ZOO_VM_CONSOLE=1, ZOO_VM_VERBOSE=1)");
  process.exit(2);
}
const user = env.ZOO_VM_USER || undefined;
if (user && !/^[a-z_][a-z0-9_-]{0,30}$/.test(user)) {
  log(`vm: ZOO_VM_USER=${user} is not a valid user name`);
  process.exit(2);
}
const timeoutSec = Number(env.ZOO_VM_TIMEOUT || 900);
const verbose = env.ZOO_VM_VERBOSE === "1";

const t0 = performance.now();
const image = ensureImage(log);
const imageSec = (performance.now() - t0) / 1000;
const r = await runInVm({
  image,
  argv,
  src: realpathSync(join(import.meta.dir, "../..")),
  user,
  timeoutSec,
  workDir: join(cacheDir(), "runs"),
  console: env.ZOO_VM_CONSOLE === "1",
  memoryMiB: Number(env.ZOO_VM_MEMORY || 3072),
  cpus: Number(env.ZOO_VM_CPUS || 2),
  rootCgroup: env.ZOO_VM_CGROUP === "root",
  guestRunner: join(import.meta.dir, "guest/zoo-vm-run"),
  log,
});
if (verbose) {
  const boot = r.bootSec === undefined ? "?" : r.bootSec.toFixed(1);
  log(`vm: exit ${r.code}; image ${imageSec.toFixed(1)} s, boot ${boot} s, total ${r.totalSec.toFixed(1)} s`);
}
process.exit(r.code);
