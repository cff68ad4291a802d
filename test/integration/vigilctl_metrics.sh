#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigilctl metrics and GET /metrics against two running vigild: the text
# parses as the Prometheus format 0.0.4 (a parser of its own below) and
# shows the real state (h1 MASTER, h2 BACKUP; base and effective
# priorities; adverts counted up between two scrapes; check runs, failures
# and the latency histogram); metrics_listen serves the same families over
# HTTP inside each namespace (127.0.0.1 on h1, [::1] on h2), answers 404
# for another path, 405 for a POST and 400 for a malformed request; clients
# that connect and say nothing hold up no scrape, no vigilctl answer and no
# advert (h1 stays MASTER, h2 never changes state), and are dropped at the
# idle timeout; a second vigild whose metrics_listen is taken refuses to
# start (exit 3) naming the address.
#
# Usage: bash vigilctl_metrics.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
if [ ! -x "$VIGILCTL" ]; then
	echo "vigilctl not found at $VIGILCTL" >&2
	exit 2
fi
VIP=198.18.0.100
PORT=9717
lab_add_host h1 && lab_add_host h2 || exit 1
S1=$LAB_DIR/h1.sock
S2=$LAB_DIR/h2.sock
# h2 listens on IPv6 loopback where the kernel has IPv6 (Debian's does).
if [ -d /proc/sys/net/ipv6 ] && [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)" = 0 ]; then
	H2_HOST=::1
	H2_LISTEN="[::1]:$PORT"
else
	echo "  note: no IPv6 here; h2 listens on 127.0.0.1 too"
	H2_HOST=127.0.0.1
	H2_LISTEN="127.0.0.1:$PORT"
fi

# Both track a script check that passes; h2 also a TCP check on a port
# where nothing listens (penalty 10): its effective priority is 90.
checks="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 200ms\nrise = 1\n\n[check port]\ntype = tcp\nhost = 127.0.0.1\nport = 1\npenalty = 10\ninterval = 200ms\nfall = 1\n')"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 extra="track = up" tail="$checks" \
	global_extra="metrics_listen = 127.0.0.1:$PORT"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 extra="track = up, port" tail="$checks" \
	global_extra="metrics_listen = $H2_LISTEN"

# --- helpers --------------------------------------------------------------

# A parser of the text format 0.0.4, strict: HELP and TYPE once per family
# and before its samples, label values escaped (\\ \" \n only), values
# numbers, no sample of an undeclared family, the text ends in a newline.
# prom FILE EXPR prints the Python expression EXPR evaluated with:
#   v(name, **labels)  the value of the one sample of name with those labels
#   fams               {family: type}
#   samples            [(name, {labels}, value)]
#   hist_ok(check)     its buckets never decrease, +Inf == _count
cat >"$LAB_DIR/prom.py" <<'PY'
import re, sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
ESC = {'\\': '\\', '"': '"', 'n': '\n'}

def parse_sample(ln):
    m = NAME.match(ln)
    name, i, labels = m.group(0), m.end(), {}
    if ln[i] == '{':
        i += 1
        while ln[i] != '}':
            m = LABEL.match(ln, i)
            key, i = m.group(0), m.end()
            assert ln[i:i + 2] == '="', ln
            i += 2
            val = ''
            while ln[i] != '"':
                if ln[i] == '\\':
                    val += ESC[ln[i + 1]]
                    i += 2
                else:
                    val += ln[i]
                    i += 1
            i += 1
            assert key not in labels, ln
            labels[key] = val
            if ln[i] == ',':
                i += 1
        i += 1
    assert ln[i] == ' ', ln
    return name, labels, float(ln[i + 1:])

def family_of(name, fams):
    if name in fams:
        return name
    for suf in ('_bucket', '_sum', '_count'):
        if name.endswith(suf) and fams.get(name[:-len(suf)]) == 'histogram':
            return name[:-len(suf)]
    raise AssertionError('sample of an undeclared family: ' + name)

