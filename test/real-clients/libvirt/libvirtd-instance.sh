#!/usr/bin/env bash
# One libvirtd of its own on this machine, without systemd, for the libvirt end-to-end test:
#   libvirtd-instance.sh start DIR UUID   → libvirtd running, its socket at DIR/sock/libvirt-sock
#   libvirtd-instance.sh stop DIR         → its QEMUs, then libvirtd, are gone (idempotent)
# libvirtd keeps its state under fixed paths (/etc/libvirt, /run/libvirt, /var/lib/libvirt, ...),
# so each instance runs in a mount namespace of its own (unshare -m) where per-instance folders
# under DIR are bind-mounted over those paths; two instances then never see each other's files.
# Each needs its own pid file and host UUID (libvirt refuses to migrate to "the same host").
set -euo pipefail

command=${1:?usage: libvirtd-instance.sh start DIR UUID | stop DIR}
dir=${2:?instance folder}
mounted=(etc/libvirt run/libvirt var/lib/libvirt var/cache/libvirt var/log/libvirt)

write_config() {
  local uuid=$1
  cat >"$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir/sock"
auth_unix_rw = "none"
auth_unix_ro = "none"
host_uuid = "$uuid"
log_outputs = "3:file:$dir/libvirtd.log"
CONF
  # Root QEMUs without cgroups, namespaces, labels or virtlogd: nothing here runs systemd.
  cat >"$dir/root/etc/libvirt/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = []
cgroup_controllers = []
stdio_handler = "file"
CONF
}

start() {
  local uuid=${3:?host uuid}
  for sub in "${mounted[@]}"; do mkdir -p "$dir/root/$sub"; done
  mkdir -p "$dir/sock"
  cp -n /etc/libvirt/libvirt.conf "$dir/root/etc/libvirt/" 2>/dev/null || true
  write_config "$uuid"
  local binds=""
  for sub in "${mounted[@]}"; do
    mkdir -p "/$sub"
    binds+="mount --bind '$dir/root/$sub' '/$sub'; "
  done
  # The daemon's stdin/stdout/stderr go to a file: it must not hold the caller's pipes open.
  setsid unshare -m --propagation private bash -c \
    "$binds exec libvirtd --config '$dir/libvirtd.conf' --pid-file '$dir/libvirtd.pid'" \
    </dev/null >>"$dir/libvirtd.out" 2>&1 &
  local socket="$dir/sock/libvirt-sock"
  for _ in $(seq 1 300); do
    if [ -S "$socket" ] && virsh -q -c "qemu:///system?socket=$socket" version >/dev/null 2>&1; then
      echo "libvirtd $(cat "$dir/libvirtd.pid") serving $socket"
      return 0
    fi
    sleep 0.1
  done
  echo "libvirtd did not start; its output:" >&2
  cat "$dir/libvirtd.out" "$dir/libvirtd.log" >&2 2>/dev/null || true
  stop
  return 1
}

# Kills what the instance started: QEMUs first (libvirtd leaves them running when it stops),
# then the daemon. Pid files are read from the instance's own run folder.
stop() {
  local pidfile pid
  for pidfile in "$dir"/root/run/libvirt/qemu/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -f "$dir/libvirtd.pid" ]; then
    pid=$(cat "$dir/libvirtd.pid")
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/libvirtd.pid"
  fi
}

case $command in
  start) start "$@" ;;
  stop) stop ;;
  *) echo "unknown command $command" >&2; exit 2 ;;
esac
