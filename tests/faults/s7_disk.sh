# Scenario 7: the database's file system fills up, then becomes read-only.
# The daemon stops taking mail (nothing is marked processed that is not
# recorded), says why in its log, and resumes once space or write access
# is back; nothing is lost. The database lives on a small tmpfs mounted for
# this test and unmounted whatever happens (fx_cleanup).

scenario_disk()
{
	local mnt="$WORK/dbfs" n=40 i pending live_ro=no took

	fx_log "scenario 7: database on a full, then read-only file system"
	mkdir -p "$mnt"
	if ! mount -t tmpfs -o size=32m,mode=0755 tmpfs "$mnt" 2>"$WORK/mount.err"; then
		fx_log "scenario 7: SKIPPED: cannot mount a tmpfs here: $(cat "$WORK/mount.err")"
		fx_row "7 disk full / read-only" 0 0 0 0 "not run: mount impossible"
		return
	fi
	FX_MOUNTS="$FX_MOUNTS $mnt"
	fx_sink_start "$WORK/disk-sink.log" 0
	fx_env fxdisk "$mnt" || return
	fx_gen "$D/mail" $((3 * n)) "${FX_SEED:-1}" --tag dk --replies 0 >/dev/null
	fx_append "$D/mail" 0 "$n"
	fx_daemon_start "$D/daemon.log"
	fx_wait_count Processed "$n" 30 || fx_fail "scenario 7: take-in before the disk fills"

	# Full: fill every block, then deliver.
	dd if=/dev/zero of="$mnt/filler" bs=16k 2>/dev/null
	: > "$D/mark"
	fx_append "$D/mail" "$n" $((2 * n))
	sleep 6
	pending=$(fx_count INBOX)
	fx_check "$D/mail/manifest.json" --partial > "$D/partial.full" 2>&1 ||
	    fx_fail "scenario 7: disk full: what is marked is recorded" "$(cat "$D/partial.full")"
	[ "$pending" -gt 0 ] && fx_ok "scenario 7: disk full: the daemon stops taking mail ($pending wait)" ||
	    fx_fail "scenario 7: disk full: the daemon stops taking mail"
	grep -qi 'full' "$D/daemon.log" && fx_ok "scenario 7: disk full: the log says why" ||
	    fx_fail "scenario 7: disk full: the log says why" "$(tail -3 "$D/daemon.log")"
	rm -f "$mnt/filler"
	if fx_wait_count INBOX 0 30; then
		fx_ok "scenario 7: resumes once space is back"
	else
		fx_fail "scenario 7: resumes once space is back" "$(tail -3 "$D/daemon.log")"
	fi

	# Read-only: live when the kernel allows it with the database open,
	# else with the daemon restarted on the read-only file system.
	if mount -o remount,ro "$mnt" 2>/dev/null; then
		live_ro=yes
	else
		fx_daemon_term >/dev/null
		mount -o remount,ro "$mnt" || fx_fail "scenario 7: remount read-only"
		fx_daemon_start "$D/daemon.log"
	fi
	fx_append "$D/mail" $((2 * n)) $((3 * n))
	sleep 5
	pending=$(fx_count INBOX)
	[ "$pending" -gt 0 ] && fx_ok "scenario 7: read-only: the daemon stops taking mail ($pending wait)" ||
	    fx_fail "scenario 7: read-only: the daemon stops taking mail"
	grep -qi 'read-only\|readonly' "$D/daemon.log" && fx_ok "scenario 7: read-only: the log says why" ||
	    fx_fail "scenario 7: read-only: the log says why" "$(tail -3 "$D/daemon.log")"
	fx_check "$D/mail/manifest.json" --partial > "$D/partial.ro" 2>&1 ||
	    fx_fail "scenario 7: read-only: what is marked is recorded" "$(cat "$D/partial.ro")"
	mount -o remount,rw "$mnt"
	if [ -z "$FX_DPID" ] || ! kill -0 "$FX_DPID" 2>/dev/null; then
		fx_log "scenario 7: the daemon exited on the read-only database; started again"
		wait "$FX_DPID" 2>/dev/null
		fx_daemon_start "$D/daemon.log"
	fi
	fx_wait_count INBOX 0 30 && fx_ok "scenario 7: resumes once writable" ||
	    fx_fail "scenario 7: resumes once writable" "$(tail -3 "$D/daemon.log")"
	fx_daemon_term >/dev/null
	fx_once "s7_disk.sh"
	fx_check "$D/mail/manifest.json" --sink "$WORK/disk-sink.log"
	fx_row "7 disk full / read-only" 2 "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "tmpfs 32 MiB; read-only $( [ "$live_ro" = yes ] && echo live || echo at restart)"
	fx_sink_stop
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
}
