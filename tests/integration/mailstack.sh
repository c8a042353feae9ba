# mailstack.sh: a private Dovecot (IMAP, IMAPS, LMTP) and Exim (SMTP) on
# loopback, for integration tests and the demo. Source it from bash:
#
#	. mailstack.sh
#	trap mailstack_stop EXIT
#	mailstack_start "$(mktemp -d)"
#	mailstack_send alice@members.test chamber@chamber.test msg.eml
#	mailstack_wait_count chamber INBOX 1 10
#
# Everything (configuration, spool, logs, mail) lives under the directory
# given to mailstack_start; nothing system-wide is touched, and the servers
# are stopped by the process groups of the PIDs started here, never by name.
#
# Exported after mailstack_start: MS_DIR, MS_IMAP_PORT, MS_IMAPS_PORT,
# MS_SMTP_PORT, MS_LMTP_PORT, MS_CA_FILE, MS_DOMAINS, MS_TLS_HOST.
# Users (password = NAME-pw): chamber staff1 staff2 leader1 alice bob carol,
# plus any added with mailstack_add_user; every user receives mail at
# NAME@chamber.test and NAME@members.test, and NAME+tag@ goes to NAME.
#
# Dovecot delays logins from an address after a failed one (up to 15 s):
# tests of wrong passwords belong at the end of a test script.
#
# Without dovecot or exim4 installed, mailstack_start exits 77 (SKIP) unless
# MD_REQUIRE_INTEGRATION=1, when it exits 99 (hard failure).

MS_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MS_DOMAINS="chamber.test members.test"
MS_TLS_HOST="mail.chamber.test"
MS_DEFAULT_USERS="chamber staff1 staff2 leader1 alice bob carol"
# The system interpreter: version-manager shims can take seconds to start.
if [ -z "${MS_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		MS_PYTHON=/usr/bin/python3
	else
		MS_PYTHON=python3
	fi
fi
MS_DOVECOT_PID=""
MS_EXIM_PID=""

ms_log()
{
	printf 'mailstack: %s\n' "$*" >&2
}

ms_skip_or_fail()
{
	if [ "${MD_REQUIRE_INTEGRATION:-0}" = 1 ]; then
		ms_log "FATAL: $* (MD_REQUIRE_INTEGRATION=1)"
		exit 99
	fi
	ms_log "SKIP: $*"
	exit 77
}

# Print N free TCP ports on 127.0.0.1, holding all sockets open until every
# one is chosen so the same port is never handed out twice.
ms_free_ports()
{
	"$MS_PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# mailstack_add_user NAME PASSWORD: may be called before or after start.
mailstack_add_user()
{
	local name="$1" pw="$2"

	case "$name" in
	*[!a-z0-9._-]*|"") ms_log "bad user name: $name"; return 1 ;;
	esac
	mkdir -p "$MS_DIR/home/$name"
	chown "$MS_MAIL_UID:$MS_MAIL_GID" "$MS_DIR/home/$name"
	printf '%s:{PLAIN}%s\n' "$name" "$pw" >> "$MS_DIR/dovecot/users"
	# Dovecot re-reads the users file when its mtime changes, compared in
	# whole seconds: a user added in the second of its last read would stay
	# unknown. Move the mtime strictly forward on every addition.
	local cur now
	cur=$(stat -c %Y "$MS_DIR/dovecot/users")
	now=$(date +%s)
	[ "$cur" -lt "$now" ] && cur=$now
	touch -d "@$((cur + 1))" "$MS_DIR/dovecot/users"
}

ms_make_certs()
{
	local c="$MS_DIR/certs"

	mkdir -p "$c"
	certtool --generate-privkey --key-type=ecdsa --outfile "$c/ca.key" \
	    >/dev/null 2>&1 || return 1
	certtool --generate-self-signed --load-privkey "$c/ca.key" \
	    --template "$MS_HERE/certs/ca.tmpl" --outfile "$c/ca.pem" \
	    >/dev/null 2>&1 || return 1
	certtool --generate-privkey --key-type=ecdsa --outfile "$c/server.key" \
	    >/dev/null 2>&1 || return 1
	certtool --generate-certificate --load-privkey "$c/server.key" \
	    --load-ca-certificate "$c/ca.pem" --load-ca-privkey "$c/ca.key" \
	    --template "$MS_HERE/certs/server.tmpl" --outfile "$c/server.pem" \
	    >/dev/null 2>&1 || return 1
	# The login process (dovenull) never reads the key: the master does.
	chmod 0644 "$c/ca.pem" "$c/server.pem"
	chmod 0600 "$c/ca.key" "$c/server.key"
	MS_CA_FILE="$c/ca.pem"
}

ms_write_dovecot_conf()
{
	local d="$MS_DIR/dovecot"

	cat > "$d/dovecot.conf" <<EOF
# Private test instance; see tests/integration/mailstack.sh.
instance_name = mailstack-$$
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$MS_DIR/certs/server.pem
ssl_key = <$MS_DIR/certs/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
auth_failure_delay = 0
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_max_userip_connections = 200
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $d/users
}
userdb {
  driver = static
  args = uid=$MS_MAIL_UID gid=$MS_MAIL_GID home=$MS_DIR/home/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $MS_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $MS_IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $MS_LMTP_PORT
  }
}
service imap {
  process_limit = 256
}
protocol imap {
  mail_max_userip_connections = 200
}
EOF
}