def parse(text):
    assert text.endswith('\n'), 'no final newline'
    fams, helps, samples, last = {}, set(), [], None
    for ln in text[:-1].split('\n'):
        if ln.startswith('# HELP '):
            name = ln[7:].split(' ', 1)[0]
            assert name not in helps, 'HELP twice: ' + name
            helps.add(name)
        elif ln.startswith('# TYPE '):
            name, typ = ln[7:].split(' ')
            assert name not in fams, 'TYPE twice: ' + name
            assert typ in ('counter', 'gauge', 'histogram'), ln
            fams[name] = typ
            last = name
        else:
            assert not ln.startswith('#') and ln, 'stray line: %r' % ln
            s = parse_sample(ln)
            f = family_of(s[0], fams)
            assert f == last and f in helps, 'sample outside its family: ' + ln
            samples.append(s)
    assert set(fams) == helps, 'HELP without TYPE or the reverse'
    return fams, samples

fams, samples = parse(open(sys.argv[1]).read())

def v(name, **labels):
    got = [s[2] for s in samples if s[0] == name and all(s[1].get(k) == x for k, x in labels.items())]
    assert len(got) == 1, '%s %s: %d samples' % (name, labels, len(got))
    return int(got[0]) if got[0] == int(got[0]) else got[0]

def hist_ok(check):
    b = [(s[1]['le'], s[2]) for s in samples
         if s[0] == 'vigil_check_latency_seconds_bucket' and s[1]['check'] == check]
    les = [float(le) for le, _ in b]
    ok = les == sorted(les) and b[-1][0] == '+Inf'
    ok = ok and all(b[k][1] <= b[k + 1][1] for k in range(len(b) - 1))
    return ok and b[-1][1] == v('vigil_check_latency_seconds_count', check=check)

print(eval(sys.argv[2]))
PY

# prom FILE EXPR / pcheck NAME FILE EXPR WANT: as json/jcheck in
# vigilctl_status.sh, on a scrape.
prom() { python3 "$LAB_DIR/prom.py" "$1" "$2"; }
pcheck() {
	local got
	got=$(prom "$2" "$3" 2>&1)
	if [ "$got" != "$4" ]; then echo "    $3: got '$got', want '$4'"; fi
	check "$1" test "$got" = "$4"
}

# One HTTP exchange from inside a namespace, on a raw socket so that
# malformed requests can be sent too.
# http HOST ADDR BYTES_EXPR OUT: send, read to the end (8 s at most), write
# the body to OUT and print "STATUS MS CONTENT-TYPE ALLOW" (MS: connect to
# the end of the answer; "-" for a missing header).
cat >"$LAB_DIR/http.py" <<'PY'
import socket, sys, time
addr, req, out = sys.argv[1], eval(sys.argv[2]), sys.argv[3]
t0 = time.monotonic()
s = socket.create_connection((addr, 9717), timeout=8)
s.sendall(req)
data = b''
while True:
    try:
        d = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not d:
        break
    data += d
ms = int((time.monotonic() - t0) * 1000)
head, _, body = data.partition(b'\r\n\r\n')
lines = head.decode(errors='replace').split('\r\n')
status = lines[0].split(' ')[1] if lines[0].startswith('HTTP/') else 'none'
hdr = {l.split(':', 1)[0].lower(): l.split(':', 1)[1].strip() for l in lines[1:] if ':' in l}
open(out, 'wb').write(body)
print(status, ms, hdr.get('content-type', '-').replace(' ', ''), hdr.get('allow', '-').replace(' ', ''))
PY
http() { lab_exec "$1" python3 "$LAB_DIR/http.py" "$2" "$3" "$4"; }
GET='b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"'
CTYPE='text/plain;version=0.0.4;charset=utf-8'

# --- start ------------------------------------------------------------------

"$VIGILD" -t -f "$LAB_DIR/h1.ini" >"$LAB_DIR/t1.out" 2>&1
check "vigild -t shows metrics_listen" \
	grep -q "^metrics_listen 127.0.0.1:$PORT: GET http://127.0.0.1:$PORT/metrics$" "$LAB_DIR/t1.out"
