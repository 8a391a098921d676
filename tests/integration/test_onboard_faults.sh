#!/bin/bash
# resource-lock: ims-contract-18120
# win2cloud onboard when things go wrong, against the IMS/IAM/ECS contract server: ECS job FAIL, quota
# exceeded, flow limit in a 2xx body, the server ends in ERROR, the install never finishes (--timeout),
# token expiry mid-wait, IMS job FAIL, SIGKILL while waiting then a re-run (resumes, no second server),
# SIGINT while waiting (server deleted, exit 6).  After every case the cloud holds no server and no
# volume of ours; every failure names the call or job, the cloud's code and its message.
. "$(dirname "$0")/onboard_lib.sh"

state_step() { # name -> the step in its state file, "" when there is none
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" \
		"$T/state/.win2cloud-onboard-$1.json" 2>/dev/null
}

echo "--- 1. ECS create job FAIL: exit 5 with the code and reason; the ERROR server it left is deleted"
ctl '{"ecs_job_fail": {"error_code": "Ecs.0319", "fail_reason": "The flavor is sold out."}}'
run 5 "$T/o1" "${ONB[@]}" --name win-f1 --wait
grep -q "Ecs.0319" "$T/o1.err" && grep -q "sold out" "$T/o1.err" && grep -q "create server" "$T/o1.err" || fail "unclear job failure"
grep -q "deleted server" "$T/o1.err" || fail "the failed server was not reported deleted"
ctl '{"ecs_job_fail": null}'
assert_clean "ECS job FAIL"
[ -z "$(state_step win-f1)" ] || fail "state left after a run whose server was deleted"

echo "--- 2. quota exceeded: exit 5 naming the call, Ecs.0001 and the message"
ctl '{"server_quota": 0}'
run 5 "$T/o2" "${ONB[@]}" --name win-f2 --wait
grep -q "ECS POST .*/cloudservers: HTTP 400 Ecs.0001: The ECS quota is insufficient" "$T/o2.err" || { cat "$T/o2.err"; fail "unclear quota error"; }
ctl '{"server_quota": 10}'
assert_clean "quota"

echo "--- 3. flow limit reported inside a 2xx body (Common.0024): backed off, retried, done"
start=$(log_len)
ctl '{"ecs_flow_limit": 3}'
run 0 "$T/o3" "${ONB[@]}" --name win-f3 --wait
[ "$(py "sum(1 for e in L[$start:] if e['status']==202 and e['code'] is None and e['path'].startswith('/ecs/'))")" = 3 ] ||
	fail "expected 3 flow-limited answers"
assert_no_refusal_since "$start"
assert_clean "flow limit"

echo "--- 4. the server ends in ERROR during the install: exit 5, server deleted"
ctl '{"install_result": "ERROR"}'
run 5 "$T/o4" "${ONB[@]}" --name win-f4 --wait
grep -q "went to ERROR" "$T/o4.err" && grep -q "deleted server" "$T/o4.err" || fail "ERROR not handled"
ctl '{"install_result": "SHUTOFF"}'
assert_clean "server ERROR"

echo "--- 5. the install never powers off: --timeout 4s, exit 6, server deleted"
ctl '{"install_result": "never"}'
run 6 "$T/o5" "${ONB[@]}" --name win-f5 --wait --timeout 4s
grep -q "did not power server .* off within 4 s" "$T/o5.err" && grep -q "deleted server" "$T/o5.err" || fail "timeout"
ctl '{"install_result": "SHUTOFF"}'
assert_clean "install timeout"

echo "--- 6. token expiry mid-wait: 3 s tokens, a 7 s install; fresh tokens, done"
ntok0=$(py "sum(1 for e in L if e['path']=='/v3/auth/tokens' and e['status']==201)")
ctl '{"token_ttl": 3, "install_s": 7}'
run 0 "$T/o6" --json "${ONB[@]}" --name win-f6 --wait
ntok=$(py "sum(1 for e in L if e['path']=='/v3/auth/tokens' and e['status']==201)")
ctl '{"token_ttl": 86400, "install_s": 1.5}'
grep -q '"step": "done"' "$T/o6" || fail "not done"
echo "tokens during the run: $((ntok - ntok0))"
[ $((ntok - ntok0)) -ge 2 ] || fail "the token was not refreshed during the wait"
assert_clean "token expiry"

