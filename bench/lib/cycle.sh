#!/bin/sh
# One container's life as containerd's shim drives a runtime: create, start,
# wait until it has stopped, delete. cycle.sh RUNTIME ROOT BUNDLE
set -e
rt=$1 root=$2 bundle=$3 id=c$$
"$rt" --root "$root" create --bundle "$bundle" "$id" </dev/null >/dev/null
"$rt" --root "$root" start "$id"
while "$rt" --root "$root" state "$id" 2>/dev/null | grep -q '"status": *"running"'; do :; done
"$rt" --root "$root" delete --force "$id"
