# SPDX-License-Identifier: GPL-2.0-or-later
# A two-node database lab: MariaDB primary on h1, its replica on h2 (and,
# with DB_NODES=3, a second replica on h3), a client host c, all on the
# netns lab. Source after vigil_lab.sh.
#
#   db_lab_up                 start the servers in their namespaces, make h2
#                             (h3) GTID replicas of h1, create the vigil check
#                             user (client files $LAB_DIR/h1.cnf, h2.cnf...)
#                             and the application user and table (appdb.w,
#                             AUTO_INCREMENT key); knobs below
#   db_vigil_conf HOST FILE [vigil_conf keys...] [ping=...] [lag=...] [inst=...]
#                             a vigil.ini for HOST with a mysql_ping check
#                             "ping" (and, with lag=1, a mysql_replication
#                             check "lag") tracked, credentials from HOST.cnf
#   db_via_vip SQL            run SQL from the client through the VIP, print
#                             the result (tab-separated, no headers)
#   db_server_id_via_vip      @@server_id of whoever answers on the VIP
#   db_dir HOST               the server directory of HOST ($LAB_DIR/db-HOST)
#   db_sql HOST SQL           SQL as root on HOST's own server
#   db_answers_via_vip ID     the server answering on the VIP has server_id ID
#   db_time_takeover T0 VIP_MAX CLI_MAX
#                             poll until h2 carries the VIP (5 ms polls, up to
#                             VIP_MAX ms after T0, epoch ms), then until a
#                             client through the VIP is served by h2 (10 ms
#                             polls, up to CLI_MAX ms after T0); sets t_vip and
#                             t_cli to those delays in ms (empty: never)
# Script checks whose verdict the test sets (not real slowness, noisy on a
# loaded 2-core machine):
#   db_verdict_setup          install the check program $BIN/verdict.sh: it
#                             exits with the code in the flag file named by
#                             its argument (0 when absent)
#   db_flag NAME CODE         what the script check reading
#                             $LAB_DIR/NAME.flag exits with (atomic rename)
#   db_add_script_check FILE CHECK FLAG DEGRADED_PENALTY [PENALTY]
#                             append a script check CHECK reading FLAG.flag
#                             (penalty PENALTY, default 100) to the vigil.ini
#                             FILE and add it to FILE's track line
# Servers listen on 0.0.0.0:3306 inside their namespaces (so on the VIP
# too); h1 has server_id 1, h2 server_id 2, h3 server_id 3.
#
# IPv6 (DB_FAMILY=6, set before sourcing this file): the same lab over
# IPv6. Every host also gets 2001:db8:1::N/64 (N: the last byte of its
# IPv4 address, so h1 2001:db8:1::11, c 2001:db8:1::13), the VIP is
# 2001:db8:1::100/64 (DB_VIP), servers listen on [::]:3306, replication,
# database_peers, the checks (host = ::1) and the clients use IPv6
# addresses only. Helpers that name the VIP's family:
#   db_addr HOST              HOST's database address (IPv4 or IPv6)
#   db_vip_holder / db_vip_held_by "H..." / db_vip_on HOST
#                             lab_vip_holder and friends for $DB_VIP
#
# Data safety (docs/data-safety.md; the ds_*.sh scenarios). Knobs read
# by db_lab_up (set them before the call; DB_PROFILE=ds sets every default
# below to its data-safety value, each knob still wins):
#   DB_NODES=2|3        3 adds h3 (198.18.0.14), a second replica of h1
#   DB_GTID_STRICT=0|1  gtid_strict_mode=ON (ds: 1)
#   DB_SEMISYNC=0|1     semi-sync both ways, AFTER_SYNC, timeout
#                       DB_SEMISYNC_TIMEOUT ms (5000), wait_no_slave ON
#                       (DB_SEMISYNC_WAIT_NO_SLAVE) (ds: 1)
#   DB_READ_ONLY_CNF=0|1 read_only=ON in every my.cnf (ds: 1, but 0 under
#                       DS_BASELINE=1: today's vigild never opens a server)
#   DB_VIGIL_PRIV       global grants of the vigil user (default SLAVE
#                       MONITOR; ds: SLAVE MONITOR, READ_ONLY ADMIN,
#                       REPLICATION SLAVE ADMIN, CONNECTION ADMIN, PROCESS)
#   DB_VIGIL_DB_PRIV    its grants on vigil.* (ds: SELECT, INSERT, CREATE)
# The application user (app) has ALL ON appdb.* and no global privilege:
# no READ ONLY ADMIN, so read_only stops it. The lab's own DDL runs as root
# (which has READ ONLY ADMIN through ALL PRIVILEGES), so it works with
# read_only=ON in my.cnf.
#   db_lab_reset              a second phase in the same lab: the writer and
#                             every server stopped, their datadirs, client
#                             files and VIP removed, VRRP unblocked (stop the
#                             vigilds first); db_lab_up again after it
#   db_hosts                  the database hosts (h1 h2 [h3])
#   db_probe HOST SQL         SQL as root on HOST's socket, at most ~2 s
#   db_read_only HOST         @@read_only of HOST's server (root socket);
#                             empty if it does not answer (within ~2 s)
#   db_set_read_only HOST 0|1 SET GLOBAL read_only on HOST's server
#   db_writable_count         how many servers answer with read_only = 0
#   db_writable_hosts         their hosts, space-separated
#   db_is_writable HOST / db_is_read_only HOST   for lab_wait_for
#   db_master_delay HOST SECS the replica HOST applies events SECS late
#   db_rejoin HOST PRIMARY    an old primary HOST becomes a GTID replica of
#                             PRIMARY (gtid_slave_pos = its binlog pos,
#                             MASTER_USE_GTID=slave_pos)
#   db_caught_up HOST PRIMARY HOST has applied all PRIMARY's binlog
#   db_slave HOST FIELD       one SHOW SLAVE STATUS field of HOST
#   db_mysqld_signal HOST SIG signal HOST's mysqld (by its pid file)
#   db_mysqld_restart HOST    start HOST's (stopped) server again, same
#                             datadir and my.cnf; waits until ready
#   db_freeze HOST VIGILD_PID SIGSTOP HOST's vigild, then its mysqld
#   db_thaw HOST VIGILD_PID   SIGCONT the vigild, then the mysqld
#   db_vip_clear              remove the VIP from every host (after kill -9)
#   db_ds_conf HOST PRIO [k=v...]  $LAB_DIR/HOST.ini for a data-safety
#                             scenario (see the function; DS_BASELINE=1
#                             leaves the data-safety keys out)
#   db_ds_start RUN PRIMARY [BACKUP...]  start the vigilds, PRIMARY first;
#                             waits for the VIP on PRIMARY with its server
#                             writable and for each backup's checks
#   db_ds_pair_up MIN [k=v...]  lab, h1 (150) and h2 (100) configs, both
#                             started, the writer acknowledged MIN by h1
#   db_watch N MS HOLDER      N samples MS apart: VIP holder and writable
#                             servers; prints "VIP_MISSES MULTI_WRITABLE
#                             ANY_WRITABLE" (sample counts)
# The writer (a bounded client on host c, through the VIP, as the app user):
#   db_writer_start [MAX_ATTEMPTS] [MAX_SECONDS]   start it (DB_WRITER_PID)
#   db_writer_stop            stop it by pid, wait (bounded) for its end
#   db_writer_wait_acked N MS [SID]   wait until N writes were acknowledged
#                             (by server SID)
#   db_writer_acked [SID] [SINCE_US]  acknowledged writes (by SID, since)
#   db_writer_missing HOST    acknowledged writes missing from HOST's table
#   db_writer_errors [CODE] [SINCE_US]  failed attempts (with that code:
#                             1290 read-only, 1062 duplicate key, 2002/2003
#                             connect, 2013 lost, timeout, ...)
#   db_writer_error_summary   "CODE:COUNT ..." over all failed attempts
#   db_writer_max_gap_ms [FROM_US [TO_US]]  longest time without an
#                             acknowledged write
#   db_writer_report HOST     print the figures (acknowledged, lost on HOST,
#                             errors, longest gap, VIP holder)
#   db_slow_write_start V SECS / db_slow_write_running HOST V /
#   db_slow_write_result V    one write that sleeps SECS in the server, to
#                             have a write in flight at a chosen moment

