// npm run build: type-check, compile the C core, compile the Bun executable,
// lay out dist/: zoo-bun (the Bun executable), zoo and zoo-runtime (the C
// front door, twice), zookeeper (-> zoo-bun), zoo-shim.
import { copyFileSync, mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");

function step(name: string, cmd: string[]) {
  const t = performance.now();
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    console.error(`build: ${name} failed (exit ${r.exitCode})`);
    process.exit(1);
  }
  console.log(`build: ${name} ok (${Math.round(performance.now() - t)} ms)`);
}

step("typecheck", [join(root, "node_modules/.bin/tsc"), "--noEmit", "-p", root]);
step("zoo-shim", ["make", "-s", "-C", "native"]);
mkdirSync(dist, { recursive: true });
// Bytecode: start-up goes from ~39 ms to ~14 ms because nothing is parsed at run time.
// No .env or bunfig.toml from the working directory (a compiled executable
// reads both by default): a runtime started in a bundle directory must not
// take its environment, or code to preload, from files there.
// JIT policy 100: tier-up thresholds ×100. Almost every zoo command is
// run-once code that the JIT compiled on other threads for nothing (a
// `zoo-runtime run` used ~14% less CPU and time); the image commands, which
// loop over megabytes, set the normal policy back (src/frontends/zoo.ts).
step("zoo-bun", [
  process.execPath, "build", "--compile", "--minify", "--bytecode", "--sourcemap=none",
  "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--compile-jit-policy=100",
  "src/main.ts", "--outfile", join(dist, "zoo-bun"),
]);
rmSync(join(dist, "zookeeper"), { force: true });
symlinkSync("zoo-bun", join(dist, "zookeeper"));
// zoo and zoo-runtime are the C front door (docs/design/run-cache.md), one
// binary under two names (its name is its door): it replays a cached
// `zoo run` or `zoo-runtime run` itself and execs ./zoo-bun for everything
// else. Copy then rename: a running shim or front door keeps its old inode
// instead of failing the copy.
for (const [from, to] of [["zoo-shim", "zoo-shim"], ["zoo-runtime", "zoo-runtime"], ["zoo-runtime", "zoo"]] as const) {
  rmSync(join(dist, `.${to}.tmp`), { force: true });
  copyFileSync(join(root, "native/build", from), join(dist, `.${to}.tmp`));
  renameSync(join(dist, `.${to}.tmp`), join(dist, to));
}
console.log(`build: dist/ ready: zoo-bun, zoo, zoo-runtime, zookeeper, zoo-shim`);
