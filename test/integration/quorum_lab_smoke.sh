#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of the quorum lab (quorum_lab.sh), with today's vigild and no
# [quorum] section (so it runs whether or not the daemon has quorum yet):
# the hosts at their addresses, the etcd cluster on h1, h2 and w, the
# data-safety pair started, writers on c and in h1's own namespace both
# acknowledged through the VIP, the isolation of h1 (nothing in or out,
# ARP and VRRP included, links up) and its heal, and the sampler (which
# must see what a cut without quorum does: the VIP on two hosts). Last, it
# reports whether this vigild accepts a [quorum] section (vigild -t).
# Usage: bash quorum_lab_smoke.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require

root_links() { ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' '; }
ROOT_LINKS_BEFORE=$(root_links)

echo "== lab: hosts, etcd, databases"
quorum_lab_up || exit 1
check "addresses h1 .11, h2 .12, w .13, c .14" test \
	"$(lab_addr h1) $(lab_addr h2) $(lab_addr w) $(lab_addr c)" = "198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14"
check "etcd endpoints are the contract's ($(etcd_endpoints))" \
	test "$(etcd_endpoints)" = "http://198.18.0.11:2379,http://198.18.0.12:2379,http://198.18.0.13:2379"
check "etcd: 3 members healthy ($(etcd_health))" eval "etcd_wait_healthy 3 5000 >/dev/null"
lid=$(etcd_lease_grant 30 h1)
etcd_put_leased "$(quorum_key)" h1 "$lid" h1 >/dev/null
check "a leased key $(quorum_key)=h1 put from h1 reads back from w and h2" \
	eval '[ "$(quorum_holder w)" = h1 ] && [ "$(quorum_holder h2)" = h1 ]'
etcdctl_lab w del --prefix "$QUORUM_PREFIX" >/dev/null 2>&1
check "quorum_key_absent after a delete of the prefix" quorum_key_absent

echo "== vigil-ds without [quorum]: h1 master, writers on c and h1"
quorum_pair_up 5 q_none=1
check "h1 holds the VIP with the only writable server" \
	eval '[ "$(lab_vip_holder $VIP)" = h1 ] && [ "$(db_writable_hosts)" = h1 ]'
lab_wait_for 8000 qw_acked_ge h1 1 5 >/dev/null
check "the writer in h1's namespace is acknowledged by h1 through the VIP ($(qw_acked h1 1))" \
	qw_acked_ge h1 1 5
quorum_sampler_start smoke 60
sleep 1
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES")
check "sampler: $n samples in ~1 s, none with two writable or two VIP holders (longest step $step ms)" \
	eval '[ "$n" -ge 5 ] && [ "$tw$tv" = 00 ]'

echo "== isolate h1 (bridge forward drop in the switch namespace)"
t_cut=$(_lab_now_us)
quorum_isolate h1 || { echo "cannot isolate h1" >&2; exit 1; }
check "isolated: h1 pings neither h2, w nor c" \
	eval '! lab_ping h1 $(lab_addr h2) && ! lab_ping h1 $(lab_addr w) && ! lab_ping h1 $(lab_addr c)'
check "isolated: c gets no ARP answer from h1, h2 still reaches w" \
	eval '! lab_exec c arping -c 1 -w 1 -I eth0 $(lab_addr h1) >/dev/null 2>&1 && lab_ping h2 $(lab_addr w)'
check "isolated: h1's link is still up (carrier, not NO-CARRIER)" \
	eval '[[ $(ip -n $(lab_ns h1) -o link show eth0) != *NO-CARRIER* ]]'
ms=$(lab_wait_for 10000 eval 'db_is_writable h2 && [ "$(lab_vip_holder $VIP)" = "h1 h2" ]')
check "without quorum h2 takes over and opens its server while h1 keeps both ($ms ms)" \
	eval '[ "$(lab_vip_holder $VIP)" = "h1 h2" ] && [ "$(db_writable_hosts)" = "h1 h2" ]'
sleep 0.5
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES" "$t_cut")
echo "   sampler since the cut: $n samples, $tw with two writable ($tw_ms ms), $tv with two VIP holders ($tv_ms ms)"
check "the sampler saw both (two writable and two VIP holders)" eval '[ "$tw" -ge 1 ] && [ "$tv" -ge 1 ]'
check "the sample lines name the hosts" grep -q 'vip=h1,h2 writable=h1,h2' "$QUORUM_SAMPLES"

echo "== heal"
quorum_heal h1
check "healed: h1 pings h2 and c again" eval 'lab_ping h1 $(lab_addr h2) 3 && lab_ping h1 $(lab_addr c) 3'
check "no qcut table left in the switch" eval '! quorum_is_isolated h1'
ms=$(lab_wait_for 10000 eval '[ "$(lab_vip_holder $VIP)" = h2 ] && [ "$(db_writable_hosts)" = h2 ]')
check "after the heal the contest leaves h2 alone with the VIP and a writable server ($ms ms)" \
	eval '[ "$(lab_vip_holder $VIP)" = h2 ] && [ "$(db_writable_hosts)" = h2 ]'
quorum_sampler_stop
check "the sampler stopped" eval '[ -z "$QUORUM_SAMPLER_PID" ] && [ ! -e "$LAB_DIR/smoke.sampling" ]'
qw_stop_all
qw_report h2
miss=$(qw_missing h2)
echo "   without quorum, acknowledged writes missing on h2 after the heal: $miss (the isolated h1's)"
check "qw_missing counts over both writers' logs (a number: '$miss')" eval '[[ $miss =~ ^[0-9]+$ ]]'

echo "== [quorum] in this vigild"
if quorum_conf h1 150 2>"$LAB_DIR/quorum-conftest.txt"; then
	echo "   vigild -t accepts [quorum]"
else
	echo "   vigild -t refuses [quorum] (the daemon has no quorum yet?):"
	sed 's/^/   /' "$LAB_DIR/quorum-conftest.txt" | head -n 5
fi
check "root namespace links unchanged" test "$(root_links)" = "$ROOT_LINKS_BEFORE"
finish
