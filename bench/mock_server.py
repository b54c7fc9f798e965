"""The benchmark's upstream: Tollgate's OpenAI-format mock under gevent's WSGI server, one process."""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402

from tollgate.mock_upstream import MockState, MockUpstream  # noqa: E402


def main() -> None:
    port = int(sys.argv[1])
    api_key = sys.argv[2] if len(sys.argv) > 2 else None
    app = MockUpstream(MockState(api_key=api_key, record_requests=False))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY: without it a response written in two sends waits ~40 ms on
    # the client's delayed ACK, and every latency figure measures that instead of the servers.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    WSGIServer(listener, app, log=None, error_log=sys.stderr).serve_forever()


if __name__ == "__main__":
    main()