ms_write_exim_conf()
{
	local e="$MS_DIR/exim" domains

	domains="$(printf '%s' "$MS_DOMAINS" | sed 's/ / : /g')"
	cat > "$e/exim.conf" <<EOF
# Private test instance; see tests/integration/mailstack.sh.
primary_hostname = mailstack.test
qualify_domain = chamber.test
domainlist local_domains = $domains
daemon_smtp_ports = $MS_SMTP_PORT
local_interfaces = 127.0.0.1
spool_directory = $e/spool
log_file_path = $e/log/%slog
pid_file_path = $e/exim.pid
exim_user = Debian-exim
exim_group = Debian-exim
trusted_users = root
keep_environment =
# No DNS or ident lookups anywhere: the test network is loopback only.
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
tls_advertise_hosts =
smtp_accept_queue_per_connection = 0
smtp_accept_max = 200
smtp_accept_max_per_host = 200
smtp_accept_max_per_connection = 100000
queue_run_max = 10
remote_max_parallel = 10
message_size_limit = 64M
received_header_text = Received: from \$sender_rcvhost by \$primary_hostname with \$received_protocol id \$message_exim_id
acl_smtp_rcpt = acl_check_rcpt
ignore_bounce_errors_after = 0s
timeout_frozen_after = 1h

begin acl

acl_check_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted

begin routers

to_dovecot:
  driver = accept
  domains = +local_domains
  local_part_suffix = +*
  local_part_suffix_optional
  transport = dovecot_lmtp

begin transports

dovecot_lmtp:
  driver = smtp
  protocol = lmtp
  hosts = 127.0.0.1
  port = $MS_LMTP_PORT
  hosts_override
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_fastopen =

begin retry

* * F,1h,2s

begin rewrite
EOF
}

