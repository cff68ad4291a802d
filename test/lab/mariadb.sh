# SPDX-License-Identifier: GPL-2.0-or-later
# Real MariaDB servers for tests: throw-away datadirs, primary/replica setup,
# the vigil check user and its client.cnf.
#
# Source this file from a bash test (`. test/lab/mariadb.sh`); it defines
# mdb_* functions and runs nothing by itself. Every server lives in its own
# directory DIR:
#   DIR/my.cnf        the server's only option file (--defaults-file)
#   DIR/data/         datadir (binlog and relay log in it)
#   DIR/mysqld.sock   unix socket    DIR/mysqld.pid  pid file
#   DIR/error.log     error log      DIR/port        TCP port
#   DIR/root.cnf      client options for the OS-root admin (unix socket auth)
#   DIR/vigil.cnf     [client] user/password of the vigil check user (0600)
#   DIR/netns         the network namespace it runs in (absent: root ns)
# Nothing under /run or /etc/mysql is used, so several servers (in several
# namespaces, which share one filesystem and pid space) never collide.
#
# Servers run as root (--user=root): tests run as root and the datadir is a
# temp dir. Grant tables are real (no --skip-grant-tables): tests check auth.
# Every started server is remembered; mdb_cleanup stops them all (by pid
# from the pid file, never by name) and is installed on EXIT unless
# MDB_NO_TRAP=1 (then the caller must call it, e.g. from its own trap).
# Every wait is bounded.

MDB_BIN=${MDB_BIN:-/usr/sbin/mariadbd}
MDB_INSTALL_DB=${MDB_INSTALL_DB:-/usr/bin/mariadb-install-db}
MDB_CLIENT=${MDB_CLIENT:-/usr/bin/mariadb}
MDB_START_TIMEOUT_MS=${MDB_START_TIMEOUT_MS:-30000}
MDB_STOP_TIMEOUT_MS=${MDB_STOP_TIMEOUT_MS:-15000}
MDB_VIGIL_USER=${MDB_VIGIL_USER:-vigil}
MDB_VIGIL_PASSWORD=${MDB_VIGIL_PASSWORD:-vigil-check-pw}
MDB_REPL_USER=${MDB_REPL_USER:-repl}
MDB_REPL_PASSWORD=${MDB_REPL_PASSWORD:-repl-pw}

MDB_STARTED=()     # DIRs started by this shell (for mdb_cleanup)
MDB_TEMPLATE=      # an installed datadir copied by every mdb_init (fast)
_MDB_SERVER_ID=0

_mdb_err() { printf 'mariadb.sh: %s\n' "$*" >&2; }
_mdb_now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "$((10#$t / 1000))"; }

# mdb_require: skip (77) or fail under CI=true unless we are root and the
# server, installer and client exist.
mdb_require() {
	local c missing=()
	for c in "$MDB_BIN" "$MDB_INSTALL_DB" "$MDB_CLIENT"; do
		[ -x "$c" ] || missing+=("$c")
	done
	if [ "$(id -u)" -ne 0 ]; then
		_mdb_skip_or_fail "needs root (runs mariadbd)"
	elif [ "${#missing[@]}" -gt 0 ]; then
		_mdb_skip_or_fail "missing: ${missing[*]} (apt-get install mariadb-server mariadb-client)"
	fi
	return 0
}

_mdb_skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		printf 'FAIL: %s (CI=true: prerequisites must be present)\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# _mdb_template: install one datadir per shell, copied by every mdb_init:
# mariadb-install-db takes ~2 s, a copy ~20 ms.
_mdb_template() {
	[ -n "$MDB_TEMPLATE" ] && [ -d "$MDB_TEMPLATE/data/mysql" ] && return 0
	MDB_TEMPLATE=$(mktemp -d "${TMPDIR:-/tmp}/vigil-mdb-template.XXXXXX") || return 1
	# A private tmpdir: a starting server deletes #sql* files in its tmpdir,
	# which in a shared /tmp may be another server's (seen: installs failing
	# with "ERROR 1051 Unknown table 'mysql.tmp_user_sys'").
	mkdir -p "$MDB_TEMPLATE/tmp"
	if ! "$MDB_INSTALL_DB" --no-defaults --user=root --datadir="$MDB_TEMPLATE/data" \
		--tmpdir="$MDB_TEMPLATE/tmp" \
		--skip-test-db --skip-name-resolve --auth-root-authentication-method=socket \
		>"$MDB_TEMPLATE/install.log" 2>&1; then
		_mdb_err "mariadb-install-db failed:"; tail -n 20 "$MDB_TEMPLATE/install.log" >&2
		rm -rf "$MDB_TEMPLATE"; MDB_TEMPLATE=
		return 1
	fi
}