vigil_run h1 1
vigil_run h2 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
lab_wait_for 3000 prio_is h2.vigild.log 90 >/dev/null
check "h1 logs where the metrics are" \
	vigil_log_has h1.vigild.log "metrics: GET http://127.0.0.1:$PORT/metrics"

echo "== vigilctl metrics"
"$VIGILCTL" -s "$S1" metrics >"$LAB_DIR/m1a.txt" 2>&1
check "vigilctl metrics on h1: exit 0" test $? -eq 0
"$VIGILCTL" -s "$S2" metrics >"$LAB_DIR/m2a.txt" 2>&1
check "vigilctl metrics on h2: exit 0" test $? -eq 0
# The second scrapes, taken again until the counters compared below have
# moved on: h1's adverts sent and h2's received by 3 or more, h2's check
# runs (bounded: 3 s).
I='instance="vi", interface="eth0", vrid="51"'
sent0=$(prom "$LAB_DIR/m1a.txt" "v('vigil_vrrp_adverts_sent_total', $I)")
rcvd0=$(prom "$LAB_DIR/m2a.txt" "v('vigil_vrrp_adverts_received_total', $I)")
runs0=$(prom "$LAB_DIR/m2a.txt" "v('vigil_check_runs_total', check='up')")
grown() {
	"$VIGILCTL" -s "$S1" metrics >"$LAB_DIR/m1b.txt" 2>&1 &&
	"$VIGILCTL" -s "$S2" metrics >"$LAB_DIR/m2b.txt" 2>&1 &&
	[ "$(prom "$LAB_DIR/m1b.txt" "v('vigil_vrrp_adverts_sent_total', $I) >= $sent0 + 3")" = True ] &&
	[ "$(prom "$LAB_DIR/m2b.txt" "(v('vigil_vrrp_adverts_received_total', $I) >= $rcvd0 + 3 and
		v('vigil_check_runs_total', check='up') > $runs0)")" = True ]
}
lab_wait_for 3000 grown >/dev/null || echo "  (the counters did not grow within 3 s)"
grep -E '^vigil_(vrrp_(state|priority)|check_(runs|failures)_total)' "$LAB_DIR/m2a.txt" | sed 's/^/    /'
pcheck "h1's scrape parses; vigil_up 1, router_id h1" "$LAB_DIR/m1a.txt" \
	'(v("vigil_up"), v("vigil_info", router_id="h1"))' '(1, 1)'
pcheck "h2's scrape parses" "$LAB_DIR/m2a.txt" 'v("vigil_up")' 1
pcheck "h1: vigil_vrrp_state 2 (MASTER)" "$LAB_DIR/m1a.txt" "v('vigil_vrrp_state', $I)" 2
pcheck "h2: vigil_vrrp_state 1 (BACKUP)" "$LAB_DIR/m2a.txt" "v('vigil_vrrp_state', $I)" 1
pcheck "h1: priority 150 of 150" "$LAB_DIR/m1a.txt" \
	"(v('vigil_vrrp_priority_effective', $I), v('vigil_vrrp_priority_base', $I))" '(150, 150)'
pcheck "h2: priority 90 of 100" "$LAB_DIR/m2a.txt" \
	"(v('vigil_vrrp_priority_effective', $I), v('vigil_vrrp_priority_base', $I))" '(90, 100)'
pcheck "h1 holds one VIP, h2 none" "$LAB_DIR/m1a.txt" "v('vigil_vrrp_vips_held', $I)" 1
pcheck "... h2 none" "$LAB_DIR/m2a.txt" "v('vigil_vrrp_vips_held', $I)" 0
a=$(prom "$LAB_DIR/m1a.txt" "v('vigil_vrrp_adverts_sent_total', $I)")
b=$(prom "$LAB_DIR/m1b.txt" "v('vigil_vrrp_adverts_sent_total', $I)")
check "h1's adverts sent grow between two scrapes ($a -> $b)" \
	test "$((b - a))" -ge 3
