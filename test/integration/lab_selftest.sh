#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of the netns lab (test/lab): bridge, multicast, VRRP failover
# with keepalived, link down/up, multicast block, packet loss, teardown.
# Exit 0 pass, 1 fail, 77 skip (not root, outside CI; under CI=true a
# missing prerequisite fails).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lab/lab.sh"
. "$here/../lab/keepalived.sh"

lab_require keepalived nft arping ping tcpdump timeout ps

VIP=198.18.0.100
passed=0
failed=0

say() { printf 'lab_selftest: %s\n' "$*"; }
ok() { passed=$((passed + 1)); say "ok   - $*"; }
bad() { failed=$((failed + 1)); say "FAIL - $*"; }
# check DESC CMD...: one assertion; CMD's status decides.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

# Links in the root namespace before the lab: the lab must add none.
root_links() { ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' '; }
ROOT_LINKS_BEFORE=$(root_links)

# start_ka HOST NAME PRIO: keepalived for VIP, VRRPv3, 100 ms adverts.
start_ka() {
	keepalived_conf "$LAB_DIR/$2.conf" priority="$3" advert_int=0.1 \
		version=3 vrid=51 vips="$VIP/24" router_id="$2" || return 1
	keepalived_start "$1" "$LAB_DIR/$2.conf" >/dev/null
}

# --- 1. lab comes up, nothing in the root namespace ----------------------
test_lab_up() {
	local h ns_count
	if ! lab_init || ! lab_add_host h1 || ! lab_add_host h2 || ! lab_add_host h3; then
		bad "lab up: cannot build the lab"
		return 1
	fi
	ns_count=$(ip netns list | grep -c "^$LAB_PREFIX-")
	for h in h1 h2 h3; do
		lab_exec "$h" ip -o link show lo | grep -q 'UP' || { bad "lab up: lo down on $h"; return 1; }
	done
	if [ "$ns_count" -ne 4 ]; then bad "lab up: $ns_count namespaces, want 4"; return 1; fi
	if [ "$(root_links)" != "$ROOT_LINKS_BEFORE" ]; then
		bad "lab up: root namespace links changed: $(root_links)"; return 1
	fi
	if [ "$(ip netns exec "$LAB_SW" cat /sys/class/net/br0/bridge/multicast_snooping)" != 0 ]; then
		bad "lab up: multicast snooping is on"; return 1
	fi
	ok "lab up: switch + 3 hosts ($LAB_PREFIX-*), lo up, snooping off, root ns untouched"
}

# --- 2. unicast over the bridge -------------------------------------------
test_ping() {
	local a b fails=
	for a in h1 h2 h3; do
		for b in h1 h2 h3; do
			[ "$a" = "$b" ] && continue
			lab_ping "$a" "$(lab_addr "$b")" || fails+=" $a->$b"
		done
	done
	if [ -z "$fails" ]; then ok "ping: every host reaches every other over the bridge"
	else bad "ping: no reply$fails"; fi
}

# --- 3. multicast floods; one VRRP master --------------------------------
test_election() {
	local ms owner tcpdump_pid
	# h3 runs no VRRP: seeing adverts there proves the bridge floods 224.0.0.18.
	lab_spawn h3 tcpdump.log timeout 5 tcpdump -l -n -c 3 -i eth0 'ip proto 112' >/dev/null
	tcpdump_pid=$LAB_PID
	# tcpdump says so once its socket is open (bounded wait).
	lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/tcpdump.log" >/dev/null
	start_ka h1 k1 150 || { bad "election: keepalived k1 did not start"; return 1; }
	start_ka h2 k2 100 || { bad "election: keepalived k2 did not start"; return 1; }
	if ms=$(lab_wait_for 2000 lab_vip_held_by "$VIP" h1); then
		ok "election: only h1 (priority 150) holds $VIP after ${ms} ms"
	else
		bad "election: holders after 2 s: '$(lab_vip_holder "$VIP")', want 'h1'"
	fi
	check "election: k2 is BACKUP (it hears k1's multicast adverts)" \
		keepalived_in_state "$LAB_DIR/k2.conf" BACKUP
	lab_wait_for 5000 lab_pid_gone "$tcpdump_pid" >/dev/null
	if grep -q '224.0.0.18: VRRPv3' "$LAB_DIR/tcpdump.log"; then
		ok "multicast: h3 (not a VRRP router) sees adverts to 224.0.0.18"
	else
		bad "multicast: h3 saw no VRRP adverts; tcpdump said: $(tail -n 3 "$LAB_DIR/tcpdump.log")"
	fi
	owner=$(lab_arp_owner h3 "$VIP")
	check "arp: $VIP answers from '$owner', want h1" [ "$owner" = h1 ]
	check "ping: h3 reaches $VIP" lab_ping h3 "$VIP"
}

