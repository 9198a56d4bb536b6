// Docker's defaults: kernel interfaces that leak host information, or let
// root in the container poke the host kernel, are hidden or made read-only.
// /proc/asound is in both lists: read-only as the issue asks, hidden as Docker
// has it since 2018 (the masking tmpfs is read-only too).
export const DEFAULT_MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];

export const DEFAULT_READONLY_PATHS = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];
