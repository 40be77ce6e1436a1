import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kepu.core.messaging import FileSmsBackend, HttpGatewaySmsBackend


def test_file_backend_appends_json_lines(settings, tmp_path):
    settings.KEPU_SMS_OUTBOX = tmp_path
    FileSmsBackend().send("13800000001", "你好", purpose="test")
    line = json.loads((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert line["to"] == "13800000001" and line["text"] == "你好"


def test_http_gateway_posts_json_with_the_token(settings):
    received = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.update(json.loads(body), auth=self.headers["Authorization"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    settings.KEPU_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.KEPU_SMS_GATEWAY_TOKEN = "secret"
    HttpGatewaySmsBackend().send("13800000001", "验证码 123456")
    thread.join(5)
    server.server_close()
    assert received["to"] == "13800000001" and received["text"] == "验证码 123456"
    assert received["auth"] == "Bearer secret"


def test_http_gateway_refuses_to_run_unconfigured(settings):
    settings.KEPU_SMS_GATEWAY_URL = ""
    with pytest.raises(RuntimeError):
        HttpGatewaySmsBackend().send("13800000001", "x")