# --- 4. failover on kill -9 --------------------------------------------------
test_failover() {
	local ms parent child
	parent=$(cat "$LAB_DIR/k1.pid")
	# SIGKILL of the parent: its VRRP child gets SIGTERM (parent death
	# signal), sends a priority-0 advert and removes the VIP.
	lab_kill "$parent" KILL
	if ms=$(lab_wait_for 1000 lab_vip_held_by "$VIP" h2); then
		ok "failover: kill -9 of h1's keepalived ($parent) -> only h2 holds $VIP in ${ms} ms"
	else
		bad "failover: after kill -9 of $parent holders are '$(lab_vip_holder "$VIP")' after ${ms} ms, want 'h2'"
	fi
	lab_wait_for 3000 lab_pid_gone "$(keepalived_vrrp_pid "$LAB_DIR/k1.conf")" >/dev/null

	# Back to h1 (priority 150 preempts), then a true crash: SIGKILL of the
	# VRRP child itself sends nothing; h2 waits Master_Down_Interval
	# (3 x 100 ms + skew, RFC 5798 6.1) and h1 keeps a stale VIP.
	start_ka h1 k1 150 || { bad "failover: k1 did not restart"; return 1; }
	parent=$LAB_PID
	if ! ms=$(lab_wait_for 2000 lab_vip_held_by "$VIP" h1); then
		bad "failover: h1 did not take $VIP back (holders '$(lab_vip_holder "$VIP")')"
		return 1
	fi
	child=$(keepalived_vrrp_pid "$LAB_DIR/k1.conf")
	lab_kill "$child" KILL
	if ms=$(lab_wait_for 1000 lab_vip_held_by "$VIP" "h1 h2"); then
		if [ "$ms" -ge 200 ]; then
			ok "crash: kill -9 of h1's VRRP child -> h2 master in ${ms} ms (master-down timer; h1 keeps a stale VIP)"
		else
			bad "crash: h2 took over in ${ms} ms, faster than Master_Down_Interval"
		fi
	else
		bad "crash: holders '$(lab_vip_holder "$VIP")' after ${ms} ms, want 'h1 h2'"
	fi
	# --dont-respawn: the parent exits once its child is gone.
	if ms=$(lab_wait_for 3000 lab_pid_gone "$parent"); then
		ok "crash: keepalived parent $parent exits ${ms} ms after its VRRP child died"
	else
		bad "crash: keepalived parent $parent still runs without its VRRP child"
	fi
	lab_exec h1 ip addr del "$VIP/24" dev eth0
}

# --- 5. link down/up -------------------------------------------------------
test_link() {
	local ms
	start_ka h1 k1 150 || { bad "link: k1 did not restart"; return 1; }
	lab_wait_for 2000 lab_vip_held_by "$VIP" h1 >/dev/null ||
		{ bad "link: h1 not master before the test"; return 1; }

	lab_link_down h1 # bridge side: h1's eth0 loses carrier
	if ! lab_exec h1 ip -o link show eth0 | grep -q 'NO-CARRIER'; then
		bad "link: h1 eth0 still has carrier after lab_link_down h1"
	elif lab_ping h3 "$(lab_addr h1)"; then
		bad "link: h1 still answers ping with its port down"
	elif ! ms=$(lab_wait_for 1000 lab_vip_held_by "$VIP" h2); then
		bad "link: holders '$(lab_vip_holder "$VIP")' ${ms} ms after h1's link went down, want 'h2'"
	else
		ok "link: h1 port down -> NO-CARRIER, no ping, h2 holds $VIP in ${ms} ms (k1 $(keepalived_state "$LAB_DIR/k1.conf"))"
	fi
	lab_link_up h1
	if ms=$(lab_wait_for 2000 lab_vip_held_by "$VIP" h1) && lab_ping h3 "$(lab_addr h1)"; then
		ok "link: h1 port up -> ping works, h1 holds $VIP again in ${ms} ms"
	else
		bad "link: after link up holders '$(lab_vip_holder "$VIP")', want 'h1'"
	fi

	lab_link_down h3 host # host side: eth0 itself admin-down
	if lab_exec h3 ip -o link show eth0 | grep -q '[<,]UP[,>]' || lab_ping h3 "$(lab_addr h1)"; then
		bad "link: h3 eth0 admin-down did not cut h3 off"
	else
		lab_link_up h3 host
		if lab_wait_for 2000 lab_ping h3 "$(lab_addr h1)" >/dev/null; then
			ok "link: host-side down/up of h3 eth0 cuts and restores traffic"
		else
			bad "link: h3 cannot ping h1 after host-side link up"
		fi
	fi
}

