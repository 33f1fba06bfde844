"""libvirt <emulator> wrapper: QEMU with jobshim proxies between its QMP monitor and libvirt.

    emulator.py MODE QEMU NODE JOBSHIM RUN_DIR QEMU-ARGS...

MODE is `direct` (exec QEMU unchanged), `jobs` (`jobshim proxy --facade jobs`) or
`legacy-over-jobs` (`proxy --facade legacy` over `proxy --facade jobs`).

libvirt hands QEMU its monitor as an inherited listening socket
(`-chardev socket,id=charmonitor,fd=N,server=on,wait=off`) and connects to it itself. The wrapper
binds a private listening socket for QEMU instead (given to QEMU as a descriptor, so the first
proxy can connect before QEMU runs), then forks a supervisor and execs QEMU: libvirt's pid,
signals and exit status are QEMU's own. The supervisor starts the proxies in order, then accepts
libvirt's connection on N and relays it to the outermost proxy byte for byte, descriptors
(SCM_RIGHTS: libvirt's `getfd`) included. It and the proxies die with QEMU (PR_SET_PDEATHSIG, and
each proxy exits when its upstream goes away). Every other QEMU run (libvirt's capability probes)
is QEMU unchanged.

The jobs proxy gets a second listener, RUN_DIR/NAME.ROLE.jobs.sock (ROLE: source or destination,
NAME from `-name guest=NAME`), for a second client of the same facade (issue 13, mixed deployment).
"""

import array
import ctypes
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    """Asks the kernel for SIGTERM when the process that forked us (QEMU after the exec) ends."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os._exit(0)


def monitor_fd(args):
    """The index of libvirt's monitor chardev argument and its descriptor, or (None, None)."""
    for index, arg in enumerate(args):
        found = re.match(r"socket,id=charmonitor,fd=(\d+),(.*)$", arg)
        if found and index > 0 and args[index - 1] == "-chardev":
            return index, int(found.group(1))
    return None, None


def domain_name(args):
    for index, arg in enumerate(args[:-1]):
        if arg == "-name":
            found = re.match(r"(?:guest=)?([^,]+)", args[index + 1])
            if found:
                return found.group(1)
    return "guest"


def wait_for_socket(path, proxy, log_path):
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if proxy.poll() is not None or time.monotonic() > deadline:
            with open(log_path, encoding="utf8", errors="replace") as log:
                sys.stderr.write(f"emulator.py: proxy did not listen on {path}: {log.read()}\n")
            os._exit(1)
        time.sleep(0.05)


def start_proxy(node, jobshim, facade, upstream, listens, log_path):
    supervisor = os.getpid()
    command = [node, jobshim, "proxy", "--facade", facade, "--upstream", f"unix:{upstream}"]
    for path in listens:
        command += ["--listen", f"unix:{path}"]
    log = open(log_path, "ab")
    proxy = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        preexec_fn=lambda: die_with_parent(supervisor),
    )
    wait_for_socket(listens[0], proxy, log_path)
    return proxy


def relay(client, upstream):
    """Copies bytes and descriptors both ways until either side closes."""
    selector = selectors.DefaultSelector()
    selector.register(client, selectors.EVENT_READ, upstream)
    selector.register(upstream, selectors.EVENT_READ, client)
    fd_size = array.array("i").itemsize
    while True:
        for key, _ in selector.select():
            source, target = key.fileobj, key.data
            data, ancillary, _flags, _addr = source.recvmsg(65536, socket.CMSG_SPACE(64 * fd_size))
            if not data:
                return
            fds = array.array("i")
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[: len(payload) - len(payload) % fd_size])
            sent = target.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)] if fds else [])
            if sent < len(data):
                target.sendall(data[sent:])
            for fd in fds:
                os.close(fd)


def supervise(mode, node, jobshim, run_dir, private, listener_fd, name, role, qemu_pid):
    die_with_parent(qemu_pid)
    # Hold none of the descriptors libvirt gave QEMU, only stdio and the monitor listener.
    os.closerange(3, listener_fd)
    os.closerange(listener_fd + 1, 65536)
    proxies = []

    def stop(*_):
        for proxy in proxies:
            if proxy.poll() is None:
                proxy.terminate()
        shutil.rmtree(private, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    log_path = os.path.join(run_dir, f"{name}.{role}.proxies.log")
    jobs_socket = os.path.join(private, "jobs.sock")
    second = os.path.join(run_dir, f"{name}.{role}.jobs.sock")
    jobs_listens = [jobs_socket, second]
    proxies.append(start_proxy(node, jobshim, "jobs", os.path.join(private, "qemu.sock"), jobs_listens, log_path))
    outermost = jobs_socket
    if mode == "legacy-over-jobs":
        outermost = os.path.join(private, "legacy.sock")
        proxies.append(start_proxy(node, jobshim, "legacy", jobs_socket, [outermost], log_path))
    monitor = socket.socket(fileno=listener_fd)
    try:
        while True:
            client, _ = monitor.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(outermost)
            try:
                relay(client, upstream)
            except OSError:
                pass
            client.close()
            upstream.close()
    finally:
        stop()


def main():
    mode, qemu, node, jobshim, run_dir, *args = sys.argv[1:]
    index, libvirt_fd = monitor_fd(args)
    if mode == "direct" or index is None:
        os.execv(qemu, [qemu, *args])
    private = tempfile.mkdtemp(prefix="qemu-monitor-", dir=run_dir)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(private, "qemu.sock"))
    listener.listen(8)
    listener.set_inheritable(True)
    options = args[index].split(",fd=", 1)[1].split(",", 1)[1]
    args[index] = f"socket,id=charmonitor,fd={listener.fileno()},{options}"
    role = "destination" if "-incoming" in args else "source"
    qemu_pid = os.getpid()
    if os.fork() == 0:
        listener.close()
        supervise(mode, node, jobshim, run_dir, private, libvirt_fd, domain_name(args), role, qemu_pid)
    # QEMU never sees libvirt's listening socket: the supervisor accepts on it.
    os.close(libvirt_fd)
    os.execv(qemu, [qemu, *args])


if __name__ == "__main__":
    main()