a=$(prom "$LAB_DIR/m2a.txt" "v('vigil_vrrp_adverts_received_total', $I)")
b=$(prom "$LAB_DIR/m2b.txt" "v('vigil_vrrp_adverts_received_total', $I)")
check "h2's adverts received grow too ($a -> $b)" test "$((b - a))" -ge 3
pcheck "h2 sends no adverts as BACKUP" "$LAB_DIR/m2b.txt" "v('vigil_vrrp_adverts_sent_total', $I)" 0
pcheck "h1 became MASTER once (master-down-timer, health-takeover or preempt)" "$LAB_DIR/m1a.txt" \
	"sum(v('vigil_vrrp_transitions_total', reason=r, **dict($I)) for r in ('master-down-timer', 'health-takeover', 'preempt'))" 1
pcheck "h2: check up ok and ran, no failure" "$LAB_DIR/m2b.txt" \
	'(v("vigil_check_status", check="up"), v("vigil_check_runs_total", check="up") > 2, v("vigil_check_failures_total", check="up"))' \
	'(0, True, 0)'
pcheck "h2: check port failed every run, penalty 10 applied" "$LAB_DIR/m2b.txt" \
	'(v("vigil_check_status", check="port"), v("vigil_check_runs_total", check="port") - v("vigil_check_failures_total", check="port") in (0, 1), v("vigil_check_penalty", check="port"))' \
	'(2, True, 10)'
pcheck "h2: check runs grow between scrapes" "$LAB_DIR/m2b.txt" \
	"v('vigil_check_runs_total', check='up') > $(prom "$LAB_DIR/m2a.txt" "v('vigil_check_runs_total', check='up')")" True
pcheck "h2: latency histograms: cumulative, +Inf = count, count = runs (or one in flight)" "$LAB_DIR/m2b.txt" \
	'(hist_ok("up"), hist_ok("port"), v("vigil_check_runs_total", check="up") - v("vigil_check_latency_seconds_count", check="up") in (0, 1))' \
	'(True, True, True)'
pcheck "h1: check port is tracked by nobody there: no series" "$LAB_DIR/m1a.txt" \
	'[s for s in samples if s[1].get("check") == "port"]' '[]'
pcheck "no data-safety families without manage_read_only" "$LAB_DIR/m1a.txt" \
	'[f for f in fams if f.startswith("vigil_db_")]' '[]'
pcheck "the control socket's requests are counted" "$LAB_DIR/m1b.txt" \
	'v("vigil_control_requests_total") >= 1' True

echo "== GET /metrics"
out=$(http h1 127.0.0.1 "$GET" "$LAB_DIR/h1.http")
read -r st ms ct _ <<<"$out"
check "h1: GET http://127.0.0.1:$PORT/metrics: 200 ($out)" test "$st" = 200
check "... as $CTYPE" test "$ct" = "$CTYPE"
check_ms "... at once" "$ms" 500
pcheck "... vigil_vrrp_state 2" "$LAB_DIR/h1.http" "v('vigil_vrrp_state', $I)" 2
fams_ctl=$(prom "$LAB_DIR/m1b.txt" 'sorted(fams.items())')
check "... the same families as vigilctl metrics" test "$(prom "$LAB_DIR/h1.http" 'sorted(fams.items())')" = "$fams_ctl"
out=$(http h2 "$H2_HOST" "$GET" "$LAB_DIR/h2.http")
read -r st ms ct _ <<<"$out"
check "h2: GET on $H2_LISTEN: 200 ($out)" test "$st" = 200
pcheck "... vigil_vrrp_state 1, priority 90" "$LAB_DIR/h2.http" \
	"(v('vigil_vrrp_state', $I), v('vigil_vrrp_priority_effective', $I))" '(1, 90)'
out=$(http h1 127.0.0.1 'b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"' "$LAB_DIR/head.http")
check "HEAD /metrics: 200, no body ($out)" sh -c "test '${out%% *}' = 200 && test ! -s '$LAB_DIR/head.http'"

