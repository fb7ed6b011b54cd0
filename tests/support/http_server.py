"""A real HTTP/1.1 file server on 127.0.0.1 with scriptable faults, for download tests.

It speaks what a download client meets on Zenodo: ``Content-Length``, ``ETag``, byte
``Range`` requests answered with 206 + ``Content-Range``, ``If-Range``, 416.  Faults are
queued per path and consumed one per request:

    server.add_fault("/x.npz", status=503)            # answer 503
    server.add_fault("/x.npz", cut_after=1000)        # send 1000 body bytes, then drop the connection
    server.add_fault("/x.npz", body=b"wrong")         # serve other bytes
    server.add_fault("/x.npz", delay=0.5)             # wait before answering
    server.add_fault("/x.npz", ignore_range=True)     # answer 200 with the whole file
    server.add_fault("/x.npz", replace_with=b"new")   # after answering, the file on the server changes
    server.add_fault("/x.npz", no_content_length=True)  # no Content-Length: the body ends when the
                                                        # connection closes (with cut_after: cut short)
    server.add_fault("/x.npz", range_start=10)        # answer 206 from byte 10, whatever was asked
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    status: int | None = None
    cut_after: int | None = None
    body: bytes | None = None
    delay: float = 0.0
    ignore_range: bool = False
    retry_after: str | None = None
    bytes_per_second: float | None = None
    replace_with: bytes | None = None
    no_content_length: bool = False
    range_start: int | None = None


@dataclass
class Request:
    path: str
    range: str | None
    if_range: str | None
    status: int = 0


@dataclass
class FileServer:
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    requests: list[Request] = field(default_factory=list)

    def start(self) -> FileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                owner._handle(self)

            def do_HEAD(self):
                owner._handle(self, head=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_fault(self, path: str, **kwargs) -> None:
        self.faults[path].append(Fault(**kwargs))

    def etag(self, path: str) -> str:
        return '"' + hashlib.md5(self.files[path]).hexdigest() + '"'

    # -- request handling --------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, head: bool = False) -> None:
        path = h.path.split("?")[0]
        req = Request(path, h.headers.get("Range"), h.headers.get("If-Range"))
        self.requests.append(req)
        fault = self.faults[path].popleft() if self.faults[path] else Fault()
        try:
            self._answer(h, path, req, fault, head)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True  # the client hung up mid-answer (e.g. it dropped a bad range): fine
        finally:
            if fault.replace_with is not None:
                self.files[path] = fault.replace_with

    def _answer(self, h: BaseHTTPRequestHandler, path: str, req: Request, fault: Fault, head: bool) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is not None:
            req.status = fault.status
            h.send_response(fault.status)
            if fault.retry_after:
                h.send_header("Retry-After", fault.retry_after)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if path not in self.files:
            req.status = 404
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = fault.body if fault.body is not None else self.files[path]
        etag = '"' + hashlib.md5(data).hexdigest() + '"'
        start = 0
        use_range = req.range is not None and not fault.ignore_range
        if use_range and req.if_range is not None and req.if_range != etag:
            use_range = False  # the file changed: send it whole
        if use_range:
            try:
                start = int(req.range.split("=")[1].split("-")[0])
            except (IndexError, ValueError):
                start = 0
        if fault.range_start is not None:  # a broken server: this range, whatever was asked
            use_range, start = True, fault.range_start
        if use_range:
            if start >= len(data):
                req.status = 416
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{len(data)}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            req.status = 206
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            req.status = 200
            h.send_response(200)
        body = data[start:]
        if fault.no_content_length:
            h.send_header("Connection", "close")  # HTTP/1.1 without length or chunks: close ends the body
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(len(body)))
        h.send_header("ETag", etag)
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        if head:
            return
        if fault.cut_after is not None:
            h.wfile.write(body[: fault.cut_after])
            h.wfile.flush()
            h.close_connection = True
            try:
                import socket

                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault.bytes_per_second:
            step = max(1, int(fault.bytes_per_second / 20))
            for i in range(0, len(body), step):
                h.wfile.write(body[i : i + step])
                h.wfile.flush()
                time.sleep(0.05)
            return
        h.wfile.write(body)