# Wait until every given port on 127.0.0.1 accepts a connection.
ms_wait_ports()
{
	"$MS_PYTHON" - "$@" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 15
for port in sys.argv[1:]:
    while True:
        try:
            socket.create_connection(("127.0.0.1", int(port)), 0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("port %s does not answer" % port)
            time.sleep(0.02)
EOF
}

# mailstack_start DIR: DIR (created when missing) should be empty.
mailstack_start()
{
	local u ports

	mkdir -p "$1" && MS_DIR="$(cd "$1" && pwd)" || {
		ms_log "cannot use directory $1"
		return 1
	}
	# tests/run.sh's distcheck pass has already run these against the same tree.
	if [ "${MD_SKIP_INTEGRATION:-0}" = 1 ]; then
		ms_log "SKIP: integration tests not wanted here (MD_SKIP_INTEGRATION=1)"
		exit 77
	fi
	for u in dovecot exim4 certtool setsid "$MS_PYTHON"; do
		command -v "$u" >/dev/null 2>&1 || ms_skip_or_fail "$u is not installed"
	done
	[ -x /usr/lib/dovecot/lmtp ] || ms_skip_or_fail "dovecot-lmtpd is not installed"
	if [ "$(id -u)" != 0 ]; then
		ms_skip_or_fail "the mail stack needs root (Dovecot switches users)"
	fi
	MS_MAIL_UID="$(id -u mail)" && MS_MAIL_GID="$(id -g mail)" ||
	    ms_skip_or_fail "no 'mail' user"

	# mktemp -d makes 0700; the mail uid, Exim's user and Dovecot's auth
	# process must reach the files below it, so every ancestor needs o+x.
	chmod 0755 "$MS_DIR"
	u="$(dirname "$MS_DIR")"
	while [ "$u" != / ]; do
		if [ -z "$(find "$u" -maxdepth 0 -perm -o+x)" ]; then
			ms_log "$u is not searchable by other users (chmod o+x it)"
			return 1
		fi
		u="$(dirname "$u")"
	done
	mkdir -p "$MS_DIR/dovecot/run" "$MS_DIR/dovecot/state" "$MS_DIR/home" \
	    "$MS_DIR/exim/spool" "$MS_DIR/exim/log"
	chown -R Debian-exim:Debian-exim "$MS_DIR/exim"
	: > "$MS_DIR/dovecot/users"
	chmod 0644 "$MS_DIR/dovecot/users"
	for u in $MS_DEFAULT_USERS; do
		mailstack_add_user "$u" "$u-pw" || return 1
	done

	ms_make_certs || { ms_log "certtool failed"; return 1; }
	ports="$(ms_free_ports 4)" || return 1
	read -r MS_IMAP_PORT MS_IMAPS_PORT MS_LMTP_PORT MS_SMTP_PORT <<EOF
$ports
EOF
	ms_write_dovecot_conf
	ms_write_exim_conf

	setsid dovecot -F -c "$MS_DIR/dovecot/dovecot.conf" \
	    >>"$MS_DIR/dovecot/stdout.log" 2>&1 </dev/null &
	MS_DOVECOT_PID=$!
	setsid exim4 -C "$MS_DIR/exim/exim.conf" -bdf -q5s \
	    >>"$MS_DIR/exim/stdout.log" 2>&1 </dev/null &
	MS_EXIM_PID=$!

	if ! ms_wait_ports "$MS_IMAP_PORT" "$MS_IMAPS_PORT" "$MS_LMTP_PORT" \
	    "$MS_SMTP_PORT"; then
		ms_log "servers did not start; logs follow"
		tail -n 20 "$MS_DIR/dovecot/dovecot.log" "$MS_DIR/dovecot/stdout.log" \
		    "$MS_DIR/exim/stdout.log" "$MS_DIR/exim/log/"* >&2 2>/dev/null
		mailstack_stop
		return 1
	fi
	export MS_DIR MS_IMAP_PORT MS_IMAPS_PORT MS_SMTP_PORT MS_LMTP_PORT \
	    MS_CA_FILE MS_DOMAINS MS_TLS_HOST
	ms_log "up in $MS_DIR: imap $MS_IMAP_PORT imaps $MS_IMAPS_PORT smtp $MS_SMTP_PORT lmtp $MS_LMTP_PORT"
}

ms_stop_group()
{
	local pid="$1" i

	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	# Dovecot's master leaves imap processes that still have clients.
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# mailstack_stop: safe to call twice and from an EXIT trap.
mailstack_stop()
{
	ms_stop_group "$MS_EXIM_PID"
	MS_EXIM_PID=""
	ms_stop_group "$MS_DOVECOT_PID"
	MS_DOVECOT_PID=""
}

# mailstack_send FROM TO FILE: submit FILE (raw message) over SMTP.
mailstack_send()
{
	"$MS_PYTHON" - "$MS_SMTP_PORT" "$1" "$2" "$3" <<'EOF'
import smtplib, sys
port, sender, rcpt, path = sys.argv[1:5]
with open(path, "rb") as f:
    data = f.read()
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as s:
    s.sendmail(sender, [rcpt], data)
EOF
}

# mailstack_wait_count USER MAILBOX N TIMEOUT: wait until MAILBOX holds
# exactly N messages; prints the count reached and fails on timeout.
mailstack_wait_count()
{
	"$MS_PYTHON" - "$MS_IMAP_PORT" "$1" "$2" "$3" "$4" <<'EOF'
import imaplib, sys, time
port, user, box, want, timeout = sys.argv[1:6]
want = int(want)
deadline = time.monotonic() + float(timeout)
n = -1
while True:
    try:
        m = imaplib.IMAP4("127.0.0.1", int(port))
        m.login(user, user + "-pw")
        typ, data = m.select('"%s"' % box, readonly=True)
        n = int(data[0]) if typ == "OK" else -1
        m.logout()
    except (OSError, imaplib.IMAP4.error):
        n = -1
    if n == want:
        print(n)
        sys.exit(0)
    if time.monotonic() > deadline:
        print(n)
        sys.exit("%s/%s: %d messages after %ss, wanted %d" % (user, box, n, timeout, want))
    time.sleep(0.05)
EOF
}

# mailstack_fetch USER MAILBOX: print every message, each preceded by a
# line "=== UID n SIZE s" and followed by a newline.
mailstack_fetch()
{
	"$MS_PYTHON" - "$MS_IMAP_PORT" "$1" "$2" <<'EOF'
import imaplib, sys
port, user, box = sys.argv[1:4]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, user + "-pw")
typ, data = m.select('"%s"' % box, readonly=True)
if typ != "OK":
    sys.exit("cannot select %s" % box)
typ, data = m.uid("SEARCH", None, "ALL")
out = sys.stdout.buffer
for uid in data[0].split():
    typ, msg = m.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = msg[0][1]
    out.write(b"=== UID %s SIZE %d\n" % (uid, len(raw)))
    out.write(raw)
    out.write(b"\n")
m.logout()
EOF
}

# mailstack_save USER MAILBOX DIR: write each message to DIR/UID.eml as the
# server holds it, without setting \Seen.
mailstack_save()
{
	"$MS_PYTHON" - "$MS_IMAP_PORT" "$1" "$2" "$3" <<'EOF'
import imaplib, os, sys
port, user, box, out = sys.argv[1:5]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, user + "-pw")
typ, data = m.select('"%s"' % box, readonly=True)
if typ != "OK":
    sys.exit("cannot select %s" % box)
typ, data = m.uid("SEARCH", None, "ALL")
for uid in data[0].split():
    typ, msg = m.uid("FETCH", uid, "(BODY.PEEK[])")
    with open(os.path.join(out, uid.decode() + ".eml"), "wb") as f:
        f.write(msg[0][1])
m.logout()
EOF
}

# mailstack_flags USER MAILBOX: print "UID FLAGS" lines (for assertions).
mailstack_flags()
{
	"$MS_PYTHON" - "$MS_IMAP_PORT" "$1" "$2" <<'EOF'
import imaplib, sys
port, user, box = sys.argv[1:4]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, user + "-pw")
m.select('"%s"' % box, readonly=True)
typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
for item in data:
    if item:
        print(item.decode())
m.logout()
EOF
}