echo "== other requests"
t1=$(vigil_transitions h1.vigild.log)
t2=$(vigil_transitions h2.vigild.log)
out=$(http h1 127.0.0.1 'b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"' "$LAB_DIR/404.http")
check "GET /: 404 ($out)" test "${out%% *}" = 404
out=$(http h1 127.0.0.1 'b"GET /metricsx HTTP/1.0\r\n\r\n"' "$LAB_DIR/404b.http")
check "GET /metricsx: 404 ($out)" test "${out%% *}" = 404
out=$(http h1 127.0.0.1 'b"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"' "$LAB_DIR/405.http")
read -r st ms ct allow <<<"$out"
check "POST /metrics: 405 ($out)" test "$st" = 405
check "... Allow: GET, HEAD" test "$allow" = "GET,HEAD"
out=$(http h1 127.0.0.1 'b"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"' "$LAB_DIR/405b.http")
check "DELETE /metrics: 405 ($out)" test "${out%% *}" = 405
out=$(http h1 127.0.0.1 'b"GET /metrics\r\n\r\n"' "$LAB_DIR/400.http")
check "a request line without a version: 400 ($out)" test "${out%% *}" = 400
out=$(http h1 127.0.0.1 'b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n"' "$LAB_DIR/400b.http")
check "a header line without a colon: 400 ($out)" test "${out%% *}" = 400
out=$(http h1 127.0.0.1 'b"GET /metrics HTTP/9.9\r\n\r\n"' "$LAB_DIR/505.http")
check "HTTP/9.9: 505 ($out)" test "${out%% *}" = 505
out=$(http h1 127.0.0.1 'b"GARBAGE\r\n\r\n"' "$LAB_DIR/junk.http")
read -r st ms _ <<<"$out"
check "junk: closed without an answer ($out)" test "$st" = none
check_ms "... at once" "$ms" 500
out=$(http h1 127.0.0.1 'b"GET /metrics HTTP/1.1\r\n" + b"X: " + b"a" * 40000 + b"\r\n\r\n"' "$LAB_DIR/big.http")
check "a 40 KB header: refused with a 4xx ($out)" test "${out:0:1}" = 4
out=$(http h1 127.0.0.1 "$GET" "$LAB_DIR/after.http")
check "h1 still answers GET /metrics (${out})" test "${out%% *}" = 200
check "h1's vigild still runs" lab_pid_alive "$h1"

echo "== silent clients"
# One client that connects and says nothing: a scrape and vigilctl answer
# at once beside it, and it is dropped at the idle timeout (5 s).
cat >"$LAB_DIR/silent.py" <<'PY'
import socket, sys, time
n = int(sys.argv[1])
socks = []
for _ in range(n):
    try:
        socks.append(socket.create_connection(('127.0.0.1', 9717), timeout=2))
    except OSError:
        pass
open(sys.argv[2], 'w').close()  # all connected (accepted or in the backlog)
t0 = time.monotonic()
closed = 0
for s in socks:
    s.settimeout(max(0.1, 12 - (time.monotonic() - t0)))
    try:
        if s.recv(100) == b'':
            closed += 1
    except ConnectionResetError:
        closed += 1
    except OSError:
        pass
print(f"connected {len(socks)}, closed by vigild {closed} after {time.monotonic() - t0:.1f} s")
PY
# accepted READY QUEUED: the silent clients are connected (their script
# wrote READY) and QUEUED connections are left in the listen backlog (the
# listener's Recv-Q): vigild accepted the others.
accepted() {
	[ -e "$1" ] &&
	[ "$(lab_exec h1 ss -Hltn "sport = :$PORT" | awk '{ print $2; exit }')" = "$2" ]
}
lab_spawn h1 silent1.out python3 "$LAB_DIR/silent.py" 1 "$LAB_DIR/silent1.ready" >/dev/null
silent=$LAB_PID
lab_wait_for 3000 accepted "$LAB_DIR/silent1.ready" 0 >/dev/null
out=$(http h1 127.0.0.1 "$GET" "$LAB_DIR/s1.http")
read -r st ms _ <<<"$out"
check "a scrape while a silent client is connected: 200 ($out)" test "$st" = 200
check_ms "... at once" "$ms" 500
t0=$(now_ms)
"$VIGILCTL" -s "$S1" metrics >/dev/null
rc=$?
check "vigilctl metrics answers too (exit $rc)" test "$rc" -eq 0
check_ms "... at once" "$(($(now_ms) - t0))" 500
lab_wait_for 8000 lab_pid_gone "$silent" >/dev/null
check "the silent client was dropped at the idle timeout ($(cat "$LAB_DIR/silent1.out"))" \
	grep -Eq '^connected 1, closed by vigild 1 after [4-6]\.' "$LAB_DIR/silent1.out"

