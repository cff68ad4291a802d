#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of the etcd lab (test/lab/etcd.sh): a three-member etcd cluster
# on three lab hosts (h1, h2, w), keys put and read from each host, the
# leader found, a follower killed (two still answer), the leader killed (a
# new one elected, timed; then stopped with SIGTERM: handed over), quorum lost (what a client sees), every member
# stopped (connection errors), restarted on the same data, each fake member
# mode, and the cost of the gateway calls a lease holder makes. Prints the
# figures at the end. Nothing here runs vigild: the path is taken like the
# other scenarios' (bash etcd_lab_selftest.sh [PATH/TO/vigild]) and unused.
# Exit 0 pass, 1 fail, 77 skip (not root, outside CI; under CI=true a
# missing prerequisite fails).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lab/lab.sh"
. "$here/../lab/etcd.sh"

lab_require ss base64
etcd_require

passed=0
failed=0
declare -A FIG=()
say() { printf 'etcd_lab_selftest: %s\n' "$*"; }
ok() { passed=$((passed + 1)); say "ok   - $*"; }
bad() { failed=$((failed + 1)); say "FAIL - $*"; }
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}
since_ms() { printf '%s' $(( ($(_lab_now_us) - $1) / 1000 )); }
b64() { printf '%s' "$1" | base64 -w0; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

root_links() { ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' '; }
ROOT_LINKS_BEFORE=$(root_links)

# member_has HOST KEY VALUE: HOST's own member answers a linearizable
# range for KEY with VALUE (not another endpoint).
member_has() {
	local out
	out=$(etcd_gw "$1" call "$(etcd_url "$1")" /v3/kv/range "{\"key\":\"$(b64 "$2")\"}") &&
		[[ $out == *"\"value\": \"$(b64 "$3")\""* ]]
}
# member_health HOST STATE: HOST's member's /health, one round, is STATE.
member_health() { [[ " $(etcd_health) " == *" $1=$2 "* ]]; }
# followers: the member hosts other than the leader, space-separated.
followers() {
	local h l out=()
	l=$(etcd_leader) || return 1
	for h in "${ETCD_HOSTS[@]}"; do [ "$h" = "$l" ] || out+=("$h"); done
	printf '%s\n' "${out[*]}"
}

# --- 1. the cluster comes up ------------------------------------------------
t_up() {
	local h log listen
	if ! lab_init || ! lab_add_host h1 || ! lab_add_host h2 || ! lab_add_host w; then
		bad "up: cannot build the lab"; return 1
	fi
	if ! etcd_cluster_up h1 h2 w; then
		bad "up: the cluster did not come up"; return 1
	fi
	FIG[first_leader]=$ETCD_FIRST_LEADER_MS
	FIG[healthy]=$ETCD_HEALTHY_MS
	ok "up: 3 members, a leader after $ETCD_FIRST_LEADER_MS ms, all healthy after $ETCD_HEALTHY_MS ms"
	check "up: endpoints are the lab addresses ($(etcd_endpoints))" \
		test "$(etcd_endpoints)" = "http://198.18.0.11:2379,http://198.18.0.12:2379,http://198.18.0.13:2379"
	for h in h1 h2 w; do
		listen=$(lab_exec "$h" ss -Htln | awk '{print $4}' | sort | tr '\n' ' ')
		check "up: $h's member listens on its lab address only ($listen)" \
			test "$listen" = "$(lab_addr "$h"):2379 $(lab_addr "$h"):2380 "
		log=$LAB_DIR/etcd-$h/etcd.log
		check "up: $h runs with heartbeat ${LAB_ETCD_HEARTBEAT_MS} ms, election ${LAB_ETCD_ELECTION_MS} ms, the lab's token, data dir 0700 under the lab dir" \
			eval 'grep -q "\"heartbeat-interval\":\"${LAB_ETCD_HEARTBEAT_MS}ms\"" "$log" &&
				grep -q "\"initial-cluster-token\":\"$_ETCD_TOKEN\"" "$log" &&
				grep -q "\"data-dir\":\"$LAB_DIR/etcd-$h/data\"" "$log" &&
				test "$(stat -c %a "$LAB_DIR/etcd-$h/data")" = 700'
	done
	check "up: root namespace links unchanged" test "$(root_links)" = "$ROOT_LINKS_BEFORE"
}

# --- 2. put and get from each host; leases ---------------------------------
t_kv() {
	local h g rev bad_gets='' lid out
	for h in h1 h2 w; do
		rev=$(etcd_put "/vigil-lab/from-$h" "value-$h" "$h")
		[[ $rev =~ ^[0-9]+$ ]] || { bad "kv: put from $h: '$rev'"; continue; }
		for g in h1 h2 w; do
			[ "$(etcd_get "/vigil-lab/from-$h" "$g")" = "value-$h" ] || bad_gets+=" $h->$g"
		done
	done
	check "kv: a key put from each host (its own member) reads back from every host (their own members)${bad_gets:+; wrong:$bad_gets}" \
		test -z "$bad_gets"
	check "kv: etcdctl (API 3) reads what the gateway wrote" \
		test "$(etcdctl_lab w get --print-value-only /vigil-lab/from-h1 2>/dev/null)" = value-h1
	etcd_get /vigil-lab/absent h2 >/dev/null
	check "kv: an absent key: etcd_get returns 1" test $? -eq 1
	lid=$(etcd_lease_grant 120 h2)
	if ! [[ $lid =~ ^[0-9]+$ ]]; then bad "kv: lease grant: '$lid'"; return 1; fi
	etcd_put_leased /vigil-lab/leased held "$lid" h2 >/dev/null
	check "kv: etcd_key_lease finds lease $lid on a key put under it, from h1 and w" \
		test "$(etcd_key_lease /vigil-lab/leased h1)/$(etcd_key_lease /vigil-lab/leased w)" = "$lid/$lid"
	check "kv: etcd_key_lease of a key without a lease is 0" \
		test "$(etcd_key_lease /vigil-lab/from-h1 w)" = 0
	out=$(etcd_gw h1 call "$(etcd_url h1)" /v3/kv/range "{\"key\":\"$(b64 /vigil-lab/leased)\"}")
	check "kv: the gateway's JSON carries int64 as strings (\"lease\": \"$lid\", revisions too)" \
		eval '[[ $out == *"\"lease\": \"$lid\""* && $out == *"\"mod_revision\": \""* ]]'
	out=$(etcd_gw h1 call "$(etcd_url h1)" /v3beta/kv/range "{\"key\":\"$(b64 /vigil-lab/leased)\"}")
	check "kv: /v3beta/ paths answer too (etcd 3.4)" eval '[[ $out == *"\"lease\": \"$lid\""* ]]'
	out=$(etcd_gw h1 call "$(etcd_url h1)" /v3/lease/keepalive "{\"ID\":\"123\"}")
	check "kv: keepalive of an unknown lease: 200 without TTL, not an error ($out)" \
		eval '[[ $out == *"\"result\""* && $out != *TTL* ]]'
}

# --- 3. the leader --------------------------------------------------------
t_leader() {
	local h l seen=() st
	for h in h1 h2 w; do seen+=("$(etcd_leader "$h")"); done
	l=${seen[0]}
	check "leader: h1, h2 and w agree: $l (${seen[*]})" \
		test "${seen[*]}" = "$l $l $l" -a -n "$l"
	st=$(etcdctl_lab h1 endpoint status -w simple 2>/dev/null | awk -F', ' '$5 == "true" {print $1}')
	check "leader: etcdctl endpoint status names the same member ($st)" test "$st" = "$(etcd_url "$l")"
}

# --- 4. a follower killed: two members still answer ------------------------
t_follower_kill() {
	local f ms t
	read -r f _ <<<"$(followers)"
	etcd_member_kill "$f"
	check "follower: kill -9 of $f's member: $f refused, the other two healthy ($(etcd_health))" \
		member_health "$f" refused
	check "follower: two members healthy" etcd_wait_healthy 2 3000 >/dev/null
	check "follower: a put from $f (its member down: the next endpoint) succeeds" \
		eval 'etcd_put /vigil-lab/while-down yes "$f" >/dev/null'
	check "follower: the others read it" \
		eval '[ "$(etcd_get /vigil-lab/while-down "${ETCD_HOSTS[0]}")" = yes ]'
	t=$(_lab_now_us)
	etcd_member_start "$f" || { bad "follower: $f did not start again"; return 1; }
	if ms=$(LAB_ETCD_T0_US=$t etcd_wait_healthy 3 15000); then
		FIG[rejoin]=$ms
		ok "follower: $f restarted on its data dir: 3 healthy after $ms ms"
	else
		bad "follower: not 3 healthy after $ms ms ($(etcd_health))"
	fi
	check "follower: $f's own member has the key written while it was down" \
		member_has "$f" /vigil-lab/while-down yes
}

# --- 5. the leader killed: a new one, timed (three rounds) -----------------
t_leader_kill() {
	local i l t out ms new lms lnew times=() ltimes=()
	for i in 1 2 3; do
		l=$(etcd_leader) || { bad "leader kill: no leader before round $i"; return 1; }
		t=$(_lab_now_us)
		etcd_member_kill "$l"
		if out=$(LAB_ETCD_T0_US=$t etcd_wait_leader 10000 "$l"); then
			read -r ms new <<<"$out"
			read -r lms lnew <<<"$(etcd_became_leader_ms "$t")"
			times+=("$ms")
			ltimes+=("${lms:-?}")
			ok "leader kill $i: kill -9 of the leader $l -> $new leads after $ms ms (its log: became leader after ${lms:-?} ms)"
			check "leader kill $i: the log names the same new leader (${lnew:-none})" test "${lnew:-}" = "$new"
			# Followers campaign after a random 1..2 x election timeout;
			# a split vote costs one more round.
			check_bound "leader kill $i: re-election within 3 x election timeout + 2 s" \
				"$ms" $((3 * LAB_ETCD_ELECTION_MS + 2000))
		else
			bad "leader kill $i: no new leader 10 s after kill -9 of $l ($out; $(etcd_health))"
			return 1
		fi
		check "leader kill $i: a put from $l's host succeeds with two members" \
			eval 'etcd_put /vigil-lab/after-kill-$i yes "$l" >/dev/null'
		etcd_member_start "$l" || { bad "leader kill $i: $l did not start again"; return 1; }
		etcd_wait_healthy 3 15000 >/dev/null || { bad "leader kill $i: not 3 healthy again"; return 1; }
	done
	FIG[reelect]="${times[*]} ms (median $(median "${times[@]}")), seen by a poller; in the logs ${ltimes[*]} ms"
	# SIGTERM: etcd hands leadership over before it exits.
	l=$(etcd_leader) || { bad "leader stop: no leader"; return 1; }
	t=$(_lab_now_us)
	lab_kill "$(etcd_member_pid "$l")" TERM
	if out=$(LAB_ETCD_T0_US=$t etcd_wait_leader 10000 "$l"); then
		read -r ms new <<<"$out"
		read -r lms lnew <<<"$(etcd_became_leader_ms "$t")"
		FIG[handover]="$ms ms seen by a poller (its first poll ~150 ms after the signal); in the logs ${lms:-?} ms"
		ok "leader stop: SIGTERM of the leader $l -> $new leads after $ms ms, ${lms:-?} ms in its log (leadership handed over)"
		check_bound "leader stop: faster than an election" "$ms" "$LAB_ETCD_ELECTION_MS"
	else
		bad "leader stop: no new leader 10 s after SIGTERM of $l ($out)"
	fi
	etcd_member_stop "$l" || bad "leader stop: $l did not exit"
	etcd_member_start "$l" && etcd_wait_healthy 3 15000 >/dev/null ||
		{ bad "leader stop: $l not back, or not 3 healthy"; return 1; }
}
check_bound() { check "$1 ($2 ms, limit $3 ms)" test "$2" -le "$3"; }

# --- 6. quorum lost, then every member stopped -----------------------------
t_stop_all() {
	local l f fs lid t out put_out ka_out put_ms ka_ms h pp pk ms refused=
	l=$(etcd_leader) || { bad "stop: no leader"; return 1; }
	fs=$(followers)
	lid=$(etcd_lease_grant 120 "$l")
	for f in $fs; do
		t=$(_lab_now_us)
		if etcd_member_stop "$f"; then
			ok "stop: SIGTERM stopped the follower $f in $(since_ms "$t") ms"
		else
			bad "stop: $f's member did not stop on SIGTERM"
		fi
	done
	if ms=$(lab_wait_for 5000 member_health "$l" false); then
		ok "quorum lost: $l's /health answers 503 {\"health\":\"false\"} (${ms} ms)"
	else
		bad "quorum lost: $l's /health is not false ($(etcd_health))"
	fi
	# A write and a keepalive on the member without quorum, at once.
	t=$(_lab_now_us)
	etcd_gw h1 call --timeout-ms 15000 "$(etcd_url "$l")" /v3/kv/put \
		"{\"key\":\"$(b64 /vigil-lab/no-quorum)\",\"value\":\"$(b64 x)\"}" >"$LAB_DIR/nq-put.out" &
	pp=$!
	etcd_gw h2 call --timeout-ms 15000 "$(etcd_url "$l")" /v3/lease/keepalive "{\"ID\":\"$lid\"}" \
		>"$LAB_DIR/nq-ka.out" &
	pk=$!
	out=$(etcd_gw w call --timeout-ms 2000 "$(etcd_url "$l")" /v3/kv/range \
		"{\"key\":\"$(b64 /vigil-lab/from-h1)\",\"serializable\":true}")
	check "quorum lost: a serializable range is still served (stale reads)" \
		eval '[[ $out == *"\"value\": \"$(b64 value-h1)\""* ]]'
	# Bounded: each call has a 15 s client time-out.
	lab_wait_for 20000 lab_pid_gone "$pp" >/dev/null; wait "$pp" 2>/dev/null
	put_ms=$(since_ms "$t")
	lab_wait_for 20000 lab_pid_gone "$pk" >/dev/null; wait "$pk" 2>/dev/null
	ka_ms=$(since_ms "$t")
	put_out=$(cat "$LAB_DIR/nq-put.out"); ka_out=$(cat "$LAB_DIR/nq-ka.out")
	FIG[nq_put]="$put_ms ms: $put_out"
	FIG[nq_ka]="$ka_ms ms: $ka_out"
	# etcd's request time-out is 5 s + 2 x election timeout. What the
	# gateway says then varies from run to run: 503 code 14 "etcdserver:
	# request timed out", or 500 code 2 "context deadline exceeded".
	check "quorum lost: a put fails with a gateway 5xx error only after etcd's request time-out (${put_ms} ms: $put_out)" \
		eval '[[ $put_out == "ERR gateway http=5"* ]] && [ "$put_ms" -ge 5000 ]'
	check "quorum lost: a keepalive fails with a gateway 5xx error only after etcd's request time-out (${ka_ms} ms: $ka_out)" \
		eval '[[ $ka_out == "ERR gateway http=5"* ]] && [ "$ka_ms" -ge 5000 ]'

	etcd_member_stop "$l" || bad "stop: $l's member did not stop on SIGTERM"
	check "stop: every member's process is gone" \
		eval '! etcd_member_alive h1 && ! etcd_member_alive h2 && ! etcd_member_alive w'
	for h in h1 h2 w; do
		out=$(etcd_put /vigil-lab/x y "$h")
		[[ $out == "ERR refused "* ]] || refused+=" put@$h($out)"
		out=$(etcd_get /vigil-lab/from-h1 "$h")
		[[ $out == "ERR refused "* ]] || refused+=" get@$h($out)"
	done
	check "stop: puts and gets from every host fail with a connection error (ERR refused)${refused:+:$refused}" \
		test -z "$refused"
	check "stop: /health of every member: refused ($(etcd_health))" \
		test "$(etcd_health)" = "h1=refused h2=refused w=refused"
	t=$(_lab_now_us)
	out=$(etcdctl_lab h2 put /vigil-lab/x y 2>&1)
	ms=$(since_ms "$t")
	check "stop: etcdctl put fails within its time-outs (${ms} ms: $(tail -n1 <<<"$out"))" \
		eval '[ "$ms" -lt 15000 ] && [[ $out == *"context deadline exceeded"* ]]'
}

# --- 7. restarted on the same data -----------------------------------------
t_restart() {
	local t ms out
	etcd_member_start h1 || { bad "restart: h1 did not start"; return 1; }
	t=$(_lab_now_us)
	out=$(etcd_gw h2 call --timeout-ms 1000 "$(etcd_url h1)" /health)
	ms=$(since_ms "$t")
	FIG[lone]="$out after $ms ms"
	check "restart: a lone restarted member accepts TCP but does not answer until it has quorum ($out, ${ms} ms)" \
		eval '[[ $out == "ERR timeout "* ]]'
	t=$(_lab_now_us)
	if ! etcd_member_start h2 || ! etcd_member_start w; then bad "restart: h2 or w did not start"; return 1; fi
	if ms=$(LAB_ETCD_T0_US=$t etcd_wait_healthy 3 15000); then
		FIG[restart]=$ms
		ok "restart: all three healthy ${ms} ms after h2 and w were started; leader $(etcd_leader)"
	else
		bad "restart: not 3 healthy after $ms ms ($(etcd_health))"; return 1
	fi
	check "restart: the data survived (keys from before the stop, read from w)" \
		eval '[ "$(etcd_get /vigil-lab/from-h1 w)/$(etcd_get /vigil-lab/after-kill-3 w)" = value-h1/yes ]'
}

# --- 8. the fake member modes ----------------------------------------------
t_fake() {
	local f mode want out t ms url key pid
	read -r f _ <<<"$(followers)"
	url=$(etcd_url "$f")
	key="{\"key\":\"$(b64 /vigil-lab/from-h1)\"}"
	etcd_member_stop "$f" || { bad "fake: $f's member did not stop"; return 1; }
	for mode in stall garbage gwerror close reset; do
		case $mode in
		stall) want='ERR timeout ' ;;
		garbage) want='ERR badjson ' ;;
		gwerror) want='ERR gateway http=503 code=14 message=etcdserver: request timed out' ;;
		close) want='ERR closed ' ;;
		reset) want='ERR reset ' ;;
		esac
		etcd_fake_member "$f" "$mode" 60 || { bad "fake $mode: did not start on $f"; continue; }
		pid=$(cat "$LAB_DIR/etcd-$f/fake.pid")
		t=$(_lab_now_us)
		out=$(etcd_gw h1 call --timeout-ms 1000 "$url" /v3/kv/range "$key")
		ms=$(since_ms "$t")
		check "fake $mode: a range on $f's address gets '$out' (${ms} ms)" \
			eval '[[ $out == "$want"* ]] && { [ $mode != stall ] || [ "$ms" -ge 1000 ]; }'
		if [ "$mode" = stall ] || [ "$mode" = close ] || [ "$mode" = reset ]; then
			check "fake $mode: a client on $f (its member first) moves on to the next endpoint" \
				eval '[ "$(etcd_get /vigil-lab/from-h1 "$f")" = value-h1 ]'
		fi
		etcd_fake_stop "$f"
		check "fake $mode: stopped by pid, $f:2379 free again" \
			eval 'lab_pid_gone "$pid" && lab_wait_for 3000 eval "! _etcd_listening $f" >/dev/null'
	done
	etcd_fake_member "$f" close 2 || { bad "fake: did not start for the lifetime check"; return 1; }
	pid=$(cat "$LAB_DIR/etcd-$f/fake.pid")
	if ms=$(lab_wait_for 8000 lab_pid_gone "$pid"); then
		ok "fake: a fake member given 2 s exits by itself (${ms} ms after it listened)"
	else
		bad "fake: the fake member outlived its 2 s lifetime"; etcd_fake_stop "$f"
	fi
	etcd_member_start "$f" || { bad "fake: $f's member did not start again"; return 1; }
	check "fake: $f's real member back, 3 healthy" etcd_wait_healthy 3 15000
}

