#!/bin/sh
# Runs once inside the freshly bootstrapped image (chroot, no systemd running),
# so everything here is file edits and offline `systemctl enable`.
set -eu

echo zoo-vm > /etc/hostname

# The default rootless user. Others named by ZOO_VM_USER are made at run time
# by zoo-vm-user (same steps), this one just saves the boot those seconds.
/usr/local/sbin/zoo-vm-user zoo

# Delegation as on a stock systemd distro that enables it for rootless containers.
mkdir -p /etc/systemd/system/user@.service.d
cat > /etc/systemd/system/user@.service.d/delegate.conf <<'UNIT'
[Service]
Delegate=cpu cpuset io memory pids
UNIT

systemctl enable zoo-vm.service
# Nothing in the guest should compete with the command for the emulated CPUs.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
         systemd-tmpfiles-clean.timer dpkg-db-backup.timer man-db.timer; do
  systemctl mask "$u" 2>/dev/null || true
done
# Drop the package cache: it is only dead weight in every run's disk.
apt-get clean
rm -rf /var/lib/apt/lists/*
