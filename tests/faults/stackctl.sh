# stackctl.sh: stop and start the private Dovecot of mailstack.sh on its own,
# for tests of an IMAP server that goes away. Source after mailstack.sh and
# mailstack_start. The server is stopped by the process group of the PID
# started here (never by name) and started again from the same
# configuration, so ports, users and mail stay as they were.

# mailstack_stop_dovecot: stop Dovecot (its whole process group).
mailstack_stop_dovecot()
{
	ms_stop_group "$MS_DOVECOT_PID"
	MS_DOVECOT_PID=""
}

# mailstack_start_dovecot: start it again and wait for its IMAP and LMTP ports.
mailstack_start_dovecot()
{
	[ -z "$MS_DOVECOT_PID" ] || return 0
	setsid dovecot -F -c "$MS_DIR/dovecot/dovecot.conf" \
	    >>"$MS_DIR/dovecot/stdout.log" 2>&1 </dev/null &
	MS_DOVECOT_PID=$!
	ms_wait_ports "$MS_IMAP_PORT" "$MS_LMTP_PORT"
}

# mailstack_restart_dovecot [SECONDS]: stop, stay down SECONDS (default 0), start.
mailstack_restart_dovecot()
{
	mailstack_stop_dovecot
	sleep "${1:-0}"
	mailstack_start_dovecot
}

# mailstack_fast_dovecot: restart Dovecot without fsync. The fault tests
# kill the daemon, never the machine, so the server's own durability is not
# under test, and APPEND of a backlog gets several times faster.
mailstack_fast_dovecot()
{
	grep -q '^mail_fsync' "$MS_DIR/dovecot/dovecot.conf" ||
	    echo "mail_fsync = never" >> "$MS_DIR/dovecot/dovecot.conf"
	mailstack_restart_dovecot
}