# 10 silent clients, more than the 8 served at once: the loop still runs
# (vigilctl, adverts); the two left over and a scrape wait in the listen
# backlog until the idle timeout frees slots; all are closed in two rounds.
lab_spawn h1 silent10.out python3 "$LAB_DIR/silent.py" 10 "$LAB_DIR/silent10.ready" >/dev/null
silent=$LAB_PID
# All 10 connected, 8 accepted, 2 left in the backlog.
lab_wait_for 3000 accepted "$LAB_DIR/silent10.ready" 2 >/dev/null
a=$(prom "$LAB_DIR/m1b.txt" "v('vigil_vrrp_adverts_sent_total', $I)")
t0=$(now_ms)
"$VIGILCTL" -s "$S1" metrics >"$LAB_DIR/m1c.txt"
rc=$?
check "vigilctl metrics answers while 10 silent clients are connected (exit $rc)" test "$rc" -eq 0
check_ms "... at once" "$(($(now_ms) - t0))" 500
pcheck "... and h1 kept sending adverts" "$LAB_DIR/m1c.txt" \
	"v('vigil_vrrp_adverts_sent_total', $I) > $a" True
out=$(http h1 127.0.0.1 "$GET" "$LAB_DIR/s10.http")
read -r st ms _ <<<"$out"
check "a scrape with every slot taken: 200 once the idle timeout frees one ($out)" test "$st" = 200
check_ms "... within the 5 s timeout" "$ms" 6000
lab_wait_for 13000 lab_pid_gone "$silent" >/dev/null
check "every silent client was closed ($(cat "$LAB_DIR/silent10.out"))" \
	grep -Eq '^connected 10, closed by vigild 10 after (9|10|11)\.' "$LAB_DIR/silent10.out"
check "h1 stayed MASTER all along" test "$(vigil_state h1.vigild.log)" = MASTER
check "... with no state change on h1" test "$(vigil_transitions h1.vigild.log)" -eq "$t1"
check "... nor on h2" test "$(vigil_transitions h2.vigild.log)" -eq "$t2"
check "the VIP is still on h1 alone" lab_vip_held_by $VIP h1

echo "== metrics_listen taken"
vigil_conf "$LAB_DIR/h1b.ini" router_id=h1b priority=150 extra="track = up" tail="$checks" \
	global_extra="metrics_listen = 127.0.0.1:$PORT"
lab_exec h1 timeout 10 "$VIGILD" -f "$LAB_DIR/h1b.ini" >"$LAB_DIR/taken.log" 2>&1
rc=$?
check "a second vigild on h1 with the same metrics_listen refuses to start (exit $rc)" test "$rc" -eq 3
check "... naming the address: $(grep -m1 'cannot start' "$LAB_DIR/taken.log")" \
	grep -q "cannot start: metrics_listen 127.0.0.1:$PORT: cannot bind: Address already in use" \
	"$LAB_DIR/taken.log"
check "... leaving no control socket behind" test ! -e "$LAB_DIR/h1b.sock"
check "h1 still MASTER, the VIP on h1 alone" \
	sh -c "test '$(vigil_state h1.vigild.log)' = MASTER && test '$(lab_vip_holder $VIP)' = h1"
out=$(http h1 127.0.0.1 "$GET" "$LAB_DIR/last.http")
check "h1 still serves GET /metrics (${out%% *})" test "${out%% *}" = 200

vigil_term h1
vigil_term h2
# port_closed HOST: nothing listens on 127.0.0.1:PORT in HOST.
port_closed() {
	! lab_exec "$1" python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), timeout=1)" \
		2>/dev/null
}
check "a clean stop closes the port" port_closed h1
finish
