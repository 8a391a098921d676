#!/usr/bin/python3
"""Fault-injecting HTTP proxy for the upload tests (stdlib only).

Usage: fault_proxy.py LISTEN_PORT UPSTREAM_PORT CORRUPT_PART [PIDFILE]

Forwards every request on 127.0.0.1:LISTEN_PORT to 127.0.0.1:UPSTREAM_PORT unchanged
(headers and Host included, so SigV4 signatures stay valid), except that the body of the
FIRST request whose query has partNumber=CORRUPT_PART gets one byte flipped: the bytes on
the wire then differ from the Content-MD5 the client computed, as with corruption in transit.
Each request is sent upstream with "Connection: close" and the answer relayed until EOF.
Prints one line per request to stdout ("corrupted" for the damaged one).
"""
import os
import socket
import sys
import threading

LISTEN, UPSTREAM, PART = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
done = threading.Event()
lock = threading.Lock()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def handle(client):
    try:
        while True:
            head, rest = read_head(client)
            if head is None:
                return
            lines = head.split(b"\r\n")
            length = 0
            out = [lines[0]]
            for line in lines[1:]:
                name = line.split(b":", 1)[0].strip().lower()
                if name == b"content-length":
                    length = int(line.split(b":", 1)[1])
                if name in (b"connection", b"keep-alive"):
                    continue
                out.append(line)
            out.append(b"Connection: close")
            body = rest
            while len(body) < length:
                chunk = client.recv(min(1 << 20, length - len(body)))
                if not chunk:
                    return
                body += chunk
            tag = ""
            target = lines[0].split(b" ")[1].decode()
            with lock:
                if ("partNumber=%s&" % PART in target or target.endswith("partNumber=%s" % PART)) \
                        and not done.is_set() and length > 100:
                    done.set()
                    b = bytearray(body)
                    b[length // 2] ^= 0xFF
                    body = bytes(b)
                    tag = " corrupted"
            print("%s%s" % (lines[0].decode(errors="replace"), tag), flush=True)
            up = socket.create_connection(("127.0.0.1", UPSTREAM))
            up.sendall(b"\r\n".join(out) + b"\r\n\r\n" + body)
            while True:
                chunk = up.recv(1 << 20)
                if not chunk:
                    break
                client.sendall(chunk)
            up.close()
            return  # the answer said nothing about keep-alive: close, the client reconnects
    except OSError:
        pass
    finally:
        client.close()


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", LISTEN))
    srv.listen(16)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write(str(os.getpid()))
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


main()