# --- 9. what the gateway calls cost -----------------------------------------
t_bench() {
	local l f1 f2 out
	l=$(etcd_leader) || { bad "bench: no leader"; return 1; }
	read -r f1 f2 _ <<<"$(followers)"
	say "gateway calls from $f1, one keep-alive connection, 20 rounds (grant TTL 10, keepalive, txn put-if-absent under the lease, range, revoke):"
	if out=$(etcd_gw "$f1" bench --n 20 "$(etcd_url "$l")"); then
		FIG[bench_leader]=$out
		printf '    to the leader %s:\n%s\n' "$l" "$(sed 's/^/      /' <<<"$out")"
		ok "bench: every call answered by the leader"
	else
		bad "bench: against the leader: $out"
	fi
	if out=$(etcd_gw "$f1" bench --n 20 "$(etcd_url "$f2")"); then
		FIG[bench_follower]=$out
		printf '    to the follower %s (it forwards to the leader):\n%s\n' "$f2" "$(sed 's/^/      /' <<<"$out")"
		ok "bench: every call answered through a follower"
	else
		bad "bench: against a follower: $out"
	fi
}

# --- 10. teardown leaves nothing ---------------------------------------------
t_teardown() {
	local prefix=$LAB_PREFIX dir=$LAB_DIR pids=() p left='' ns
	mapfile -t pids < <(awk '{print $1}' "$LAB_DIR/pids")
	[ "$failed" -eq 0 ] || lab_dump_logs 30
	lab_teardown
	ns=$(ip netns list | grep "^$prefix-" | tr '\n' ' ')
	for p in "${pids[@]}"; do lab_pid_alive "$p" && left+=" $p"; done
	if [ -n "$ns" ]; then bad "teardown: namespaces left: $ns"
	elif [ -n "$left" ]; then bad "teardown: processes left:$left"
	elif [ -e "$dir" ]; then bad "teardown: $dir left"
	elif [ "$(root_links)" != "$ROOT_LINKS_BEFORE" ]; then bad "teardown: root namespace links changed"
	else ok "teardown: no $prefix-* namespace, none of ${#pids[@]} recorded pids alive (etcd, fakes), data dirs gone"
	fi
}

