# Sourced by the bench scripts: make_bundle DIR makes DIR/rootfs (busybox,
# static) and DIR/config.json (the runtime's default spec running /bin/true,
# no terminal, ociVersion 1.0.2 so crun 1.8 and runc 1.1 accept it).
make_bundle() {
  local dir=$1 bun=node_modules/.bin/bun
  mkdir -p "$dir/rootfs"
  $bun -e 'import {busyboxEntries, unpack} from "./src/image/busybox.ts"; import {readFileSync} from "fs";
    const l = Bun.spawnSync(["/bin/busybox","--list-full"]).stdout.toString().split("\n").filter(Boolean);
    unpack(busyboxEntries(readFileSync("/bin/busybox"), l), process.argv[1]);' "$dir/rootfs"
  (cd "$dir" && "$OLDPWD/dist/zoo-runtime" spec)
  $bun -e 'const f = process.argv[1]; const c = await Bun.file(f).json();
    c.ociVersion = "1.0.2"; c.process.args = ["/bin/true"]; c.process.terminal = false; await Bun.write(f, JSON.stringify(c));' "$dir/config.json"
}