# mdb_init DIR: a fresh datadir under DIR (which may exist, must be empty of
# data/). Returns 0 or 1.
mdb_init() {
	local dir=$1
	[ -n "$dir" ] || { _mdb_err "mdb_init: no DIR"; return 1; }
	[ ! -e "$dir/data" ] || { _mdb_err "mdb_init: $dir/data exists"; return 1; }
	mkdir -p "$dir" && _mdb_template || return 1
	cp -a "$MDB_TEMPLATE/data" "$dir/data" || return 1
}

# mdb_free_port: print a TCP port nobody listens on in the current namespace
# (bounded tries in 20000..39999).
mdb_free_port() {
	local i p used
	used=$(ss -Htanl 2>/dev/null | awk '{print $4}' | sed 's/.*://')
	for i in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM + $$) % 20000))
		grep -qx "$p" <<<"$used" || { printf '%s' "$p"; return 0; }
	done
	return 1
}

# mdb_start DIR [NETNS] [PORT] [BIND]: write DIR/my.cnf and start mariadbd,
# inside network namespace NETNS when given ("" = root namespace), on PORT
# (default: a free one), listening on BIND (default 127.0.0.1 in the root
# namespace, 0.0.0.0 in a namespace, so it also answers on a VIP). Binary
# log and GTID are on (every server can be a primary), server_id unique per
# shell. Waits until ready; prints nothing; returns 0 or 1 (error log tail
# on stderr). Extra [mariadbd] lines: MDB_EXTRA_CNF (newline-separated).
# Settings for vigil's data safety (docs/data-safety.md "4. Server
# settings"), off unless
# asked, read when DIR/my.cnf is first written (a restart keeps them):
#   MDB_GTID_STRICT=1  gtid_strict_mode=ON
#   MDB_SEMISYNC=1     semi-synchronous replication usable in both
#                      directions: master and slave side enabled,
#                      wait_point AFTER_SYNC, timeout MDB_SEMISYNC_TIMEOUT
#                      ms (default 5000), wait_no_slave
#                      MDB_SEMISYNC_WAIT_NO_SLAVE (default ON: a commit
#                      waits out the timeout even when no replica is
#                      connected; see mdb_semisync_settle)
#   MDB_READ_ONLY=1    read_only=ON (what the docs tell DBAs to write)
mdb_start() {
	local dir=$1 ns=${2:-} port=${3:-} bind=${4:-} sid
	[ -d "$dir/data" ] || { _mdb_err "mdb_start: run mdb_init $dir first"; return 1; }
	if [ -z "$port" ]; then
		if [ -n "$ns" ]; then port=3306; else port=$(mdb_free_port) || return 1; fi
	fi
	[ -n "$bind" ] || { if [ -n "$ns" ]; then bind=0.0.0.0; else bind=127.0.0.1; fi; }
	if [ -f "$dir/my.cnf" ]; then
		# A restart keeps its identity (server_id, port) and config.
		sed -i "s/^port=.*/port=$port/; s/^bind-address=.*/bind-address=$bind/" "$dir/my.cnf"
	else
		_MDB_SERVER_ID=$((_MDB_SERVER_ID + 1))
		sid=${MDB_SERVER_ID:-$_MDB_SERVER_ID}
		cat >"$dir/my.cnf" <<-EOF
		[mariadbd]
		user=root
		datadir=$dir/data
		socket=$dir/mysqld.sock
		pid-file=$dir/mysqld.pid
		tmpdir=$dir/tmp
		log-error=$dir/error.log
		port=$port
		bind-address=$bind
		skip-name-resolve
		server_id=$sid
		log_bin=binlog
		log_slave_updates=ON
		binlog_format=ROW
		relay_log=relay
		gtid_domain_id=0
		# Small and fast: a test server starts in about a second.
		innodb_buffer_pool_size=16M
		innodb_log_file_size=8M
		innodb_flush_log_at_trx_commit=2
		innodb_doublewrite=0
		sync_binlog=0
		performance_schema=OFF
		skip-external-locking
		max_connections=60
		$(_mdb_safety_cnf)
		${MDB_EXTRA_CNF:-}
		EOF
	fi
	mkdir -p "$dir/tmp"
	printf '%s\n' "$port" >"$dir/port"
	if [ -n "$ns" ]; then printf '%s\n' "$ns" >"$dir/netns"; else rm -f "$dir/netns"; fi
	cat >"$dir/root.cnf" <<-EOF
	[client]
	user=root
	socket=$dir/mysqld.sock
	EOF
	chmod 600 "$dir/root.cnf"
	rm -f "$dir/mysqld.pid"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$MDB_BIN" --defaults-file="$dir/my.cnf" </dev/null >>"$dir/stdout.log" 2>&1 &
	else
		"$MDB_BIN" --defaults-file="$dir/my.cnf" </dev/null >>"$dir/stdout.log" 2>&1 &
	fi
	printf '%s\n' "$!" >"$dir/launcher.pid"
	disown "$!" 2>/dev/null || true # no "Killed" job notices from bash
	_mdb_remember "$dir"
	mdb_wait_ready "$dir" "$MDB_START_TIMEOUT_MS" || {
		_mdb_err "mdb_start: $dir not ready after ${MDB_START_TIMEOUT_MS} ms:"
		tail -n 20 "$dir/error.log" >&2 2>/dev/null
		return 1
	}
}