# shellcheck source=../lab/mariadb.sh
. "$here/../lab/mariadb.sh"

DB_FAMILY=${DB_FAMILY:-4}
if [ "$DB_FAMILY" = 6 ]; then
	DB_VIP=2001:db8:1::100 DB_VIP_PLEN=64 DB_BIND=:: DB_CHECK_HOST=::1
else
	DB_VIP=198.18.0.100 DB_VIP_PLEN=24 DB_BIND=0.0.0.0 DB_CHECK_HOST=127.0.0.1
fi
DB_APP_USER=app
DB_APP_PASSWORD=app-pw

db_dir() { printf '%s/db-%s\n' "$LAB_DIR" "$1"; }

# db_addr HOST: see the header.
db_addr() {
	local a
	a=$(lab_addr "$1") || return 1
	if [ "$DB_FAMILY" = 6 ]; then printf '2001:db8:1::%s\n' "${a##*.}"; else printf '%s\n' "$a"; fi
}

db_vip_holder() {
	if [ "$DB_FAMILY" = 6 ]; then lab_vip6_holder "$DB_VIP"; else lab_vip_holder "$DB_VIP"; fi
}
db_vip_held_by() { [ "$(db_vip_holder)" = "${1:-}" ]; }
# db_vip_on HOST: HOST carries the VIP, whoever else does (cheap: polled
# while timing a takeover).
db_vip_on() {
	local f=-4 w=inet
	[ "$DB_FAMILY" != 6 ] || f=-6 w=inet6
	[[ $(ip -n "$(lab_ns "$1")" $f -o addr show dev "$LAB_IFACE" 2>/dev/null) == *" $w $DB_VIP/"* ]]
}
db_sql() { mdb_sql "$(db_dir "$1")" "$2"; }

# _db_profile: fill every unset knob (see the header) from DB_PROFILE.
_db_profile() {
	local ds=0 ro=1
	[ "${DB_PROFILE:-}" = ds ] && ds=1
	[ "${DS_BASELINE:-0}" = 1 ] && ro=0
	DB_NODES=${DB_NODES:-2}
	DB_GTID_STRICT=${DB_GTID_STRICT:-$ds}
	DB_SEMISYNC=${DB_SEMISYNC:-$ds}
	DB_SEMISYNC_TIMEOUT=${DB_SEMISYNC_TIMEOUT:-5000}
	DB_SEMISYNC_WAIT_NO_SLAVE=${DB_SEMISYNC_WAIT_NO_SLAVE:-ON}
	DB_READ_ONLY_CNF=${DB_READ_ONLY_CNF:-$((ds && ro))}
	if [ "$ds" = 1 ]; then
		DB_VIGIL_PRIV=${DB_VIGIL_PRIV-SLAVE MONITOR, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, CONNECTION ADMIN, PROCESS}
		DB_VIGIL_DB_PRIV=${DB_VIGIL_DB_PRIV-SELECT, INSERT, CREATE}
	else
		DB_VIGIL_PRIV=${DB_VIGIL_PRIV-SLAVE MONITOR}
		DB_VIGIL_DB_PRIV=${DB_VIGIL_DB_PRIV-}
	fi
}

# _db_semisync_waits: semi-sync is on with wait_no_slave ON, so a server
# without a replica waits out the timeout at its first commit (see
# mdb_semisync_settle).
_db_semisync_waits() {
	[ "${DB_SEMISYNC:-0}" = 1 ] && [ "${DB_SEMISYNC_WAIT_NO_SLAVE:-ON}" = ON ]
}

