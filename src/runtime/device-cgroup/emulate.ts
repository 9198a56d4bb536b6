// What a list of rules leaves behind in a cgroup v1 devices cgroup: a
// default (allow or deny everything) and exceptions to it. cgroup v2 has no
// such list, so the eBPF program is compiled from this state; runc does the
// same (its devices emulator), which keeps both hierarchies in agreement,
// including v1's quirks:
//   - an "a" rule drops every exception and sets the default, whatever its
//     access letters say;
//   - a rule with the same action as the default removes access bits from
//     the exception with exactly the same type, major and minor, and nothing
//     else (so "deny c 1:* rwm" does not take back an earlier "allow c 1:3");
//   - a rule with the other action adds to the exception of exactly its
//     type, major and minor, or makes one.
import type { Rule } from "./rules.ts";

export interface Exception {
  type: "b" | "c";
  major: number | null;
  minor: number | null;
  access: number;
}

export interface DeviceState {
  defaultAllow: boolean;
  exceptions: Exception[];
}

export function emulate(rules: Rule[]): DeviceState {
  // A container's list starts from deny-all (containerRules puts it first).
  let defaultAllow = false;
  let exceptions: Exception[] = [];
  for (const r of rules) {
    if (r.type === "a") {
      defaultAllow = r.allow;
      exceptions = [];
      continue;
    }
    const same = exceptions.find((e) => e.type === r.type && e.major === r.major && e.minor === r.minor);
    if (r.allow === defaultAllow) {
      if (!same) continue;
      same.access &= ~r.access;
      if (same.access === 0) exceptions = exceptions.filter((e) => e !== same);
    } else if (same) same.access |= r.access;
    else exceptions.push({ type: r.type, major: r.major, minor: r.minor, access: r.access });
  }
  return { defaultAllow, exceptions };
}