# _mdb_safety_cnf: the [mariadbd] lines the MDB_GTID_STRICT, MDB_SEMISYNC
# and MDB_READ_ONLY knobs ask for (see mdb_start).
_mdb_safety_cnf() {
	[ "${MDB_GTID_STRICT:-0}" != 1 ] || printf 'gtid_strict_mode=ON\n'
	if [ "${MDB_SEMISYNC:-0}" = 1 ]; then
		printf '%s\n' rpl_semi_sync_master_enabled=ON rpl_semi_sync_slave_enabled=ON \
			rpl_semi_sync_master_wait_point=AFTER_SYNC \
			"rpl_semi_sync_master_timeout=${MDB_SEMISYNC_TIMEOUT:-5000}" \
			"rpl_semi_sync_master_wait_no_slave=${MDB_SEMISYNC_WAIT_NO_SLAVE:-ON}"
	fi
	[ "${MDB_READ_ONLY:-0}" != 1 ] || printf 'read_only=ON\n'
	return 0
}

_mdb_remember() {
	local d
	for d in "${MDB_STARTED[@]}"; do [ "$d" = "$1" ] && return 0; done
	MDB_STARTED+=("$1")
	if [ "${MDB_NO_TRAP:-0}" != 1 ] && [ -z "${_MDB_TRAPPED:-}" ]; then
		_MDB_TRAPPED=1
		# Chain to whatever EXIT trap is already set (lab.sh's teardown).
		local old; old=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
		# shellcheck disable=SC2064
		trap "mdb_cleanup; ${old:-:}" EXIT
	fi
}

