#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGSTOP of the master's mysqld (hung: the kernel still accepts TCP, mysqld
# never answers): h1's check times out fall times, its probes overlapping
# (a fresh connection every interval beside the hung one, at most fall),
# so the fall-th failure comes timeout + (fall - 1) x interval after the
# first hung probe; h1 advertises priority 50 and h2 takes the VIP after
# one Skew_Time. Meanwhile h1's adverts never
# pause (a client namespace captures them). After SIGCONT h1's check
# recovers and, with preempt = yes, h1 takes the VIP back. Shipped timing
# defaults: advert and check interval 200 ms, timeout 500 ms, fall 2.
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"
lab_require tcpdump

VIP=$DB_VIP
db_lab_up || exit 1

db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 preempt=yes advert_interval= || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 preempt=yes advert_interval= || exit 1
ADVERT=200 INTERVAL=200 TIMEOUT=500 FALL=2 SKEW=121 # SKEW: (256 - 100) * 200 / 256
DETECT=$((TIMEOUT + (FALL - 1) * INTERVAL)) # fall-th failure after the first hung probe
LIMIT=$((INTERVAL + DETECT + SKEW + 150))
GAP_LIMIT=$((ADVERT * 3 / 2))

echo "== both nodes up, VIP on the primary"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone ($ms ms after start)" lab_vip_held_by $VIP h1
lab_wait_for 5000 vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100' >/dev/null
check "h1's checks passed: priority 150" vigil_log_has h1.vigild.log 'priority [0-9]+ -> 150'
check "a client through the VIP is served by h1" db_answers_via_vip 1

# Capture h1's adverts from the client namespace (packet-buffered to file).
pcap=$LAB_DIR/h1-adverts.pcap
# --immediate-mode: without it packets reach tcpdump in blocks up to 1 s
# late, and the last ones are lost when it is stopped.
lab_spawn c tcpdump.log tcpdump -i eth0 -n -U --immediate-mode -w "$pcap" \
	"ip proto 112 and src host $(lab_addr h1)" >/dev/null
tcpd=$LAB_PID
lab_wait_for 5000 grep -q 'listening on' "$LAB_DIR/tcpdump.log" >/dev/null ||
	echo "  (tcpdump did not say it was listening)"
# h1_adverts [PRIO]: how many of h1's adverts (with priority PRIO) the
# capture holds so far (tcpdump -U writes each packet whole).
h1_adverts() {
	tcpdump -r "$pcap" -n 2>/dev/null | grep -cE "prio ${1:-[0-9]+}," || true
}
h1_adverts_ge() { [ "$(h1_adverts "${2:-}")" -ge "$1" ]; }
# Past h2's hold-down after h1's start-up takeover (one Master_Down_Interval
# from h2's logged MASTER -> BACKUP: vigild logs no end to it), and a few
# adverts captured before the hang.
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
past_holddown h2.vigild.log $ADVERT
lab_wait_for 3000 h1_adverts_ge 3 >/dev/null ||
	echo "  (the capture holds $(h1_adverts) of h1's adverts, not 3)"

