# Scenario 5: the SMTP server refuses some recipients for good (550). Those
# acknowledgements are marked failed and their cases record it; the others
# keep flowing. Whether the secretariat is told is checked and reported.

scenario_smtp_refusal()
{
	local n=60 refused failed events others alerts

	fx_log "scenario 5: permanent SMTP refusal"
	fx_sink_start "$WORK/refusal-sink.log" 0
	fx_env fxrefuse || return
	fx_gen "$D/mail" "$n" "${FX_SEED:-1}" --tag rf --replies 0 --reject-every 6 >/dev/null
	refused=$(grep -l '^From: reject' "$D/mail"/*.eml | wc -l)
	fx_append "$D/mail"
	fx_once "s5_refusal.sh"
	failed=$(fx_sql "SELECT count(*) FROM outbox WHERE status = 'failed' AND rcpt LIKE 'reject%'")
	others=$(fx_sql "SELECT count(*) FROM outbox WHERE status = 'sent' AND kind = 'ack'
	    AND rcpt NOT LIKE 'reject%'")
	events=$(fx_sql "SELECT count(DISTINCT e.case_id) FROM case_events e
	    JOIN cases c ON c.id = e.case_id
	    WHERE e.kind = 'notice-failed' AND c.requester_email LIKE 'reject%'")
	[ "$refused" -gt 0 ] && [ "$failed" = "$refused" ] &&
	    fx_ok "scenario 5: $failed refused acknowledgements marked failed" ||
	    fx_fail "scenario 5: refused acknowledgements marked failed" "$failed of $refused"
	[ "$events" = "$refused" ] && fx_ok "scenario 5: each of those cases records the failure" ||
	    fx_fail "scenario 5: each case records the failure" "$events of $refused"
	[ "$others" = $((n - refused)) ] && fx_ok "scenario 5: the other $others went out" ||
	    fx_fail "scenario 5: the other notices went out" "$others of $((n - refused))"
	alerts=$(fx_sql "SELECT count(*) FROM outbox WHERE rcpt = 'staff1@chamber.test'
	    AND (kind LIKE '%fail%' OR kind LIKE '%alert%' OR kind LIKE '%unreach%')")
	if [ "$alerts" -gt 0 ]; then
		fx_ok "scenario 5: the secretariat is told ($alerts notice(s))"
		alerts="secretariat told"
	else
		fx_log "scenario 5: NOT YET: no notice to the secretariat about failed notices"
		alerts="no secretariat alert yet"
	fi
	fx_check "$D/mail/manifest.json" --sink "$WORK/refusal-sink.log" --allow-failed
	fx_row "5 permanent SMTP refusal" 1 "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "$refused refused, failed+recorded; $alerts"
	fx_sink_stop
}
