# e2e_lib.sh: shared set-up for end-to-end tests of memberdeskd against the
# private mail stack. Source after mailstack.sh; provides a configuration,
# the two programs, pass/fail bookkeeping, and the mail helpers the tests
# share (writing a message or a request, reading an inbox back).

E2E_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRCDIR="${MD_TOP_SRCDIR:-$E2E_HERE/../..}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
MEMBERDESKD="$BUILDDIR/memberdeskd"
MEMBERDESK="$BUILDDIR/memberdesk"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
PASSED=0
FAILED=0

pass()
{
	PASSED=$((PASSED + 1))
	echo "ok   - $1"
}

fail()
{
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	shift
	[ $# -gt 0 ] && printf '       %s\n' "$@"
}

# check DESCRIPTION COMMAND...: pass when the command succeeds.
check()
{
	local what="$1" out
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "$out"
	fi
}

# e2e_mail FILE FROM TO SUBJECT BODY [IN-REPLY-TO] [RAW-SUBJECT]: write a
# UTF-8 text message (subject B-encoded unless RAW-SUBJECT is given as is).
e2e_mail()
{
	"$PYTHON" - "$@" <<'PY'
import base64, sys, uuid
path, frm, to, subject, body = sys.argv[1:6]
irt = sys.argv[6] if len(sys.argv) > 6 else ""
raw_subject = sys.argv[7] if len(sys.argv) > 7 else ""
if raw_subject:
    subj = raw_subject
else:
    subj = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
h = ["From: " + frm, "To: " + to, "Subject: " + subj,
     "Date: Mon, 30 Nov 2026 10:00:00 +0800",
     "Message-ID: <%s@test.invalid>" % uuid.uuid4().hex,
     "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
     "Content-Transfer-Encoding: base64"]
if irt:
    h += ["In-Reply-To: " + irt, "References: " + irt]
b64 = base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
open(path, "w", newline="").write("\r\n".join(h) + "\r\n\r\n" + b64)
PY
}

# e2e_request FROM SUBJECT BODY FILE [ATTACHMENT-NAME]: a member's request to
# the chamber (Message-ID from subject and sender), optionally with a PDF.
e2e_request()
{
	"$PYTHON" - "$@" <<'PY'
import sys
from email.message import EmailMessage
frm, subject, body, path = sys.argv[1:5]
m = EmailMessage()
m["From"] = frm
m["To"] = "chamber@chamber.test"
m["Subject"] = subject
m["Message-ID"] = "<%s@members.test>" % abs(hash(subject + frm))
m.set_content(body)
if len(sys.argv) > 5:
    m.add_attachment(bytes(range(256)) * 40, maintype="application", subtype="pdf",
                     filename=sys.argv[5])
open(path, "wb").write(bytes(m))
PY
}

# e2e_latest USER FIELD: a field of the newest message in USER's INBOX
# (a header name, "body", or "count" for the number of messages).
e2e_latest()
{
	local dir="$WORK/box-$1-$RANDOM"
	mkdir -p "$dir"
	mailstack_save "$1" INBOX "$dir"
	"$PYTHON" - "$dir" "$2" <<'PY'
import email, email.policy, os, sys
d, field = sys.argv[1:3]
files = sorted(os.listdir(d), key=lambda f: int(f.split(".")[0]))
if not files:
    sys.exit(0)
m = email.message_from_bytes(open(os.path.join(d, files[-1]), "rb").read(),
    policy=email.policy.default)
if field == "body":
    print(m.get_content())
elif field == "count":
    print(len(files))
else:
    print(str(m[field] or "").strip())
PY
}

# e2e_inbox USER: every message in USER's INBOX as "Subject<TAB>body on one line".
e2e_inbox()
{
	rm -rf "$WORK/box.$1"
	mkdir -p "$WORK/box.$1"
	mailstack_save "$1" INBOX "$WORK/box.$1"
	"$PYTHON" - "$WORK/box.$1" <<'PY'
import email, email.policy, glob, sys
for p in sorted(glob.glob(sys.argv[1] + "/*.eml"), key=lambda s: int(s.rsplit("/", 1)[1][:-4])):
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    body = m.get_body(("plain",)).get_content().replace("\n", " ")
    print("%s\t%s" % (str(m["Subject"]), body))
PY
}

# e2e_has USER SUBJECT-PART BODY-PART: one inbox line contains both. Exim
# delivers in the background, so look again for up to 15 seconds.
e2e_has()
{
	local tries=0
	while [ $tries -lt 30 ]; do
		e2e_inbox "$1" | grep -F -- "$2" | grep -qF -- "$3" && return 0
		tries=$((tries + 1))
		sleep 0.5
	done
	return 1
}

# e2e_setup NAME: work dir, mail stack, configuration, database, members.
e2e_setup()
{
	WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
	chmod 0755 "$WORK"
	trap e2e_cleanup EXIT
	# A killed test (make's timeout, ^C) still stops its servers.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mailstack_start "$WORK/stack" || exit 99
	CONF="$WORK/memberdesk.conf"
	cat > "$CONF" <<CONF
chamber_name = "测试商会"
case_prefix = "MD"
timezone = "Asia/Shanghai"
language = "zh"
database = "$WORK/memberdesk.db"
template_dir = "$SRCDIR/templates"
calendar_dir = "$SRCDIR/contrib/calendar"
filter_dir = "$SRCDIR/filters"
poll_interval = 2
imap {
	host = "127.0.0.1"
	port = $MS_IMAP_PORT
	tls = "none"
	user = "chamber"
	password = "chamber-pw"
	processed_folder = "Processed"
	timeout = 10
}
smtp {
	host = "127.0.0.1"
	port = $MS_SMTP_PORT
	tls = "none"
	from = "chamber@chamber.test"
	from_name = "测试商会秘书处"
	timeout = 10
}
outbox {
	max_attempts = 5
	retry_max = 60
}
staff "staff1@chamber.test" {
	name = "王秘书"
}
staff "leader1@chamber.test" {
	name = "李会长"
	role = "leadership"
}
CONF
	export MEMBERDESK_CONF="$CONF"
	"$MEMBERDESK" init >/dev/null || { echo "memberdesk init failed"; exit 99; }
	cat > "$WORK/members.csv" <<'CSV'
kind,name,unit_name,addresses,phone
unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101
individual,李娜,,bob@members.test,
unit,王强,金桥贸易有限公司,carol@members.test;carol.wang@members.test,13800000003
CSV
	"$MEMBERDESK" member import "$WORK/members.csv" >/dev/null ||
	    { echo "member import failed"; exit 99; }
}

e2e_cleanup()
{
	mailstack_stop
	if [ "${FAILED:-0}" = 0 ] && [ -z "${MD_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK for inspection"
	fi
}

# e2e_sql QUERY: one value from the database.
e2e_sql()
{
	"$PYTHON" - "$WORK/memberdesk.db" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
rows = con.execute(sys.argv[2]).fetchall()
con.commit()
print("\n".join("|".join("" if v is None else str(v) for v in r) for r in rows))
PY
}

e2e_finish()
{
	echo "# $PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
