# Scenario 3: the mailbox is deleted and created again (a new UIDVALIDITY)
# and the same messages are appended once more, with some new ones: none
# is taken twice (Message-ID and content hash), the change is logged.

scenario_uidvalidity()
{
	local n=60 again=60 fresh=20 v1 v2

	fx_log "scenario 3: UIDVALIDITY change"
	# INBOX cannot be deleted: the chamber's mailbox here is another folder.
	FX_BOX=Requests
	fx_env fxuidv || { FX_BOX=INBOX; return; }
	fx_gen "$D/mail" $((n + fresh)) "${FX_SEED:-1}" --tag uv --replies 0 >/dev/null
	fx_append "$D/mail" 0 "$n"
	fx_once "s3_uidvalidity.sh"
	v1=$(fx_sql "SELECT uidvalidity FROM mailbox_state")
	"$PYTHON" "$FXLIB" recreate --port "$MS_IMAP_PORT" --user "$USER_BOX" --box "$FX_BOX"
	fx_append "$D/mail" 0 "$n"
	fx_append "$D/mail" "$n" $((n + fresh))
	fx_once "s3_uidvalidity.sh"
	v2=$(fx_sql "SELECT uidvalidity FROM mailbox_state")
	[ -n "$v1" ] && [ "$v1" != "$v2" ] && fx_ok "scenario 3: UIDVALIDITY $v1 -> $v2" ||
	    fx_fail "scenario 3: the mailbox got a new UIDVALIDITY" "$v1 -> $v2"
	grep -qi 'uidvalidity' "$D/daemon.log" && fx_ok "scenario 3: the change is logged" ||
	    fx_fail "scenario 3: the change is logged" "$(grep -i warn "$D/daemon.log" | head -3)"
	fx_check "$D/mail/manifest.json" --preseeded-msgs "$again"
	fx_row "3 UIDVALIDITY change" 2 $((FX_MSGS + again)) "$FX_LOST" "$FX_DUP" \
	    "$again appended twice"
	FX_BOX=INBOX
}