# --- 6. multicast block = split brain; VRRP loss ---------------------------
test_block() {
	local ms owners
	lab_block_multicast h2
	if ms=$(lab_wait_for 1000 lab_vip_held_by "$VIP" "h1 h2"); then
		owners=$(lab_arp_owner h3 "$VIP")
		ok "block: multicast blocked on h2 -> split brain, both hold $VIP in ${ms} ms (ARP answers: $owners)"
	else
		bad "block: holders '$(lab_vip_holder "$VIP")' with h2's multicast blocked, want 'h1 h2'"
	fi
	lab_unblock_multicast h2
	if ms=$(lab_wait_for 2000 lab_vip_held_by "$VIP" h1); then
		ok "block: unblocked -> only h1 holds $VIP in ${ms} ms"
	else
		bad "block: holders '$(lab_vip_holder "$VIP")' after unblock, want 'h1'"
	fi

	lab_drop_vrrp_percent h1 100 out
	if ms=$(lab_wait_for 1000 lab_vip_held_by "$VIP" "h1 h2"); then
		ok "loss: 100% of h1's VRRP dropped -> h2 also takes $VIP in ${ms} ms"
	else
		bad "loss: holders '$(lab_vip_holder "$VIP")' with h1's adverts dropped, want 'h1 h2'"
	fi
	lab_drop_vrrp_percent h1 30 both
	if lab_exec h1 nft list table inet lab_loss | grep -c 'numgen random mod 100 < 30 counter name "c_drop" drop' | grep -qx 2 &&
		[ "$(lab_vrrp_loss_counts h1 | wc -w)" = 2 ]; then
		ok "loss: 30% rule installed on input and output, with its counters"
	else
		bad "loss: 30% rule not found: $(lab_exec h1 nft list ruleset)"
	fi
	lab_drop_vrrp_percent h1 0
	if lab_exec h1 nft list table inet lab_loss >/dev/null 2>&1; then
		bad "loss: table lab_loss still there after N=0"
	elif ms=$(lab_wait_for 2000 lab_vip_held_by "$VIP" h1); then
		ok "loss: rule removed -> only h1 holds $VIP in ${ms} ms"
	else
		bad "loss: holders '$(lab_vip_holder "$VIP")' after removing loss, want 'h1'"
	fi
}

# --- 7. unicast VRRP passes the multicast block -----------------------------
test_unicast() {
	local ms k pid t_b left uvip=198.18.0.101
	for k in k1 k2; do
		pid=$(cat "$LAB_DIR/$k.pid" 2>/dev/null) && lab_kill "$pid" TERM
		lab_wait_for 3000 keepalived_stopped "$LAB_DIR/$k.conf" >/dev/null ||
			{ bad "unicast: keepalived $k did not stop on SIGTERM"; return 1; }
	done
	lab_block_multicast h1
	lab_block_multicast h2
	keepalived_conf "$LAB_DIR/u1.conf" priority=150 advert_int=0.1 vrid=52 \
		vips="$uvip/24" unicast_src_ip="$(lab_addr h1)" unicast_peer="$(lab_addr h2)" &&
	keepalived_conf "$LAB_DIR/u2.conf" priority=100 advert_int=0.1 vrid=52 \
		vips="$uvip/24" unicast_src_ip="$(lab_addr h2)" unicast_peer="$(lab_addr h1)" &&
	keepalived_start h1 "$LAB_DIR/u1.conf" >/dev/null &&
	keepalived_start h2 "$LAB_DIR/u2.conf" >/dev/null ||
		{ bad "unicast: keepalived did not start"; return 1; }
	# Had u2 not heard u1's unicast adverts, it would leave BACKUP one
	# Master_Down_Interval after entering it (3 x 100 + (256 - 100) x 100 /
	# 256 = 360 ms). keepalived logs whole seconds only: count from when u2
	# was first seen BACKUP (it entered it no later), plus 140 ms of slack.
	lab_wait_for 2000 keepalived_in_state "$LAB_DIR/u2.conf" BACKUP >/dev/null
	t_b=$(_lab_now_us)
	if ms=$(lab_wait_for 2000 lab_vip_held_by "$uvip" h1) &&
	   left=$(( 500 - ($(_lab_now_us) - t_b) / 1000 )) &&
	   { [ "$left" -le 0 ] || sleep "0.$(printf %03d "$left")"; } &&
	   lab_vip_held_by "$uvip" h1 && keepalived_in_state "$LAB_DIR/u2.conf" BACKUP; then
		ok "unicast: with multicast blocked on h1+h2, unicast VRRP elects only h1 (${ms} ms), u2 BACKUP"
	else
		bad "unicast: holders '$(lab_vip_holder "$uvip")', u2 $(keepalived_state "$LAB_DIR/u2.conf"), want h1 / BACKUP"
	fi
}

# --- 8. teardown leaves nothing ---------------------------------------------
test_teardown() {
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
	else ok "teardown: no $prefix-* namespace, none of ${#pids[@]} recorded pids alive, temp dir gone"
	fi
}

say "starting (CI=${CI:-unset})"
if test_lab_up; then
	test_ping
	test_election
	test_failover
	test_link
	test_block
	test_unicast
	test_teardown
fi
[ -z "${LAB_DIR:-}" ] || { lab_dump_logs 30; lab_teardown; }
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
