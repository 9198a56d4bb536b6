# Sourced by the bench scripts: drop_run_cache_entries DIR removes the run
# cache entries (docs/design/run-cache.md) whose key names DIR, the bench's
# scratch directory (--root, ZOO_ROOT or the bundle there): the runs that
# wrote them cannot come again once DIR is gone.
drop_run_cache_entries() {
  [ -d /run/zoo/cache/run ] || return 0
  grep -laF -- "$1" /run/zoo/cache/run/* 2>/dev/null | xargs -r rm -f --
}