echo "== SIGSTOP mysqld on h1, just after a probe (the worst phase)"
# The check's persistent connection idles between probes: TIME_MS says
# how long ago its last probe was. Stopping mysqld right after a probe
# leaves a whole interval before the first probe that hangs; that is the
# "interval" term of the limit, so the run meets the formula's worst case.
pid=$(mdb_pid "$(db_dir h1)")
idle=$(db_sql h1 "SELECT ROUND(MIN(TIME_MS)) FROM information_schema.PROCESSLIST
	WHERE USER = '$MDB_VIGIL_USER' AND COMMAND = 'Sleep'")
[[ $idle =~ ^[0-9]+$ ]] || idle=0 # NULL: a probe was running just then
# Aim 20 ms after a probe, allowing ~3 ms for the answer to reach us.
delay=$(( ((20 - idle - 3) % INTERVAL + INTERVAL) % INTERVAL ))
sleep "$(printf '0.%03d' "$delay")"
t0_us=${EPOCHREALTIME//[!0-9]/}
t0=$((10#$t0_us / 1000))
kill -STOP "$pid"
db_time_takeover "$t0" 5000 7000
echo "  last probe $idle ms before the lookup; slept $delay ms to stop mysqld ~20 ms after a probe, at $(date -d @$((t0 / 1000)) +%T).$(printf %03d $((t0 % 1000)))"
echo "  SIGSTOP -> VIP on h2: ${t_vip:-never} ms; SIGSTOP -> client served by h2: ${t_cli:-never} ms"
check_ms "VIP on h2 within interval + timeout + (fall - 1) x interval + Skew_Time + 150 = $INTERVAL + $TIMEOUT + $((FALL - 1)) x $INTERVAL + $SKEW + 150 ms" \
	"${t_vip:-99999}" "$LIMIT"
check_ms "client served by h2 through the VIP within the same $LIMIT ms" "${t_cli:-99999}" "$LIMIT"
lab_wait_for 2000 lab_vip_held_by $VIP h2 >/dev/null
check "h2 holds the VIP alone" lab_vip_held_by $VIP h2
check "h1 logged its check failing on a timeout" vigil_log_has h1.vigild.log 'check ping: failed.*(no answer within [0-9]+ ms|timed? ?out)'
check "h1 logged its priority change 150 -> 50" vigil_log_has h1.vigild.log 'instance vi: priority 150 -> 50'
check "h1 went MASTER -> BACKUP" vigil_in_state h1.vigild.log BACKUP

# Where the time went, from h1's log (HH:MM:SS.mmm): the first failed
# result ends the first probe that hung, timeout ms after it began.
t_fail=$(log_ms h1.vigild.log 'check ping: failed')
t_prio=$(log_ms h1.vigild.log 'instance vi: priority 150 -> 50')
if [ -n "$t_fail" ] && [ -n "$t_prio" ]; then
	echo "  first hung probe -> priority 50: $((t_prio - t_fail + TIMEOUT)) ms" \
		"(timeout + (fall - 1) x interval = $DETECT ms)"
fi

echo "== h1's adverts while its check hung"
# h1 is BACKUP (checked above): it sent its last advert, at priority 50,
# before h2's advert made it step down. Stop the capture once it holds it.
lab_wait_for 3000 h1_adverts_ge 1 50 >/dev/null ||
	echo "  (the capture holds no advert of h1 at priority 50)"
lab_kill "$tcpd" TERM
lab_wait_for 3000 lab_pid_gone "$tcpd" >/dev/null
# Epoch-stamped adverts: "SECONDS.USEC IP a > b: VRRPv3, ..., prio N, ...".
adverts=$(tcpdump -r "$pcap" -n -tt 2>/dev/null |
	sed -nE 's/^([0-9]+)\.([0-9]{6}) .*prio ([0-9]+),.*/\1\2 \3/p')
# From the last advert before SIGSTOP to h1's last advert (it resigned).
read -r n_all n_hang max_gap last_prio < <(awk -v t0="$t0_us" '
	{ t = $1 + 0; n++ }
	t < t0 { before = t; next }
	{ if (!h++ && before) prev = before
	  if (prev) { g = (t - prev) / 1000; if (g > max) max = g }
	  prev = t; lp = $2 }
	END { printf "%d %d %d %s\n", n, h, max, (lp == "" ? "-" : lp) }' <<<"$adverts")
echo "  h1 adverts captured: $n_all; after SIGSTOP: $n_hang; last priority $last_prio; largest gap from the last advert before SIGSTOP to the last one: $max_gap ms"
# The hang lasted about t_vip ms: one advert per ADVERT ms at least,
# less one for the edges.
check "h1 kept advertising while its check hung ($n_hang adverts in ${t_vip:-?} ms)" \
	test "$n_hang" -ge $(( ${t_vip:-0} / ADVERT - 1 ))
check_ms "largest gap between h1's adverts below 1.5 x advert interval" "$max_gap" "$GAP_LIMIT"
check "h1's last advert carried priority 50 (it resigned by priority)" test "$last_prio" = 50

echo "== SIGCONT: h1's check recovers, h1 takes the VIP back (preempt = yes)"
n_ok=$(grep -c 'check ping: ok' "$LAB_DIR/h1.vigild.log")
t0=$(now_ms)
kill -CONT "$pid"
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone again ($ms ms after SIGCONT)" lab_vip_held_by $VIP h1
check "h1 logged its check ok again" test "$(grep -c 'check ping: ok' "$LAB_DIR/h1.vigild.log")" -gt "$n_ok"
check "h1 logged its priority back 50 -> 150" vigil_log_has h1.vigild.log 'instance vi: priority 50 -> 150'
# The log order: recovery first, then the takeover.
l_prio=$(grep -n 'instance vi: priority 50 -> 150' "$LAB_DIR/h1.vigild.log" | tail -n1 | cut -d: -f1)
l_master=$(grep -n 'BACKUP -> MASTER' "$LAB_DIR/h1.vigild.log" | tail -n1 | cut -d: -f1)
check "h1 raised its priority (line ${l_prio:-none}) before BACKUP -> MASTER (line ${l_master:-none})" \
	test "${l_prio:-999999}" -lt "${l_master:-0}"
check "a client through the VIP is served by h1 again" db_answers_via_vip 1
finish