# mdb_pid DIR: print the server's pid (from its pid file); 1 if none.
mdb_pid() {
	local p
	p=$(cat "$1/mysqld.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && printf '%s' "$p"
}

# mdb_port DIR: the server's TCP port.
mdb_port() { cat "$1/port"; }

# mdb_alive DIR: 0 if the server's process exists (and is not a zombie).
mdb_alive() {
	local p st
	p=$(mdb_pid "$1") || p=$(cat "$1/launcher.pid" 2>/dev/null) || return 1
	st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# mdb_wait_ready DIR [MS]: wait (bounded, default 30 s) until the server
# answers SELECT 1 on its socket. Returns 1 early if the process died.
mdb_wait_ready() {
	local dir=$1 ms=${2:-30000} t0
	t0=$(_mdb_now_ms)
	while [ $(($(_mdb_now_ms) - t0)) -lt "$ms" ]; do
		if [ -S "$dir/mysqld.sock" ] &&
		   "$MDB_CLIENT" --defaults-file="$dir/root.cnf" --connect-timeout=2 -N -e 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		mdb_alive "$dir" || { sleep 0.05; mdb_alive "$dir" || return 1; }
		sleep 0.05
	done
	return 1
}

# mdb_sql DIR "SQL" [client args...]: run SQL as root on DIR's socket;
# output tab-separated without column names. Returns the client's status.
mdb_sql() {
	local dir=$1 sql=$2; shift 2
	"$MDB_CLIENT" --defaults-file="$dir/root.cnf" --connect-timeout=5 -N -B "$@" -e "$sql"
}

# mdb_stop DIR [SIG]: stop the server by the pid in its pid file: SIGTERM
# (clean shutdown, bounded wait, then SIGKILL) or the given signal
# (KILL = crash; the datadir recovers on the next start). A stopped
# (SIGSTOP) server is continued first so it can act on TERM.
mdb_stop() {
	local dir=$1 sig=${2:-TERM} p t0
	p=$(mdb_pid "$dir") || p=$(cat "$dir/launcher.pid" 2>/dev/null) || return 0
	mdb_alive "$dir" || return 0
	kill -CONT "$p" 2>/dev/null
	kill -"$sig" "$p" 2>/dev/null || return 0
	t0=$(_mdb_now_ms)
	while mdb_alive "$dir"; do
		if [ $(($(_mdb_now_ms) - t0)) -ge "$MDB_STOP_TIMEOUT_MS" ]; then
			kill -KILL "$p" 2>/dev/null
			sleep 0.1
			break
		fi
		sleep 0.02
	done
	wait "$p" 2>/dev/null || true
	! mdb_alive "$dir"
}

# mdb_cleanup: stop every server this shell started (SIGKILL: their data is
# thrown away) and remove the template. Idempotent.
mdb_cleanup() {
	local d
	for d in "${MDB_STARTED[@]}"; do MDB_STOP_TIMEOUT_MS=3000 mdb_stop "$d" KILL; done
	MDB_STARTED=()
	[ -z "$MDB_TEMPLATE" ] || rm -rf "$MDB_TEMPLATE"
	MDB_TEMPLATE=
}

# mdb_add_vigil_user DIR [HOST] [PRIV] [CNF]: create the vigil check user
# ($MDB_VIGIL_USER) with the minimal privileges (default: USAGE plus SLAVE
# MONITOR, which MariaDB 10.11 needs for SHOW SLAVE/REPLICA STATUS; SELECT 1
# needs nothing) and write its [client] user/password to CNF (default
# DIR/vigil.cnf, mode 0600). PRIV "" creates a user without any privilege
# (the missing-privilege test).
mdb_add_vigil_user() {
	local dir=$1 host=${2:-%} priv=${3-SLAVE MONITOR} cnf=${4:-$1/vigil.cnf}
	mdb_sql "$dir" "CREATE OR REPLACE USER '$MDB_VIGIL_USER'@'$host' IDENTIFIED BY '$MDB_VIGIL_PASSWORD'" || return 1
	if [ -n "$priv" ]; then
		mdb_sql "$dir" "GRANT $priv ON *.* TO '$MDB_VIGIL_USER'@'$host'" || return 1
	fi
	(umask 077; cat >"$cnf" <<-EOF
	[client]
	user=$MDB_VIGIL_USER
	password=$MDB_VIGIL_PASSWORD
	EOF
	)
}

# mdb_add_repl_user DIR: create the replication user ($MDB_REPL_USER) on
# DIR's server only (sql_log_bin=0: no binlog event, so nothing replicates
# and a semi-sync primary without a replica yet does not wait out its
# timeout). Give it to every server that may become a primary.
mdb_add_repl_user() {
	mdb_sql "$1" "SET SESSION sql_log_bin = 0;
		CREATE OR REPLACE USER '$MDB_REPL_USER'@'%' IDENTIFIED BY '$MDB_REPL_PASSWORD';
		GRANT REPLICATION SLAVE ON *.* TO '$MDB_REPL_USER'@'%'"
}

# mdb_make_replica REPLICA_DIR PRIMARY_DIR PRIMARY_HOST PRIMARY_PORT: create
# the replication user on the primary (mdb_add_repl_user: local, not
# replicated), point the replica at it with GTID (MASTER_USE_GTID=slave_pos)
# and start both threads; waits (bounded 10 s) until the IO thread is
# connected. Returns 0 or 1.
mdb_make_replica() {
	local rdir=$1 pdir=$2 phost=$3 pport=$4 t0 io
	mdb_add_repl_user "$pdir" || return 1
	mdb_sql "$rdir" "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='$phost', MASTER_PORT=$pport,
		MASTER_USER='$MDB_REPL_USER', MASTER_PASSWORD='$MDB_REPL_PASSWORD',
		MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos; START SLAVE" || return 1
	t0=$(_mdb_now_ms)
	while [ $(($(_mdb_now_ms) - t0)) -lt 10000 ]; do
		io=$(mdb_slave_field "$rdir" Slave_IO_Running)
		[ "$io" = Yes ] && return 0
		sleep 0.05
	done
	_mdb_err "mdb_make_replica: IO thread is '$io' after 10 s"
	return 1
}

# mdb_slave_field DIR COLUMN: one column of SHOW SLAVE STATUS (empty if not
# a replica).
mdb_slave_field() {
	"$MDB_CLIENT" --defaults-file="$1/root.cnf" --connect-timeout=5 -e 'SHOW SLAVE STATUS\G' 2>/dev/null |
		awk -v c="$2" -F': ' '{ k=$1; sub(/^ +/, "", k); if (k == c) { print $2; exit } }'
}

# mdb_var DIR NAME: a global variable (@@global.NAME) of DIR's server.
mdb_var() { mdb_sql "$1" "SELECT @@global.$2"; }

# mdb_status DIR NAME: one global status value (SHOW GLOBAL STATUS).
mdb_status() {
	mdb_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | awk -F'\t' '{ print $2; exit }'
}

# mdb_semisync_settle DIR: with semi-sync on and wait_no_slave ON, a
# server that has no semi-sync replica of its own waits the whole
# rpl_semi_sync_master_timeout at its first binlogged commit (a replica's
# SQL thread too, with log_slave_updates: seen here, 2.5 s of replication
# stall), then turns the master side off until a replica catches up. Make
# that first wait short: set the timeout to 10 ms now; call
# mdb_semisync_restore after the server committed something (e.g. applied
# a replicated event). A lab device: a DBA's servers pay the full timeout
# once, which is why this is not in mdb_start.
mdb_semisync_settle() {
	mdb_sql "$1" "SET GLOBAL rpl_semi_sync_master_timeout = 10"
}

# mdb_semisync_restore DIR [MS]: see mdb_semisync_settle. Waits (bounded,
# MS default 5000) for Rpl_semi_sync_master_status OFF, then puts the
# configured timeout back. Returns 1 if the master side did not turn off in
# time (the timeout is restored anyway).
mdb_semisync_restore() {
	local dir=$1 ms=${2:-5000} t0 st rc=1
	t0=$(_mdb_now_ms)
	while [ $(($(_mdb_now_ms) - t0)) -lt "$ms" ]; do
		st=$(mdb_status "$dir" Rpl_semi_sync_master_status)
		[ "$st" = OFF ] && { rc=0; break; }
		sleep 0.02
	done
	mdb_sql "$dir" "SET GLOBAL rpl_semi_sync_master_timeout = ${MDB_SEMISYNC_TIMEOUT:-5000}" || rc=1
	return $rc
}
