"""Test-only second opinion on descriptor passing, independent of jobshim's addon: Python's own
socket.send_fds (3.9+). Connects to a QMP unix socket, negotiates, sends `getfd` (fdname "py")
and `add-fd` (opaque "python") each with a descriptor of FILE, then `query-fdsets`; prints each
reply as one JSON line.

Usage: python3 send-fds.py SOCKET FILE
"""
import json
import os
import socket
import sys


def main() -> None:
    path, file = sys.argv[1], sys.argv[2]
    fd = os.open(file, os.O_RDONLY)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        reader = sock.makefile("rb")

        def reply() -> dict:
            while True:
                message = json.loads(reader.readline())
                if "event" not in message:
                    return message

        reply()  # greeting
        sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        reply()
        socket.send_fds(sock, [b'{"execute": "getfd", "arguments": {"fdname": "py"}}\n'], [fd])
        print(json.dumps(reply()))
        socket.send_fds(sock, [b'{"execute": "add-fd", "arguments": {"opaque": "python"}}\n'], [fd])
        print(json.dumps(reply()))
        sock.sendall(b'{"execute": "query-fdsets"}\n')
        print(json.dumps(reply()))
    os.close(fd)


main()
