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
