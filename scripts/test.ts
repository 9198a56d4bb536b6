// npm test: the C core's suite, then every TypeScript test, and one closing
// line "N passed, N failed, N skipped" that CI reads.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const paths = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

// The C core: its suite as built, then under ASan/UBSan, then under valgrind.
const C_TARGETS = process.env.ZOO_C_TARGETS?.split(",") ?? ["check", "asan", "valgrind"];
if (paths.length === 0 && !process.env.ZOO_SKIP_C_TESTS) {
  for (const target of C_TARGETS) {
    const c = Bun.spawnSync(["make", "-s", "-C", "native", target], { cwd: root, stdout: "inherit", stderr: "inherit" });
    if (c.exitCode === 0) passed++;
    else {
      failed++;
      console.error(`test: native C suite (make ${target}) failed`);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), "zoo-junit-"));
const junit = join(dir, "junit.xml");
const r = Bun.spawnSync(
  [process.execPath, "test", "--timeout", "120000", "--reporter=junit", `--reporter-outfile=${junit}`, ...(paths.length ? paths : ["test/"])],
  { cwd: root, stdout: "inherit", stderr: "inherit", env: { ...process.env } },
);
try {
  const xml = readFileSync(junit, "utf8");
  const top = /<testsuites[^>]*>/.exec(xml)?.[0] ?? "";
  const num = (k: string) => Number(new RegExp(`${k}="(\\d+)"`).exec(top)?.[1] ?? 0);
  const tests = num("tests");
  const fails = num("failures") + num("errors");
  const skips = num("skipped");
  passed += tests - fails - skips;
  failed += fails;
  skipped += skips;
} catch {
  failed++;
  console.error("test: bun test wrote no report");
}
rmSync(dir, { recursive: true, force: true });
if (r.exitCode !== 0 && failed === 0) failed++;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
