import { ensureBusybox } from "../image/busybox.ts";
import { defaultStoreRoot, Store } from "../image/store.ts";

export function zooImages(): number {
  const store = new Store(defaultStoreRoot());
  ensureBusybox(store);
  const rows = Object.entries(store.readIndex()).map(([ref, digest]) => {
    const i = ref.lastIndexOf(":");
    return [ref.slice(0, i), ref.slice(i + 1), digest.replace("sha256:", "").slice(0, 12)];
  });
  const table = [["REPOSITORY", "TAG", "IMAGE ID"], ...rows];
  const w = [0, 1].map((c) => Math.max(...table.map((r) => r[c]!.length)) + 3);
  for (const r of table) process.stdout.write(r[0]!.padEnd(w[0]!) + r[1]!.padEnd(w[1]!) + r[2] + "\n");
  return 0;
}
