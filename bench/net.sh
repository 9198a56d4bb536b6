#!/usr/bin/env bash
# TCP between the host and a container for each network mode of `zoo run`:
# bridge (nftables DNAT), pasta and slirp4netns (their port forwarding), with
# host networking as the reference. busybox httpd in the container serves a
# large file and a one-byte file; a Python client on the host downloads them
# through 127.0.0.1:PORT, so traffic never leaves the machine. Needs root and
# a build (npm run build). Writes bench/results/net.md.
# MB: size of the large file in MiB (256); RUNS: downloads per mode (5);
# REQUESTS: small requests per mode for the round-trip time (300).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
command -v python3 >/dev/null || apt-get install -y -qq python3 >/dev/null
MB=${MB:-256} RUNS=${RUNS:-5} REQUESTS=${REQUESTS:-300}
ZOO=$PWD/dist/zoo
work=$(mktemp -d /var/tmp/zoo-bench-net.XXXXXX)
export ZOO_ROOT=$work/store
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# PID 1 is a shell that exits on SIGTERM (httpd as PID 1 would ignore it).
serve() { # serve PORT
  echo "mkdir -p /www && dd if=/dev/zero of=/www/big bs=1048576 count=$MB 2>/dev/null && echo x >/www/s && httpd -p $1 -h /www && trap 'exit 0' TERM && while :; do sleep 1 & wait; done"
}

rows=()
for mode in host bridge pasta slirp4netns; do
  port=$((20000 + RANDOM % 20000))
  if [ "$mode" = host ]; then
    "$ZOO" run --rm --network host busybox sh -c "$(serve "$port")" &
  else
    "$ZOO" run --rm --network "$mode" -p "$port:80" busybox sh -c "$(serve 80)" &
  fi
  server=$!
  out=$(python3 bench/net-client.py "$port" "$RUNS" "$REQUESTS")
  kill "$server"; wait "$server" || true; server=
  gbps=$(awk '$1=="gbps" {print $2}' <<<"$out")
  read -r rtt p90 < <(awk '$1=="rtt_us" {print $2, $3}' <<<"$out")
  echo "$mode: $gbps Gbit/s, request round trip $rtt µs (p90 $p90)"
  rows+=("| $mode | $gbps | $rtt | $p90 |")
done

mkdir -p bench/results
{
  echo "Host ↔ container over TCP through 127.0.0.1:PORT (busybox httpd; $MB MiB download × $RUNS, median; $REQUESTS one-byte HTTP/1.0 requests, each a new connection), $(date -u +%F), $(nproc) cores."
  echo
  echo "| --network | download (Gbit/s) | request round trip (µs, median) | p90 (µs) |"
  echo "| --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} >bench/results/net.md
cat bench/results/net.md
