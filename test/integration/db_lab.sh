# SPDX-License-Identifier: GPL-2.0-or-later
# A two-node database lab: MariaDB primary on h1, its replica on h2, a
# client host c, all on the netns lab. Source after vigil_lab.sh.
#
#   db_lab_up                 start both servers in their namespaces, make h2
#                             a GTID replica of h1, create the vigil check
#                             user (client files $LAB_DIR/h1.cnf, h2.cnf) and
#                             the application user and table (appdb.w)
#   db_vigil_conf HOST FILE [vigil_conf keys...] [ping=...] [lag=...]
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
# too); h1 has server_id 1, h2 server_id 2.

# shellcheck source=../lab/mariadb.sh
. "$here/../lab/mariadb.sh"

DB_VIP=198.18.0.100
DB_APP_USER=app
DB_APP_PASSWORD=app-pw

db_dir() { printf '%s/db-%s\n' "$LAB_DIR" "$1"; }
db_sql() { mdb_sql "$(db_dir "$1")" "$2"; }

db_lab_up() {
	mdb_require
	lab_add_host h1 && lab_add_host h2 && lab_add_host c || return 1
	local h
	for h in h1 h2; do
		MDB_SERVER_ID=${h#h} mdb_init "$(db_dir $h)" &&
			MDB_SERVER_ID=${h#h} mdb_start "$(db_dir $h)" "$(lab_ns $h)" 3306 0.0.0.0 || {
			echo "db_lab_up: cannot start MariaDB on $h" >&2
			return 1
		}
		# The lab's teardown kills it too, should the shell die first.
		lab_track "$(mdb_pid "$(db_dir $h)")" "$h" mariadbd || return 1
	done
	mdb_make_replica "$(db_dir h2)" "$(db_dir h1)" "$(lab_addr h1)" 3306 || return 1
	# Made on the primary, replicated to the replica.
	mdb_add_vigil_user "$(db_dir h1)" % "SLAVE MONITOR" "$LAB_DIR/h1.cnf" || return 1
	cp -p "$LAB_DIR/h1.cnf" "$LAB_DIR/h2.cnf"
	db_sql h1 "CREATE DATABASE appdb;
		CREATE TABLE appdb.w (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL,
			server_id INT NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT NOW(6));
		CREATE USER '$DB_APP_USER'@'%' IDENTIFIED BY '$DB_APP_PASSWORD';
		GRANT ALL ON appdb.* TO '$DB_APP_USER'@'%'" || return 1
	(umask 077; printf '[client]\nuser=%s\npassword=%s\nconnect-timeout=1\n' \
		"$DB_APP_USER" "$DB_APP_PASSWORD" >"$LAB_DIR/app.cnf")
	# Wait (bounded) until the replica has the user and the table.
	lab_wait_for 10000 db_sql h2 "SELECT 1 FROM appdb.w LIMIT 0" >/dev/null || {
		echo "db_lab_up: the replica did not catch up" >&2
		return 1
	}
}

# db_vigil_conf HOST FILE [key=value...]: vigil_conf keys, plus
#   ping=KEYS  extra lines for [check ping] (";"-separated key = value)
#   lag=1      also track a mysql_replication check "lag"
#   lagkeys=KEYS extra lines for [check lag]
db_vigil_conf() {
	local host=$1 file=$2 kv ping='' lag=0 lagkeys='' rest=() tail track
	shift 2
	for kv in "$@"; do
		case $kv in
		ping=*) ping=${kv#ping=} ;;
		lag=*) lag=${kv#lag=} ;;
		lagkeys=*) lagkeys=${kv#lagkeys=} ;;
		*) rest+=("$kv") ;;
		esac
	done
	tail=$(printf '[check ping]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\n%s' \
		"$(tr ';' '\n' <<<"$ping")")
	track="track = ping"
	if [ "$lag" = 1 ]; then
		tail+=$(printf '\n\n[check lag]\ntype = mysql_replication\nhost = 127.0.0.1\nport = 3306\n%s' \
			"$(tr ';' '\n' <<<"$lagkeys")")
		track="track = ping, lag"
	fi
	vigil_conf "$file" router_id="$host" \
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
		if vip_on h2 eth0 "$DB_VIP"; then t_vip=$(($(now_ms) - t0)); break; fi
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
