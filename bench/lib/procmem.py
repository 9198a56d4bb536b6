#!/usr/bin/env python3
"""Host memory of a tool's own processes: procmem.py ROOT_PID MARKER

Lists the processes in the host's pid namespace that descend from ROOT_PID
(0: none) or whose command line contains MARKER (a bench's private temp dir,
which a daemonized monitor such as conmon carries in its arguments), one
line each: pid, comm, VmRSS kB, Pss kB (smaps_rollup). Processes in other
pid namespaces are the containers themselves and are left out, as is this
script."""
import os
import sys


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def main():
    root, marker = int(sys.argv[1]), sys.argv[2].encode()
    me = os.getpid()
    host_ns = os.readlink("/proc/self/ns/pid")
    parent, info = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        pid = int(d)
        stat = read(f"/proc/{pid}/stat")
        if stat is None:
            continue
        # comm may hold spaces or parentheses: the ppid follows the last ')'.
        rest = stat[stat.rindex(b")") + 2:].split()
        parent[pid] = int(rest[1])
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != host_ns:
                continue
        except OSError:
            continue
        info[pid] = (read(f"/proc/{pid}/cmdline") or b"", stat[stat.index(b"(") + 1:stat.rindex(b")")].decode())

    def descends(pid):
        seen = 0
        while pid > 1 and seen < 64:
            if pid == root:
                return True
            pid, seen = parent.get(pid, 0), seen + 1
        return False

    for pid, (cmdline, comm) in sorted(info.items()):
        if pid == os.getppid():
            continue
        if not ((root and descends(pid)) or marker in cmdline):
            continue
        status = read(f"/proc/{pid}/status")
        rollup = read(f"/proc/{pid}/smaps_rollup")
        if status is None or rollup is None:
            continue
        rss = field(status.decode(), "VmRSS")
        pss = field(rollup.decode(), "Pss")
        if rss == 0:  # a zombie or kernel thread holds no memory of its own
            continue
        print(pid, comm.replace(" ", "_"), rss, pss)


main()