db_hosts() { printf '%s\n' "${DB_HOSTS[*]}"; }

db_lab_up() {
	mdb_require
	_db_profile
	local h r replicas
	DB_HOSTS=(h1 h2)
	[ "$DB_NODES" = 3 ] && DB_HOSTS+=(h3)
	replicas=("${DB_HOSTS[@]:1}")
	# h1 .11, h2 .12, c .13 as always; h3 .14. A second db_lab_up in the
	# same lab (after db_lab_reset) keeps the hosts.
	for h in h1 h2 c; do
		[ -n "${LAB_ADDR[$h]+x}" ] || lab_add_host $h || return 1
	done
	if [ "$DB_NODES" = 3 ] && [ -z "${LAB_ADDR[h3]+x}" ]; then
		lab_add_host h3 198.18.0.14 || return 1
	fi
	if [ "$DB_FAMILY" = 6 ]; then
		for h in "${DB_HOSTS[@]}" c; do
			[[ $(ip -n "$(lab_ns $h)" -6 -o addr show dev "$LAB_IFACE") == *" $(db_addr $h)/"* ]] ||
				lab_add_addr6 $h "$(db_addr $h)/64" || return 1
		done
		# VRRP over IPv6 sends from the link-local addresses.
		lab_wait_ll 5000 "${DB_HOSTS[@]}" c >/dev/null || {
			echo "db_lab_up: no usable link-local addresses" >&2
			return 1
		}
	fi
	for h in "${DB_HOSTS[@]}"; do
		mdb_init "$(db_dir $h)" &&
			MDB_GTID_STRICT=$DB_GTID_STRICT MDB_SEMISYNC=$DB_SEMISYNC \
			MDB_SEMISYNC_TIMEOUT=$DB_SEMISYNC_TIMEOUT \
			MDB_SEMISYNC_WAIT_NO_SLAVE=$DB_SEMISYNC_WAIT_NO_SLAVE \
			MDB_READ_ONLY=$DB_READ_ONLY_CNF \
			MDB_SERVER_ID=${h#h} mdb_start "$(db_dir $h)" "$(lab_ns $h)" 3306 "$DB_BIND" || {
			echo "db_lab_up: cannot start MariaDB on $h" >&2
			return 1
		}
		# The lab's teardown kills it too, should the shell die first.
		lab_track "$(mdb_pid "$(db_dir $h)")" "$h" mariadbd || return 1
		# Every server may become a primary: each has the replication
		# user (created locally, not replicated).
		mdb_add_repl_user "$(db_dir $h)" || return 1
	done
	for r in "${replicas[@]}"; do
		# A replica's SQL thread would wait out the semi-sync timeout at
		# its first applied event (see mdb_semisync_settle).
		! _db_semisync_waits || mdb_semisync_settle "$(db_dir $r)" || return 1
		mdb_make_replica "$(db_dir $r)" "$(db_dir h1)" "$(db_addr h1)" 3306 || return 1
	done
	# Made on the primary, replicated to the replicas.
	mdb_add_vigil_user "$(db_dir h1)" % "$DB_VIGIL_PRIV" "$LAB_DIR/h1.cnf" || return 1
	if [ -n "$DB_VIGIL_DB_PRIV" ]; then
		db_sql h1 "GRANT $DB_VIGIL_DB_PRIV ON vigil.* TO '$MDB_VIGIL_USER'@'%'" || return 1
	fi
	for r in "${replicas[@]}"; do cp -p "$LAB_DIR/h1.cnf" "$LAB_DIR/$r.cnf"; done
	db_sql h1 "CREATE DATABASE appdb;
		CREATE TABLE appdb.w (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL,
			server_id INT NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT NOW(6));
		CREATE USER '$DB_APP_USER'@'%' IDENTIFIED BY '$DB_APP_PASSWORD';
		GRANT ALL ON appdb.* TO '$DB_APP_USER'@'%'" || return 1
	(umask 077; printf '[client]\nuser=%s\npassword=%s\nconnect-timeout=1\n' \
		"$DB_APP_USER" "$DB_APP_PASSWORD" >"$LAB_DIR/app.cnf")
	# Wait (bounded) until the replicas have the user and the table.
	for r in "${replicas[@]}"; do
		lab_wait_for 10000 db_sql $r "SELECT 1 FROM appdb.w LIMIT 0" >/dev/null || {
			echo "db_lab_up: the replica $r did not catch up" >&2
			return 1
		}
		if _db_semisync_waits; then
			MDB_SEMISYNC_TIMEOUT=$DB_SEMISYNC_TIMEOUT mdb_semisync_restore "$(db_dir $r)" ||
				echo "db_lab_up: $r's semi-sync master side is still on" >&2
		fi
	done
	if [ "$DB_SEMISYNC" = 1 ] &&
	   [ "$(mdb_status "$(db_dir h1)" Rpl_semi_sync_master_status)" != ON ]; then
		echo "db_lab_up: semi-sync is not on at the primary h1" >&2
		return 1
	fi
	return 0
}

# db_lab_reset: see the header. Stop the vigilds first (vigil_term).
db_lab_reset() {
	local h
	[ -z "${DB_WRITER_PID:-}" ] || db_writer_stop
	for h in "${DB_HOSTS[@]}"; do
		MDB_STOP_TIMEOUT_MS=3000 mdb_stop "$(db_dir $h)" KILL
		rm -rf "$(db_dir $h)" "$LAB_DIR/$h.cnf"
	done
	rm -f "$LAB_DIR/app.cnf"
	db_vip_clear
	for h in "${LAB_HOSTS[@]}"; do
		lab_exec "$h" nft delete table inet lab_vrrp_pair 2>/dev/null || true
	done
	return 0
}