echo "--- 7. IMS job FAIL: exit 5 with the IMG code; server and the killed image deleted"
ctl '{"job_fail": {"error_code": "IMG.0110", "fail_reason": "The system disk is not usable."}}'
run 5 "$T/o7" "${ONB[@]}" --name win-f7 --wait
grep -q "IMS job .*image from volume.* failed: IMG.0110: The system disk is not usable" "$T/o7.err" || { cat "$T/o7.err"; fail "unclear IMS failure"; }
ctl '{"job_fail": null}'
[ "$(py "[i['status'] for i in I if i['name']=='win-f7']")" = "[]" ] || fail "the killed image was left"
assert_clean "IMS job FAIL"

echo "--- 8. SIGKILL while waiting for the install, then a re-run: it resumes; no second server"
ctl '{"install_s": 120}'
c0=$(creates)
"$W2C" "${ONB[@]}" --name win-f8 --wait >"$T/o8" 2>"$T/o8.err" &
BG_PID=$!
for _ in $(seq 100); do
	[ "$(state_step win-f8)" = installing ] && [ "$(py "[s['status'] for s in E['servers']]")" = "['ACTIVE']" ] && break
	sleep 0.2
done
[ "$(state_step win-f8)" = installing ] || fail "the run never reached the install wait"
kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null; BG_PID=
[ "$(py "len(E['servers'])")" = 1 ] || fail "the server should still be there after SIGKILL"
ctl '{"install_s": 0.5}'
run 0 "$T/o8b" --json "${ONB[@]}" --name win-f8 --wait
grep -q '"resumed": true' "$T/o8b" && grep -q '"step": "done"' "$T/o8b" || fail "the re-run did not resume"
[ "$(creates)" = $((c0 + 1)) ] || fail "the re-run created a second server"
assert_clean "SIGKILL + re-run"

echo "--- 9. SIGKILL right after the create call (job id saved, server not yet known), then a re-run"
ctl '{"install_s": 1.5, "ecs_job_init_s": 2.0}'
c0=$(creates)
"$W2C" "${ONB[@]}" --name win-f9 --wait >"$T/o9" 2>"$T/o9.err" &
BG_PID=$!
for _ in $(seq 100); do [ "$(creates)" = $((c0 + 1)) ] && break; sleep 0.1; done
kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null; BG_PID=
[ "$(state_step win-f9)" = creating ] || fail "state should say creating"
ctl '{"ecs_job_init_s": 0.2}'
run 0 "$T/o9b" --json "${ONB[@]}" --name win-f9 --wait
grep -q '"resumed": true' "$T/o9b" || fail "not resumed"
[ "$(creates)" = $((c0 + 1)) ] || fail "a second server was created"
assert_clean "SIGKILL during create"

echo "--- 10. SIGINT while waiting: the server is deleted, exit 6"
ctl '{"install_s": 120}'
"$W2C" "${ONB[@]}" --name win-f10 --wait >"$T/o10" 2>"$T/o10.err" &
BG_PID=$!
for _ in $(seq 100); do [ "$(state_step win-f10)" = installing ] && break; sleep 0.2; done
sleep 0.5
kill -INT "$BG_PID"; wait "$BG_PID"; rc=$?; BG_PID=
cat "$T/o10" "$T/o10.err" >>"$ALL"
[ "$rc" = 6 ] || { cat "$T/o10.err"; fail "exit $rc after SIGINT, expected 6"; }
grep -q "deleted server" "$T/o10.err" || fail "SIGINT: deletion not reported"
ctl '{"install_s": 1.5}'
assert_clean "SIGINT"

echo "--- 11. SIGINT with --keep-server: the server is stopped and kept; --cleanup removes it"
ctl '{"install_s": 120}'
"$W2C" "${ONB[@]}" --name win-f11 --wait --keep-server >"$T/o11" 2>"$T/o11.err" &
BG_PID=$!
for _ in $(seq 100); do [ "$(state_step win-f11)" = installing ] && break; sleep 0.2; done
sleep 0.5
kill -INT "$BG_PID"; wait "$BG_PID"; rc=$?; BG_PID=
[ "$rc" = 6 ] || fail "exit $rc, expected 6"
[ "$(py "[s['status'] for s in E['servers']]")" = "['SHUTOFF']" ] || fail "kept server not stopped"
run 0 "$T/o11c" onboard --cloud otc --cleanup --state-dir "$T/state" --poll-interval 0.3
grep -q "1 temporary server(s) found, 1 deleted" "$T/o11c" || fail "cleanup"
[ -z "$(state_step win-f11)" ] || fail "cleanup left the run's state file"
ctl '{"install_s": 1.5}'
assert_clean "keep-server + SIGINT + cleanup"

no_secret_anywhere
echo "PASS"