figures() {
	say "figures (heartbeat ${LAB_ETCD_HEARTBEAT_MS} ms, election timeout ${LAB_ETCD_ELECTION_MS} ms):"
	printf '  first leader after the start          %s ms (all healthy %s ms)\n' "${FIG[first_leader]:-?}" "${FIG[healthy]:-?}"
	printf '  re-election after kill -9 of leader   %s\n' "${FIG[reelect]:-?}"
	printf '  new leader after SIGTERM of leader    %s\n' "${FIG[handover]:-?}"
	printf '  killed follower restarted -> healthy  %s ms\n' "${FIG[rejoin]:-?}"
	printf '  no quorum: put fails after            %s\n' "${FIG[nq_put]:-?}"
	printf '  no quorum: keepalive fails after      %s\n' "${FIG[nq_ka]:-?}"
	printf '  lone restarted member, /health        %s\n' "${FIG[lone]:-?}"
	printf '  all stopped -> restarted -> healthy   %s ms\n' "${FIG[restart]:-?}"
	[ -z "${FIG[bench_leader]:-}" ] || printf '  gateway calls to the leader:\n%s\n' "$(sed 's/^/    /' <<<"${FIG[bench_leader]}")"
	[ -z "${FIG[bench_follower]:-}" ] || printf '  gateway calls through a follower:\n%s\n' "$(sed 's/^/    /' <<<"${FIG[bench_follower]}")"
}

say "starting (CI=${CI:-unset})"
if t_up; then
	t_kv
	t_leader
	t_follower_kill && t_leader_kill && t_stop_all && t_restart && t_fake
	t_bench
	t_teardown
fi
[ -z "${LAB_DIR:-}" ] || { lab_dump_logs 30; lab_teardown; }
figures
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
