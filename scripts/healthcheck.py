#!/usr/bin/env python
"""Container health checks for docker-compose: ``healthcheck.py web|beat``.

web   answers HTTP on 127.0.0.1:$PORT. The request carries the first allowed host and
      ``X-Forwarded-Proto: https`` (as the TLS proxy in front of it would), so neither the host
      check nor the HTTPS redirect hides a broken application; any status below 500 is healthy.
beat  the beat scheduler is PID 1 of its container and the Redis broker answers PING.

The worker's check is Celery's own (``celery inspect ping``), in docker-compose.yml.
"""

import http.client
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit


def check_web() -> bool:
    host = (
        os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
    )
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
    connection.request("GET", "/", headers={"Host": host, "X-Forwarded-Proto": "https"})
    status = connection.getresponse().status
    return status < 500


def check_redis() -> bool:
    url = urlsplit(os.environ["REDIS_URL"])
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=5) as sock:
        if url.password:
            sock.sendall(f"AUTH {url.password}\r\n".encode())
            sock.recv(64)
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def check_beat() -> bool:
    command_line = Path("/proc/1/cmdline").read_bytes().split(b"\0")
    return b"beat" in command_line and check_redis()


def main(argv: list[str]) -> int:
    checks = {"web": check_web, "beat": check_beat}
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: {argv[0]} {'|'.join(checks)}", file=sys.stderr)
        return 2
    try:
        healthy = checks[argv[1]]()
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
