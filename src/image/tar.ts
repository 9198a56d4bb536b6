// A minimal, deterministic ustar writer (regular files, directories, symlinks):
// the same tree always gives the same bytes, so the same layer digest.
export interface TarEntry {
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "char";
  mode: number;
  uid?: number;
  gid?: number;
  data?: Uint8Array;
  /** Size of data written separately (streamed), when `data` is absent. */
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const enc = new TextEncoder();

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

export function header(e: TarEntry): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => h.set(enc.encode(s), off);
  let name = e.path;
  let prefix = "";
  if (enc.encode(name).length > 100) {
    const cut = name.lastIndexOf("/", 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut < 0 || enc.encode(name).length > 100) throw new Error(`tar: path too long: ${e.path}`);
  }
  put(0, name);
  put(100, octal(e.mode & 0o7777, 8));
  put(108, octal(e.uid ?? 0, 8));
  put(116, octal(e.gid ?? 0, 8));
  put(124, octal(e.type === "file" ? (e.data?.length ?? e.size ?? 0) : 0, 12));
  put(136, octal(0, 12)); // mtime 0: reproducible digests
  put(148, "        ");
  put(156, { file: "0", hardlink: "1", symlink: "2", char: "3", dir: "5" }[e.type]);
  if (e.linkname) put(157, e.linkname);
  put(257, "ustar\0");
  put(263, "00");
  if (e.type === "char") {
    put(329, octal(e.devmajor ?? 0, 8));
    put(337, octal(e.devminor ?? 0, 8));
  }
  put(345, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

export function writeTar(entries: TarEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const e of entries) {
    const h = header(e);
    chunks.push(h);
    size += 512;
    if (e.type === "file" && e.data) {
      chunks.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      chunks.push(new Uint8Array(pad));
      size += e.data.length + pad;
    }
  }
  chunks.push(new Uint8Array(1024));
  size += 1024;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