# db_vigil_conf HOST FILE [key=value...]: vigil_conf keys, plus
#   ping=KEYS  extra lines for [check ping] (";"-separated key = value)
#   lag=1      also track a mysql_replication check "lag"
#   lagkeys=KEYS extra lines for [check lag]
#   inst=KEYS  extra lines for the instance, after its track line
#              (";"-separated), e.g. "manage_read_only = yes;role_check = ping"
db_vigil_conf() {
	local host=$1 file=$2 kv ping='' lag=0 lagkeys='' inst='' rest=() tail track
	shift 2
	for kv in "$@"; do
		case $kv in
		ping=*) ping=${kv#ping=} ;;
		lag=*) lag=${kv#lag=} ;;
		lagkeys=*) lagkeys=${kv#lagkeys=} ;;
		inst=*) inst=${kv#inst=} ;;
		*) rest+=("$kv") ;;
		esac
	done
	tail=$(printf '[check ping]\ntype = mysql_ping\nhost = %s\nport = 3306\n%s' \
		"$DB_CHECK_HOST" "$(tr ';' '\n' <<<"$ping")")
	track="track = ping"
	if [ "$lag" = 1 ]; then
		tail+=$(printf '\n\n[check lag]\ntype = mysql_replication\nhost = %s\nport = 3306\n%s' \
			"$DB_CHECK_HOST" "$(tr ';' '\n' <<<"$lagkeys")")
		track="track = ping, lag"
	fi
	[ -z "$inst" ] || track+=$'\n'$(tr ';' '\n' <<<"$inst")
	vigil_conf "$file" router_id="$host" vips="$DB_VIP/$DB_VIP_PLEN" \
		global_extra="mysql_defaults_file = $LAB_DIR/$host.cnf" \
		extra="$track" tail="$tail" "${rest[@]}"
}

db_via_vip() {
	lab_exec c "$MDB_CLIENT" --defaults-file="$LAB_DIR/app.cnf" -h "$DB_VIP" -P 3306 \
		-N -B -e "$1" 2>/dev/null
}

db_server_id_via_vip() { db_via_vip "SELECT @@server_id"; }

# db_answers_via_vip ID: the server answering on the VIP has server_id ID.
db_answers_via_vip() { [ "$(db_server_id_via_vip)" = "$1" ]; }

# db_time_takeover T0 VIP_MAX CLI_MAX: see the header. Bounded polls; the
# VIP comes first, the client can only follow. t_vip and t_cli are its
# results, read by the caller.
# shellcheck disable=SC2034
db_time_takeover() {
	local t0=$1
	t_vip=
	while [ $(($(now_ms) - t0)) -lt "$2" ]; do
		if db_vip_on h2; then t_vip=$(($(now_ms) - t0)); break; fi
		sleep 0.005
	done
	t_cli=
	while [ $(($(now_ms) - t0)) -lt "$3" ]; do
		if db_answers_via_vip 2; then t_cli=$(($(now_ms) - t0)); break; fi
		sleep 0.01
	done
}

# db_verdict_setup: the script check's program. It must be root-owned and
# not writable by group/others, in such a directory (checks/script.h):
# $LAB_DIR is a 0700 root mktemp dir under the sticky /tmp, and bin/ is
# made 0755. Sets BIN.
db_verdict_setup() {
	BIN=$LAB_DIR/bin
	mkdir -m 0755 "$BIN" || return 1
	cat >"$BIN/verdict.sh" <<'EOF'
#!/bin/sh
# Test check: exit with the code in the flag file $1 (0 when absent).
code=0
[ -r "$1" ] && read -r code <"$1"
exit "${code:-0}"
EOF
	chmod 0755 "$BIN/verdict.sh"
}

# db_flag NAME CODE: what the script check reading $LAB_DIR/NAME.flag exits
# with. Written aside and renamed: the check never reads half a file.
db_flag() { printf '%s\n' "$2" >"$LAB_DIR/$1.flag.tmp" && mv "$LAB_DIR/$1.flag.tmp" "$LAB_DIR/$1.flag"; }

# db_add_script_check FILE CHECK FLAG DEGRADED_PENALTY [PENALTY]: append a
# tracked script check CHECK reading $LAB_DIR/FLAG.flag to FILE (which must
# have a "track = ..." line).
db_add_script_check() {
	printf '\n[check %s]\ntype = script\ncommand = %s %s\npenalty = %s\ndegraded_penalty = %s\n' \
		"$2" "$BIN/verdict.sh" "$LAB_DIR/$3.flag" "${5:-100}" "$4" >>"$1"
	sed -i -E "s/^(track = .*)$/\1, $2/" "$1"
}

# ---------------------------------------------------------------------------
# Data safety helpers (see the header)

# db_probe HOST SQL: SQL as root on HOST's socket, bounded to ~2 s in all
# (a SIGSTOPped server accepts the connection and never answers).
db_probe() {
	timeout -k 1 2 "$MDB_CLIENT" --defaults-file="$(db_dir "$1")/root.cnf" --connect-timeout=1 \
		-N -B -e "$2" 2>/dev/null
}

db_read_only() { db_probe "$1" "SELECT @@global.read_only"; }
db_set_read_only() { db_sql "$1" "SET GLOBAL read_only = $2"; }
db_is_writable() { [ "$(db_read_only "$1")" = 0 ]; }
db_is_read_only() { [ "$(db_read_only "$1")" = 1 ]; }

# db_writable_hosts: the database hosts whose server answers read_only = 0.
db_writable_hosts() {
	local h out=()
	for h in "${DB_HOSTS[@]}"; do
		[ "$(db_read_only "$h")" != 0 ] || out+=("$h")
	done
	printf '%s\n' "${out[*]}"
}

# db_writable_count: how many servers answer read_only = 0.
db_writable_count() {
	local w
	w=$(db_writable_hosts)
	set -- $w
	printf '%s\n' $#
}

