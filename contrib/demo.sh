#!/usr/bin/env bash
# memberdesk's main job, end to end, on a fresh Debian 12 machine (as root):
# installs the packages, builds, starts a throw-away mail stack (Dovecot and
# Exim on 127.0.0.1 high ports, private configuration under a temp dir),
# imports three members, lets them send requests in Chinese (GBK, UTF-8 and
# HTML-only mail), runs memberdeskd once, lists the cases and shows the
# acknowledgements as they arrived in the members' IMAP inboxes.
# MD_SKIP_DEPS=1 skips the package installation; MD_DEMO_KEEP=1 keeps the
# demo directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-demo
[ "${MD_SKIP_DEPS:-0}" = 1 ] || "$top/contrib/install-deps.sh"

echo "== building"
if [ ! -x "$build/memberdeskd" ]; then
	(cd "$top" && autoreconf -fi >/dev/null 2>&1)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" >/dev/null && make -j"$(nproc)" >/dev/null)
fi

# The end-to-end library supplies the mail stack, configuration and members.
export MD_TOP_SRCDIR=$top MD_TOP_BUILDDIR=$build MD_REQUIRE_INTEGRATION=1
. "$top/tests/integration/mailstack.sh"
. "$top/tests/integration/e2e_lib.sh"
[ "${MD_DEMO_KEEP:-0}" = 1 ] && MD_KEEP=1
echo "== starting a private mail stack and setting up memberdesk"
e2e_setup memberdesk-demo
echo "   configuration: $CONF"
"$MEMBERDESK" member list

echo "== three members write to chamber@chamber.test"
"$PYTHON" - "$WORK" <<'PY'
import base64, sys
from email.header import Header
work = sys.argv[1]
def write(name, frm, subject, body, charset, html=False, mid=""):
    enc = Header(subject, charset).encode()
    ctype = "text/html" if html else "text/plain"
    payload = base64.encodebytes(body.encode(charset)).decode().replace("\n", "\r\n")
    msg = ("From: %s\r\nTo: 中华商会 <chamber@chamber.test>\r\nSubject: %s\r\n"
           "Date: Fri, 27 Nov 2026 10:15:00 +0800\r\nMessage-ID: <%s@members.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: %s; charset=%s\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n%s" % (frm, enc, mid, ctype, charset, payload))
    open("%s/%s.eml" % (work, name), "w", newline="").write(msg)
write("alice", "alice@members.test", "关于研发费用加计扣除政策的咨询",
      "您好：\n我公司想了解今年研发费用加计扣除的比例和申报时间，请秘书处帮助解读。\n张伟\n", "gbk", mid="demo-1")
write("bob", "bob@members.test", "客户拖欠货款三个月，请求商会协助维权",
      "秘书处：\n一家长期客户拖欠我方货款约 48 万元，多次催收无果，希望商会协助协调。\n李娜\n", "utf-8", mid="demo-2")
write("carol", "carol@members.test", "建议增加跨境电商培训活动",
      "<html><body><p>秘书处您好：</p><p>建议商会明年<b>增加跨境电商</b>方面的培训和交流活动。</p>"
      "<p>王强</p></body></html>", "utf-8", html=True, mid="demo-3")
PY
for who in alice bob carol; do
	mailstack_send "$who@members.test" chamber@chamber.test "$WORK/$who.eml"
done
mailstack_wait_count chamber INBOX 3 20 >/dev/null
echo "   3 requests waiting in the chamber's mailbox"

echo "== memberdeskd --once"
"$MEMBERDESKD" -c "$CONF" --once -v

echo "== memberdesk case list"
"$MEMBERDESK" case list

echo "== acknowledgements in the members' inboxes"
for who in alice bob carol; do
	mailstack_wait_count "$who" INBOX 1 20 >/dev/null
	mkdir -p "$WORK/inbox-$who"
	mailstack_save "$who" INBOX "$WORK/inbox-$who"
	"$PYTHON" - "$WORK"/inbox-"$who"/*.eml <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print("-" * 72)
for h in ("From", "To", "Subject", "In-Reply-To", "Auto-Submitted"):
    print("%s: %s" % (h, m[h]))
print()
print("\n".join(m.get_content().splitlines()[:12]))
PY
done
if [ "${MD_DEMO_KEEP:-0}" = 1 ]; then
	echo "-- demo finished; the demo directory is kept (its mail servers are stopped):"
	echo "   $MEMBERDESK -c $CONF case show MD-$(TZ=Asia/Shanghai date +%Y)-0001"
else
	echo "-- demo finished; MD_DEMO_KEEP=1 keeps the demo directory for a closer look"
fi
