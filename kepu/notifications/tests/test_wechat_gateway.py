"""The production WeChat backend: template messages through the configured gateway, to bound people only."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.notifications import services
from kepu.notifications.channels import HttpGatewayWeChatBackend
from kepu.notifications.models import WeChatBinding
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    """A gateway on loopback that records what it is sent and answers like the WeChat API."""
    received, answer = [], {"errcode": 0, "errmsg": "ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"auth": self.headers["Authorization"], "body": json.loads(body)})
            out = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.KEPU_WECHAT_BACKEND = "kepu.notifications.channels.HttpGatewayWeChatBackend"
    settings.KEPU_WECHAT_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/template/send"
    settings.KEPU_WECHAT_GATEWAY_TOKEN = "t0ken"
    settings.KEPU_WECHAT_TEMPLATES = {"kepu.orders.scheduled": "TPL-SCHEDULED", "generic": "TPL-GENERIC"}
    settings.KEPU_SITE_URL = "https://kepu.example.gov.cn"
    yield received, answer
    server.shutdown()
    server.server_close()


def test_bound_people_get_a_template_message_and_the_others_are_skipped(
    world, gateway, django_capture_on_commit_callbacks
):
    received, _answer = gateway
    services.wechat_bind(actor=world.a.resident, openid="oAbCdEfGh1234567890_xyz")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            [world.a.resident.user, world.a.admin.user],
            title="订单已排期",
            body="周六上午",
            url="/orders/7/",
            kind="kepu.orders.scheduled",
            channels=("inbox", "wechat"),
        )
    assert len(received) == 1  # the office admin never bound an account
    sent = received[0]
    assert sent["auth"] == "Bearer t0ken"
    assert sent["body"] == {
        "touser": "oAbCdEfGh1234567890_xyz",
        "template_id": "TPL-SCHEDULED",
        "url": "https://kepu.example.gov.cn/orders/7/",
        "data": {"title": {"value": "订单已排期"}, "body": {"value": "周六上午"}},
    }
    HttpGatewayWeChatBackend().send_template(user=world.a.resident.user, template="kepu.other", data={})
    assert received[-1]["body"]["template_id"] == "TPL-GENERIC"


def test_a_refusal_by_wechat_raises_and_notify_loses_nothing_else(world, gateway, django_capture_on_commit_callbacks):
    from kepu.notifications.models import Notification

    received, answer = gateway
    services.wechat_bind(actor=world.a.resident, openid="oAbCdEfGh1234567890_xyz")
    answer.update(errcode=43004, errmsg="require subscribe")
    with pytest.raises(RuntimeError, match="43004"):
        HttpGatewayWeChatBackend().send_template(user=world.a.resident.user, template="x", data={})
    with django_capture_on_commit_callbacks(execute=True):
        notify([world.a.resident.user], title="x", channels=("inbox", "wechat"))
    assert Notification.objects.filter(recipient=world.a.resident.user).count() == 1


def test_binding_is_ones_own_checked_and_audited(world):
    with pytest.raises(DomainError) as err:
        services.wechat_bind(actor=world.a.resident, openid="not an openid!")
    assert err.value.code == "openid_invalid" and not WeChatBinding.objects.exists()
    services.wechat_bind(actor=world.a.resident, openid="oAbCdEfGh1234567890_xyz")
    # the same openid bound by someone else moves to them (one WeChat user, one person)
    services.wechat_bind(actor=world.a.neighbour, openid="oAbCdEfGh1234567890_xyz")
    assert list(WeChatBinding.objects.values_list("user_id", flat=True)) == [world.a.neighbour.user.pk]
    assert AuditEntry.objects.filter(action="kepu.notifications.wechat_bound").count() == 2
    assert services.wechat_unbind(actor=world.a.neighbour) and not WeChatBinding.objects.exists()
    assert services.wechat_unbind(actor=world.a.neighbour) is False
    from kepu.core.permissions import can

    binding = WeChatBinding.objects.create(user=world.a.resident.user, openid="oOTHER1234567890")
    assert not can(world.a.admin, "view", binding) and not can(world.b.resident, "unbind", binding)
    with pytest.raises(NotAllowed):
        from kepu.core.permissions import require

        require(world.a.admin, "unbind", binding)