db_slave() { mdb_slave_field "$(db_dir "$1")" "$2"; }

# db_master_delay HOST SECS: HOST's replication applies each event SECS
# after its primary wrote it (the IO thread, and so semi-sync acks, are not
# delayed). Waits (bounded 10 s) for the IO thread to reconnect.
db_master_delay() {
	db_sql "$1" "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = $2; START SLAVE" || return 1
	lab_wait_for 10000 eval "[ \"\$(db_slave $1 Slave_IO_Running)\" = Yes ]" >/dev/null
}

# db_rejoin HOST PRIMARY: HOST (an old primary, or any server) becomes a GTID
# replica of PRIMARY: its gtid_slave_pos is set to its own binlog position
# (what it has, as a primary, written), then MASTER_USE_GTID=slave_pos.
# With gtid_strict_mode a HOST holding transactions PRIMARY lacks fails
# here (IO thread error 1236): that is a divergence to reconcile by hand.
# With semi-sync, HOST's own master side is settled first (see
# mdb_semisync_settle; db_caught_up restores it).
db_rejoin() {
	local host=$1 primary=$2
	db_sql "$host" "STOP SLAVE; SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos" || return 1
	! _db_semisync_waits || mdb_semisync_settle "$(db_dir "$host")" || return 1
	mdb_make_replica "$(db_dir "$host")" "$(db_dir "$primary")" "$(db_addr "$primary")" 3306
}

# db_caught_up HOST PRIMARY: HOST has applied everything in PRIMARY's binlog
# (MASTER_GTID_WAIT with a zero timeout). With semi-sync, restores HOST's
# semi-sync timeout once (see db_rejoin).
db_caught_up() {
	local pos r
	pos=$(db_sql "$2" "SELECT @@global.gtid_binlog_pos") || return 1
	r=$(db_sql "$1" "SELECT MASTER_GTID_WAIT('$pos', 0)") || return 1
	[ "$r" = 0 ] || return 1
	if _db_semisync_waits &&
	   [ "$(mdb_var "$(db_dir "$1")" rpl_semi_sync_master_timeout)" = 10 ]; then
		MDB_SEMISYNC_TIMEOUT=${DB_SEMISYNC_TIMEOUT:-5000} mdb_semisync_restore "$(db_dir "$1")" 2000 || true
	fi
	return 0
}

# db_mysqld_signal HOST SIG: send SIG to HOST's mysqld (pid file). 1 if none.
db_mysqld_signal() {
	local p
	p=$(mdb_pid "$(db_dir "$1")") || return 1
	kill -s "$2" "$p"
}

# db_mysqld_restart HOST: start HOST's stopped server again (same datadir,
# my.cnf and server_id); waits until it answers; tracked for teardown.
db_mysqld_restart() {
	MDB_SERVER_ID=${1#h} mdb_start "$(db_dir "$1")" "$(lab_ns "$1")" 3306 "$DB_BIND" || return 1
	lab_track "$(mdb_pid "$(db_dir "$1")")" "$1" mariadbd
}

# db_freeze HOST VIGILD_PID: SIGSTOP HOST's vigild, then its mysqld (a
# frozen host: the kernel still completes TCP handshakes).
db_freeze() {
	lab_kill "$2" STOP && db_mysqld_signal "$1" STOP
}

# db_thaw HOST VIGILD_PID: SIGCONT the vigild first, then the mysqld. For
# an observed event between the two, call lab_kill PID CONT and
# db_mysqld_signal HOST CONT yourself.
db_thaw() {
	lab_kill "$2" CONT && db_mysqld_signal "$1" CONT
}

# db_vip_clear: remove $DB_VIP from every host (a vigild killed with -9
# leaves it on the interface).
db_vip_clear() {
	local h
	for h in "${LAB_HOSTS[@]}"; do
		ip -n "$(lab_ns "$h")" addr del "$DB_VIP/$DB_VIP_PLEN" dev "$LAB_IFACE" 2>/dev/null || true
	done
	return 0
}

# db_ds_peers HOST: the other database hosts' addresses, comma-separated
# (IPv6: [ADDR]:3306).
db_ds_peers() {
	local h out=()
	for h in "${DB_HOSTS[@]}"; do
		[ "$h" != "$1" ] || continue
		if [ "$DB_FAMILY" = 6 ]; then out+=("[$(db_addr "$h")]:3306"); else out+=("$(db_addr "$h")"); fi
	done
	local IFS=,
	printf '%s\n' "${out[*]}"
}

# db_ds_conf HOST PRIORITY [key=value...]: write $LAB_DIR/HOST.ini for a
# data-safety scenario: db_vigil_conf with 100 ms adverts, preempt = yes,
# the ping check every 100 ms (timeout 400ms, slow 300ms), and the
# data-safety instance keys
#   manage_read_only = yes, role_check = ping,
#   database_peers = the other DB hosts' addresses,
#   witness_timeout = 200ms (must stay below 3 advert intervals: 300 ms)
# key=value: db_vigil_conf/vigil_conf keys (preempt=no, lag=1, ...; later
# ones win) and ds=KEYS, more data-safety lines (";"-separated). Under
# DS_BASELINE=1 every data-safety line is left out: today's vigild, to show
# what the scenario loses without them. The config must pass vigild -t.
db_ds_conf() {
	local host=$1 prio=$2 kv ds='' args=()
	shift 2
	for kv in "$@"; do
		case $kv in
		ds=*) ds=${kv#ds=} ;;
		*) args+=("$kv") ;;
		esac
	done
	local inst peers
	peers=$(db_ds_peers "$host")
	inst="manage_read_only = yes;role_check = ping;database_peers = $peers;witness_timeout = 200ms"
	[ -z "$ds" ] || inst+=";$ds"
	[ "${DS_BASELINE:-0}" != 1 ] || inst=
	db_vigil_conf "$host" "$LAB_DIR/$host.ini" priority="$prio" preempt=yes advert_interval=100ms \
		ping="interval = 100ms;timeout = 400ms;slow = 300ms" ${inst:+inst="$inst"} "${args[@]}" || return 1
	"$VIGILD" -t -f "$LAB_DIR/$host.ini" >/dev/null || {
		echo "db_ds_conf: $host.ini refused by vigild -t:" >&2
		sed 's/^/  /' "$LAB_DIR/$host.ini" >&2
		return 1
	}
}

