"""Two Hub API routes that TFDS's Hugging Face reader calls and olah 0.5.4 does not serve offline.

``tfds.load("huggingface:<org>__<name>/<config>")`` (tensorflow_datasets 4.9.10,
``core/utils/huggingface_utils.py`` ``to_huggingface_name`` and
``core/dataset_builders/huggingface_dataset_builder.py`` ``_hf_hub_info``) makes two calls
the olah mirror (``tests/support/hub_mirror.py``) cannot answer in offline mode:

* ``GET /api/datasets`` (``huggingface_hub.list_datasets()``): the Hub's listing, a JSON
  array of dataset infos, paginated with a ``Link: <...>; rel="next"`` header (huggingface_hub
  ``utils/_pagination.py``); olah answers 200 with a body that is not JSON. Served here as
  the mirrored repos' infos, one page, no ``Link``.
* ``GET /api/datasets/{repo_id}`` (``huggingface_hub.dataset_info(repo_id)`` without a
  revision; ``hf_api.py`` ``dataset_info`` builds ``/api/datasets/{repo_id}`` or
  ``/api/datasets/{repo_id}/revision/{revision}``, which the Hub answers with the same
  info for the default branch); olah answers 401. Served here as the ``revision/main`` answer.

Everything else goes to the mirror unchanged, so a repo the mirror does not have is
refused by the mirror itself (tested).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_DATASET_INFO = re.compile(r"^/api/datasets/([^/?]+/[^/?]+)/?(\?.*)?$")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "host"}


class HubApiRoutes:
    """An HTTP front for ``mirror_endpoint`` that adds the two routes above for ``repo_ids``."""

    def __init__(self, mirror_endpoint: str, repo_ids: list[str]):
        upstream = urlsplit(mirror_endpoint)
        self.upstream = (upstream.hostname, upstream.port)
        self.repo_ids = list(repo_ids)
        routes = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                routes._handle(self)

            do_HEAD = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _upstream(self, method: str, path: str, headers: dict) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            keep = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
            if method == "HEAD":  # no body: the length is the upstream's
                keep += [(k, v) for k, v in resp.getheaders() if k.lower() == "content-length"]
            return resp.status, keep, resp.read()
        finally:
            conn.close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP_BY_HOP}
        path = h.path
        if path.split("?")[0].rstrip("/") == "/api/datasets" and h.command == "GET":
            infos = []
            for repo in self.repo_ids:
                status, _, body = self._upstream("GET", f"/api/datasets/{repo}/revision/main", headers)
                if status == 200:
                    infos.append(json.loads(body))
            self._send(h, 200, [("Content-Type", "application/json")], json.dumps(infos).encode())
            return
        m = _DATASET_INFO.match(path)
        if m and not m.group(1).endswith("/revision"):
            path = f"/api/datasets/{m.group(1)}/revision/main" + (m.group(2) or "")
        status, out_headers, body = self._upstream(h.command, path, headers)
        self._send(h, status, out_headers, body)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, headers: list, body: bytes) -> None:
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        if h.command != "HEAD":
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