# db_watch N MS HOLDER: N samples, one every MS (on a fixed schedule: a
# slow sample shortens the next pause): is the VIP on HOLDER alone ("" =
# nobody), and which servers are writable. Prints "MISSES MULTI WRITABLE":
# samples where the VIP was elsewhere (or on several hosts), samples with
# more than one writable server, samples with at least one. Each sample is
# appended to $LAB_DIR/watch.log ("epoch_ms holder=... writable=...").
db_watch() {
	local n=$1 ms=$2 want=$3 i miss=0 multi=0 any=0 holder w t0 left
	t0=$(now_ms)
	for ((i = 0; i < n; i++)); do
		holder=$(db_vip_holder)
		w=$(db_writable_hosts)
		[ "$holder" = "$want" ] || miss=$((miss + 1))
		set -- $w
		[ $# -le 1 ] || multi=$((multi + 1))
		[ $# -eq 0 ] || any=$((any + 1))
		printf '%s holder=%s writable=%s\n' "$(now_ms)" "${holder// /,}" "${w// /,}" >>"$LAB_DIR/watch.log"
		left=$((t0 + (i + 1) * ms - $(now_ms)))
		[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
	done
	printf '%s %s %s\n' "$miss" "$multi" "$any"
}

# --- the writer --------------------------------------------------------------
#
# A bash script on host c (one `mariadb` client per attempt, a fresh
# connection through the VIP as the app user). Every DB_WRITER_TICK_MS
# (default 50) it starts one attempt, unless DB_WRITER_PAR (default 4) are
# still running; each attempt is bounded by DB_WRITER_TIMEOUT_S (default 10,
# above the semi-sync timeout, so a write waiting for its replica is seen
# through) and runs
#   INSERT INTO appdb.w (v, server_id) VALUES (V, @@server_id)
#       RETURNING server_id, id
# with a unique V. The client prints the row only after the server's final
# OK (sent after the commit, and so after the semi-sync ack): a printed row
# is an acknowledged write. One line per attempt in $DB_WRITER_LOG:
#   V START_US END_US ok SERVER_ID ID
#   V START_US END_US err CODE        (MySQL error number, timeout, stopped,
#                                      or rcN; the message goes to LOG.errors)
# It stops after MAX_ATTEMPTS, MAX_SECONDS, or SIGTERM (db_writer_stop),
# which also ends the attempts still running (by pid).

DB_WRITER_RUN=0

_db_writer_script() {
	cat >"$LAB_DIR/writer.sh" <<'WRITER'
#!/bin/bash
# writer.sh CLIENT CNF VIP LOG BASE MAX_ATTEMPTS MAX_SECONDS TICK_MS PAR TIMEOUT_S
client=$1 cnf=$2 vip=$3 log=$4 base=$5 max=$6 secs=$7 tick=$8 par=$9 to=${10}
tmpdir=$log.d
mkdir -p "$tmpdir"
stop=0
trap 'stop=1' TERM INT
us() { local t=${EPOCHREALTIME//[!0-9]/}; T=$((10#$t)); }

attempt() {
	local v=$1 t0 t1 rc out code tpid='' stopped=0 tmp=$tmpdir/$1
	trap 'stopped=1; [ -z "$tpid" ] || kill -TERM "$tpid" 2>/dev/null' TERM
	us; t0=$T
	timeout -k 1 "$to" "$client" --defaults-file="$cnf" -h "$vip" -P 3306 -N -B -e \
		"INSERT INTO appdb.w (v, server_id) VALUES ($v, @@server_id) RETURNING server_id, id" \
		>"$tmp" 2>&1 &
	tpid=$!
	wait "$tpid"; rc=$?
	# A TERM interrupts wait: reap the client (timeout ends it).
	[ "$stopped" = 0 ] || { wait "$tpid"; rc=stopped; }
	us; t1=$T
	out=$(<"$tmp")
	rm -f "$tmp"
	if [ "$rc" = 0 ] && [[ $out =~ ^([0-9]+)[[:space:]]+([0-9]+)$ ]]; then
		printf '%s %s %s ok %s %s\n' "$v" "$t0" "$t1" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" >>"$log"
		return 0
	fi
	if [ "$rc" = stopped ]; then code=stopped
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then code=timeout
	elif [[ $out =~ ERROR\ ([0-9]+) ]]; then code=${BASH_REMATCH[1]}
	else code=rc$rc
	fi
	printf '%s %s %s err %s\n' "$v" "$t0" "$t1" "$code" >>"$log"
	# The client echoes the statement before "ERROR ..." in batch mode.
	[[ $out != *ERROR* ]] || out=ERROR${out#*ERROR}
	printf '%s %s %s\n' "$v" "$code" "${out//$'\n'/ }" >>"$log.errors"
}

us; end=$((T + secs * 1000000))
n=0
sleep_s=$(printf '%d.%03d' $((tick / 1000)) $((tick % 1000)))
while [ "$stop" = 0 ] && [ "$n" -lt "$max" ]; do
	us; [ "$T" -lt "$end" ] || break
	running=$(jobs -rp | wc -l)
	if [ "$running" -lt "$par" ]; then
		n=$((n + 1))
		attempt $((base + n)) &
	fi
	sleep "$sleep_s"
done
# End the attempts still running (by pid), wait for them (bounded).
for p in $(jobs -rp); do kill -TERM "$p" 2>/dev/null; done
for _ in $(seq 1 150); do
	[ -n "$(jobs -rp)" ] || break
	sleep 0.02
done
wait
rmdir "$tmpdir" 2>/dev/null
echo "writer: $n attempts"
WRITER
}

# db_writer_start [MAX_ATTEMPTS] [MAX_SECONDS]: start the writer on c
# (defaults 3000 attempts, 60 s). Sets DB_WRITER_PID, DB_WRITER_LOG (a new
# file per run: writer.RUN.attempts) and DB_WRITER_T0 (epoch us). Values are
# RUN * 100000 + attempt number.
db_writer_start() {
	local max=${1:-3000} secs=${2:-60}
	[ -f "$LAB_DIR/writer.sh" ] || _db_writer_script
	DB_WRITER_RUN=$((DB_WRITER_RUN + 1))
	DB_WRITER_LOG=$LAB_DIR/writer.$DB_WRITER_RUN.attempts
	: >"$DB_WRITER_LOG"
	DB_WRITER_T0=$(_lab_now_us)
	lab_spawn c "writer.$DB_WRITER_RUN.out" bash "$LAB_DIR/writer.sh" "$MDB_CLIENT" \
		"$LAB_DIR/app.cnf" "$DB_VIP" "$DB_WRITER_LOG" $((DB_WRITER_RUN * 100000)) \
		"$max" "$secs" "${DB_WRITER_TICK_MS:-50}" "${DB_WRITER_PAR:-4}" \
		"${DB_WRITER_TIMEOUT_S:-10}" >/dev/null || return 1
	DB_WRITER_PID=$LAB_PID
}

# db_writer_stop: SIGTERM the writer and wait (bounded 5 s) for its end.
db_writer_stop() {
	[ -n "${DB_WRITER_PID:-}" ] || return 0
	lab_kill "$DB_WRITER_PID" TERM
	lab_wait_for 5000 lab_pid_gone "$DB_WRITER_PID" >/dev/null ||
		echo "db_writer_stop: the writer ($DB_WRITER_PID) did not stop" >&2
	DB_WRITER_PID=
}

# db_writer_acked [SID] [SINCE_US]: acknowledged writes (by server SID, ""
# for any; acknowledged at or after SINCE_US).
db_writer_acked() {
	awk -v sid="${1:-}" -v since="${2:-0}" \
		'$4 == "ok" && (sid == "" || $5 == sid) && $3 >= since { n++ } END { print n + 0 }' \
		"$DB_WRITER_LOG"
}

# db_writer_wait_acked N MS [SID]: wait (bounded, MS) until at least N writes
# were acknowledged (by SID); prints the elapsed ms, returns lab_wait_for's.
db_writer_wait_acked() {
	lab_wait_for "$2" eval "[ \"\$(db_writer_acked '${3:-}')\" -ge $1 ]"
}

# db_writer_errors [CODE] [SINCE_US]: failed attempts (with CODE; "" = any).
db_writer_errors() {
	awk -v code="${1:-}" -v since="${2:-0}" \
		'$4 == "err" && (code == "" || $5 == code) && $3 >= since { n++ } END { print n + 0 }' \
		"$DB_WRITER_LOG"
}

# db_writer_error_summary: "CODE:COUNT ..." of the failed attempts ("none").
db_writer_error_summary() {
	awk '$4 == "err" { n[$5]++ } END { s = ""; for (c in n) s = s (s == "" ? "" : " ") c ":" n[c];
		print (s == "" ? "none" : s) }' "$DB_WRITER_LOG"
}

# db_writer_missing HOST: how many acknowledged writes HOST's appdb.w lacks
# (their values are listed in $LAB_DIR/missing.HOST.txt). "" (and 1) if
# HOST's server does not answer.
db_writer_missing() {
	local have=$LAB_DIR/have.$1.txt
	db_sql "$1" "SELECT v FROM appdb.w" >"$have" || { echo; return 1; }
	# FILENAME, not NR == FNR: the first file may be empty.
	awk 'FILENAME == ARGV[1] { have[$1] = 1; next } $4 == "ok" && !($1 in have) { print $1 }' \
		"$have" "$DB_WRITER_LOG" >"$LAB_DIR/missing.$1.txt"
	wc -l <"$LAB_DIR/missing.$1.txt"
}

# db_writer_max_gap_ms [FROM_US [TO_US]]: the longest time without an
# acknowledged write between FROM_US (default: the first acknowledgment,
# or the first attempt if none) and TO_US (default: the end of the last
# attempt), in ms.
db_writer_max_gap_ms() {
	local first last
	read -r first last < <(awk 'NR == 1 || $2 < f { f = $2 } $3 > m { m = $3 }
		END { print f + 0, m + 0 }' "$DB_WRITER_LOG")
	# The acknowledgment times in order, then the longest step between
	# FROM, them and TO (no acknowledgment at all: the whole run).
	awk '$4 == "ok" { print $3 }' "$DB_WRITER_LOG" | sort -n |
		awk -v from="${1:-}" -v to="${2:-$last}" -v first="$first" '
		{ ack[n++] = $1 }
		END {
			if (from == "") from = (n > 0 ? ack[0] : first)
			prev = from; gap = 0
			for (i = 0; i < n; i++) {
				if (ack[i] < from || ack[i] > to) continue
				if (ack[i] - prev > gap) gap = ack[i] - prev
				prev = ack[i]
			}
			if (to - prev > gap) gap = to - prev
			printf "%d\n", gap / 1000
		}'
}

# db_writer_report HOST: one line of figures for the scenario's output.
db_writer_report() {
	local sids s per=''
	sids=$(awk '$4 == "ok" { print $5 }' "$DB_WRITER_LOG" | sort -n | uniq -c |
		awk '{ printf "%s%s: %s", (NR > 1 ? ", " : ""), "server " $2, $1 }')
	printf '  figures: %s acknowledged writes (%s); lost on %s: %s; errors: %s; longest time without a write: %s ms; VIP on: %s\n' \
		"$(db_writer_acked)" "${sids:-none}" "$1" "$(db_writer_missing "$1")" \
		"$(db_writer_error_summary)" "$(db_writer_max_gap_ms)" "$(db_vip_holder)"
}

# db_ds_start RUN PRIMARY [BACKUP...]: start PRIMARY's vigild (vigil_run
# HOST RUN, on $LAB_DIR/HOST.ini), wait (bounded 10 s) until it holds the
# VIP alone and its server is writable, then start each BACKUP's and wait
# (bounded 10 s each) until it logged all its checks ok. The pids land in
# the variables named like the hosts. Returns 1 (reason on stderr) if a
# wait ran out.
db_ds_start() {
	local run=$1 p=$2 h ms
	shift 2
	vigil_run "$p" "$run"
	ms=$(lab_wait_for 10000 eval "db_vip_held_by $p && db_is_writable $p") || {
		echo "db_ds_start: $p does not hold the VIP with a writable server after $ms ms" \
			"(VIP on '$(db_vip_holder)', read_only=$(db_read_only "$p"))" >&2
		return 1
	}
	for h in "$@"; do vigil_run "$h" "$run"; done
	for h in "$@"; do
		ms=$(lab_wait_for 10000 vigil_log_has "$h.vigild.log" 'all checks ok') || {
			echo "db_ds_start: $h's checks did not pass within $ms ms" >&2
			return 1
		}
	done
	return 0
}

# db_slow_write_start V SECS: one more write through the VIP from c, apart
# from the writer: INSERT of value V that sleeps SECS inside the server
# before it inserts (INSERT ... SELECT ... SLEEP), bounded by 20 s. So a
# write can be in flight at a chosen moment (e.g. when its server is
# frozen). Sets DB_SLOW_PID; the client's output goes to $LAB_DIR/slow.V.out.
db_slow_write_start() {
	lab_spawn c "slow.$1.out" timeout -k 1 20 "$MDB_CLIENT" --defaults-file="$LAB_DIR/app.cnf" \
		-h "$DB_VIP" -P 3306 -N -B -e "INSERT INTO appdb.w (v, server_id)
			SELECT $1, @@server_id FROM (SELECT SLEEP($2)) AS s RETURNING server_id, id" >/dev/null || return 1
	DB_SLOW_PID=$LAB_PID
}

# db_slow_write_running HOST V: HOST's server runs the slow write of V.
db_slow_write_running() {
	[ "$(db_probe "$1" "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE USER = '$DB_APP_USER' AND INFO LIKE '%SELECT $2, @@server_id%'")" -ge 1 ] 2>/dev/null
}

# db_slow_write_result V: "running" while its client runs, then "ok SID"
# (acknowledged by server SID) or "err CODE".
db_slow_write_result() {
	local out
	if [ -n "${DB_SLOW_PID:-}" ] && lab_pid_alive "$DB_SLOW_PID"; then echo running; return 0; fi
	out=$(<"$LAB_DIR/slow.$1.out")
	if [[ $out =~ ^([0-9]+)[[:space:]]+[0-9]+$ ]]; then echo "ok ${BASH_REMATCH[1]}"
	elif [[ $out =~ ERROR\ ([0-9]+) ]]; then echo "err ${BASH_REMATCH[1]}"
	else echo "err ?"
	fi
}


# db_ds_pair_up MIN_ACKED [k=v...]: the usual start of a two-node scenario:
# the lab, h1 (150) and h2 (100) configured with db_ds_conf (extra keys
# passed on to both), h1 master with its server writable, h2 its backup,
# the writer running, and MIN_ACKED of its writes acknowledged by h1.
# Exits the scenario on failure.
db_ds_pair_up() {
	local min=$1
	shift
	db_lab_up || exit 1
	db_ds_conf h1 150 "$@" || exit 1
	db_ds_conf h2 100 "$@" || exit 1
	echo "== start: h1 primary (150), h2 replica (100)"
	db_ds_start run1 h1 h2 || exit 1
	db_writer_start 3000 60 || exit 1
	db_writer_wait_acked "$min" 5000 1 >/dev/null || {
		echo "the writer gets no acknowledgment from h1" >&2
		exit 1
	}
}

# db_ka_tutorial_conf HOST FILE: keepalived for HOST (h1 at priority 150,
# else 100) as the tutorials configure it beside MySQL, and as the
# benchmark's ka-tutorial setup runs it (test/bench/RESULTS.md): VRRPv2,
# 1 s adverts, a vrrp_script running mysqladmin ping every 2 s, fall 3,
# rise 2, weight -60, the VIP $DB_VIP. Needs test/lab/keepalived.sh.
db_ka_tutorial_conf() {
	local h=$1 f=$2 prio=100 script=$LAB_DIR/ka/check_mysql_$1.sh
	[ "$h" = h1 ] && prio=150
	mkdir -p -m 0755 "$LAB_DIR/ka"
	cat >"$script" <<-EOF
	#!/bin/sh
	# keepalived vrrp_script: is the local MySQL server alive?
	/usr/bin/mysqladmin --defaults-extra-file=$LAB_DIR/$h.cnf -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1
	EOF
	chmod 755 "$script"
	# global_extra closes global_defs early to put the vrrp_script between
	# it and the instance, as tutorials (and run.sh) do.
	keepalived_conf "$f" router_id="$h" priority="$prio" version=2 advert_int=1 \
		vips="$DB_VIP/24" \
		global_extra="$(printf '}\n\nvrrp_script chk_mysql {\n    script "%s"\n    interval 2\n    fall 3\n    rise 2\n    weight -60' "$script")" \
		instance_extra="$(printf '    track_script {\n        chk_mysql\n    }')"
}
