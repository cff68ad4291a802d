/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil's configuration: the INI file parsed into plain structs, validated. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Loading is "parse fresh, validate, swap" (STYLE.md 10): config_load_*()
 * builds a new struct vigil_config from the text, runs every file-level
 * check, and hands back the struct only when there is no error. Nothing
 * here logs, exits or keeps global state; messages are collected in a
 * struct config_diag for the caller to print. Facts of the host (does the
 * interface exist, is a script executable) are judged separately by
 * config_check_host() in config_host.h, and only warn.
 *
 * Syntax (Debian's inih r55):
 * - "[global]", "[instance NAME]", "[check NAME]" sections; "key = value";
 * - ';' or '#' at the start of a line is a comment; after a value only ';'
 *   preceded by a blank starts a comment ("a#b" and "a;b" are values);
 * - an indented line would continue the previous value (inih's multi-line
 *   mode): vigil refuses it, because an indented "key = value" would
 *   silently become part of the previous value; lists are written by
 *   repeating the key or with commas;
 * - lines longer than CONFIG_LINE_MAX characters are refused (inih would
 *   split them into two lines);
 * - a single-value key given twice in a section is an error.
 */

/* Longest accepted line, without its newline: inih reads lines into 200
 * bytes, which must also hold "\r\n" or "\n" and the NUL. */
#define CONFIG_LINE_MAX 197
/* Longest instance or check name; names are [A-Za-z0-9_.-]. */
#define CONFIG_NAME_MAX 32
/* Limits of the repeatable keys. */
#define CONFIG_VIP_MAX 255  /* RFC 5798 5.2.5: Count IPvX Addr is 8 bits */
#define CONFIG_PEER_MAX 32   /* unicast_peer, and database_peers */
#define CONFIG_TRACK_MAX 64
#define CONFIG_ARGV_MAX 64  /* words in a notify or script command */
/* At most this many diagnostics are stored; the rest are only counted. */
#define CONFIG_DIAG_MAX 200
/* MySQL's port: default of mysql_* checks and of database_peers. */
#define CONFIG_MYSQL_PORT 3306
/* Default path of the configuration file (docs/design.md "Command line"). */
#define CONFIG_DEFAULT_PATH "/etc/vigil/vigil.ini"

/* ---- diagnostics --------------------------------------------------- */

enum config_severity {
	CONFIG_ERROR,
	CONFIG_WARNING,
};

/* One message. text is the printable line: "FILE:LINE: message" or
 * "FILE:LINE: warning: message" ("FILE: message" when line is 0). */
struct config_diag_entry {
	enum config_severity severity;
	unsigned line;    /* 1-based; 0 = the file as a whole */
	char *message;    /* the message alone, without file, line or "warning:" */
	char *text;       /* the whole printable line */
};

/* Errors and warnings of one load, in the order found. */
struct config_diag {
	struct config_diag_entry *entries;
	size_t count;       /* entries stored (<= CONFIG_DIAG_MAX) */
	size_t cap;
	size_t errors;      /* every error, stored or not */
	size_t warnings;    /* every warning, stored or not */
	size_t dropped;     /* messages not stored because the list was full */
};

/* Initialise an empty diagnostic list (no allocation). */
void config_diag_init(struct config_diag *diag);

/* Free every entry and reset to empty. Accepts NULL. */
void config_diag_free(struct config_diag *diag);

/*
 * Append a message (printf-style). Used by the loader, the validator and
 * the host checks; callers outside the config code rarely need it.
 * file may be NULL ("<config>"). Allocation failure drops the message but
 * still counts it.
 */
void config_diag_add(struct config_diag *diag, enum config_severity sev,
		     const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Name of a severity: "error" or "warning". */
const char *config_severity_name(enum config_severity sev);

/* ---- where each key was written ------------------------------------ */

/* The line of each key given in a section (the first one for repeatable
 * keys), so later code (reload, runtime messages) can point at the file. */
struct config_keyline {
	char *key;
	unsigned line;
};

struct config_origin {
	unsigned section_line;          /* line of "[...]" (0: [global] absent) */
	struct config_keyline *keys;
	size_t n_keys;
};

/*
 * The line where key was written in a section.
 * Returns that line, or the section header's line when the key was not
 * given (its value is then the default).
 */
unsigned config_key_line(const struct config_origin *origin, const char *key);

/* ---- value types --------------------------------------------------- */

/* A program with arguments, run with execve (no shell). */
struct config_cmd {
	char *raw;        /* the value as written */
	char **argv;      /* split words, NULL-terminated; argv[0] is the program */
	size_t argc;
	unsigned line;
};

/* An address with its prefix length, as in "198.18.0.100/24" or
 * "2001:db8:1::100/64". */
struct config_vip {
	int family;            /* AF_INET or AF_INET6 */
	struct in_addr addr;   /* AF_INET: network byte order */
	struct in6_addr addr6; /* AF_INET6 */
	uint8_t prefix_len;    /* 1..32, or 1..128 for IPv6 */
	unsigned line;
};

struct config_peer {
	int family;            /* AF_INET or AF_INET6 */
	struct in_addr addr;
	struct in6_addr addr6;
	unsigned line;
};

/* The same address (family and bytes); the prefix is not compared. */
bool config_vip_same_addr(const struct config_vip *a, const struct config_vip *b);

/* "198.18.0.100" or "2001:db8:1::100" into buf (INET6_ADDRSTRLEN bytes). */
const char *config_addr_text(int family, const struct in_addr *a4, const struct in6_addr *a6,
			     char *buf, size_t len);

/* A MySQL server of the same VRID (database_peers), read by vigil with its
 * own credentials: the old master during the promotion gate, every peer
 * when epochs and received transactions are compared. */
struct config_dbpeer {
	int family;            /* AF_INET or AF_INET6: the instance's family */
	struct in_addr addr;   /* AF_INET */
	struct in6_addr addr6; /* AF_INET6 */
	uint16_t port;         /* default 3306 */
	unsigned line;         /* of database_peers, or of the unicast_peer it came from */
};

/* "198.18.0.12:3306" or "[2001:db8::12]:3306" into buf (INET6_ADDRSTRLEN + 8 bytes). */
const char *config_dbpeer_text(const struct config_dbpeer *p, char *buf, size_t len);

/* What the promotion gate does when promote_timeout passes without the
 * server having everything the old master acknowledged. */
enum config_promote_on_timeout {
	CONFIG_PROMOTE_STAY_READ_ONLY, /* default: keep the VIP, stay read-only, say so loudly */
	CONFIG_PROMOTE_WRITABLE,       /* open anyway (writes the old master acknowledged may be lost) */
};

/* VRRPv3 IPv4 checksum convention (docs/design.md "Checksums"). */
enum config_checksum {
	CONFIG_CHECKSUM_AUTO,          /* send pseudo-header, accept both */
	CONFIG_CHECKSUM_PSEUDO_HEADER, /* keepalived/FRR default */
	CONFIG_CHECKSUM_RFC9568,       /* RFC 9568 5.2.8: VRRP message only */
};

/* VRRPv2 authentication (RFC 2338 type 1, as keepalived's auth_type PASS). */
enum config_auth {
	CONFIG_AUTH_NONE,
	CONFIG_AUTH_PASS,
};

/* [global] log_level: the most detailed lines vigild writes. Same order
 * as log.h's levels; the daemon maps one to the other. */
enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARNING,
	CONFIG_LOG_INFO,               /* default */
	CONFIG_LOG_DEBUG,
};

enum config_check_type {
	CONFIG_CHECK_TCP,
	CONFIG_CHECK_MYSQL_PING,
	CONFIG_CHECK_MYSQL_REPLICATION,
	CONFIG_CHECK_SCRIPT,
};

/* [quorum] quorum_lost: what a master does when it cannot renew its lease. */
enum config_quorum_lost {
	CONFIG_QUORUM_LOST_DEMOTE,     /* default: read-only and the VIP away before the lease can run out */
	CONFIG_QUORUM_LOST_HOLD,       /* keep writing: availability over safety */
};

/* Names as written in the file: "auto", "pseudo-header", "rfc9568". */
const char *config_checksum_name(enum config_checksum c);
/* "none", "pass". */
const char *config_auth_name(enum config_auth a);
/* "tcp", "mysql_ping", "mysql_replication", "script". */
const char *config_check_type_name(enum config_check_type t);
/* "stay_read_only", "writable". */
const char *config_promote_on_timeout_name(enum config_promote_on_timeout p);
/* "error", "warning", "info", "debug". */
const char *config_log_level_name(enum config_log_level l);
/* "demote", "hold". */
const char *config_quorum_lost_name(enum config_quorum_lost q);

/* ---- sections ------------------------------------------------------ */

struct config_global {
	char *router_id;            /* default: the host name */
	char *control_socket;       /* default /run/vigil/vigil.sock */
	char *mysql_defaults_file;  /* NULL when not set */
	enum config_log_level log_level;  /* default info */
	char *metrics_listen;       /* "127.0.0.1:9717", "[::1]:9717" as written; NULL: off */
	char *script_user;          /* script checks and notify programs run as this user;
				     * NULL: as vigild's (root). Checked to exist by
				     * config_check_host() */
	struct sockaddr_storage metrics_addr;  /* metrics_listen parsed by config_validate() */
	socklen_t metrics_addrlen;  /* 0 when off */
	struct config_origin origin;
};

struct config_instance {
	char *name;
	char *interface;
	uint8_t vrid;               /* 1..255 */
	uint8_t priority;           /* 1..255, 255 = address owner; default 100 */
	uint8_t version;            /* 3 (default) or 2 */
	uint32_t advert_interval_ms;/* v3: 10..40950 in 10s; v2: 1000..255000 in 1000s */
	enum config_checksum checksum;
	struct config_vip *vips;
	size_t n_vips;
	int family;                 /* AF_INET or AF_INET6: the VIPs' family (RFC 5798: one virtual router per family) */
	bool preempt;               /* default true */
	uint32_t preempt_delay_ms;  /* 0..1000 s */
	uint8_t resign_below;       /* 0 = off */
	bool health_takeover;       /* default true */
	struct config_peer *peers;  /* unicast peers; none = multicast 224.0.0.18 (IPv6: ff02::12) */
	size_t n_peers;
	char **track;               /* names of [check] sections */
	unsigned *track_lines;      /* line of each track[] entry */
	size_t n_track;
	size_t *track_index;        /* index into vigil_config.checks, per track[] */
	struct config_cmd notify;   /* argv NULL when not set; same for the rest */
	struct config_cmd notify_master;
	struct config_cmd notify_backup;
	struct config_cmd notify_fault;
	struct config_cmd notify_stop;
	struct config_cmd notify_alarm;  /* data safety failed (VIGIL_ALARM says what) */
	uint32_t notify_timeout_ms;
	enum config_auth auth_type; /* v2 only */
	char auth_pass[9];          /* 1..8 characters when auth_type = pass */
	uint32_t garp_master_delay_ms;   /* second burst after becoming master; 0 = none */
	uint16_t garp_master_repeat;     /* ARPs per burst */
	uint32_t garp_master_refresh_ms; /* periodic refresh while master; 0 = off */
	uint16_t garp_master_refresh_repeat;
	uint32_t garp_interval_ms;       /* gap between the ARPs of a burst */
	/* Data safety (docs/data-safety.md "9. Configuration keys"). */
	bool manage_read_only;      /* default false; true on at most one instance */
	char *role_check;           /* as written; NULL when not given */
	long role_check_index;      /* index into cfg->checks of the role check; -1 when none:
				     * role_check, else the first tracked mysql_* check */
	struct config_dbpeer *db_peers;  /* database_peers; default (IPv4 only): each unicast_peer at 3306 */
	size_t n_db_peers;
	uint32_t promote_timeout_ms;     /* 1s..3600s, default 30s */
	enum config_promote_on_timeout promote_on_timeout; /* default stay_read_only */
	bool stop_replication_on_promote;/* default true */
	bool witness;               /* default: manage_read_only */
	uint32_t witness_timeout_ms;/* 10ms..10s, default 300ms; below 3 * advert_interval */
	uint32_t role_timeout_ms;   /* deadline of each role statement: 100ms..60s, default 2s */
	bool quorum;                /* [quorum] is present: the master writes only under the etcd key */
	struct config_origin origin;
};

struct config_check {
	char *name;
	enum config_check_type type;
	char *host;                 /* IP literal; NULL when socket is used */
	int host_family;            /* AF_INET or AF_INET6 when host is set */
	uint16_t port;              /* mysql default 3306; required for tcp */
	char *socket;               /* mysql types only; exclusive with host */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint16_t rise;
	uint16_t fall;
	uint8_t penalty;
	uint8_t degraded_penalty;
	bool fatal;
	/* mysql_ping */
	uint32_t slow_ms;
	char *query;                /* default "SELECT 1" */
	/* mysql_ping and mysql_replication */
	uint32_t connect_interval_ms;
	/* mysql_replication */
	uint32_t warn_lag_ms;
	uint32_t crit_lag_ms;
	char *heartbeat_table;      /* "db.table" or NULL */
	/* script */
	struct config_cmd command;
	size_t n_tracked_by;        /* how many instances track it */
	struct config_origin origin;
};

/* A whole validated configuration. Owned by the caller of config_load_*. */
/*
 * [quorum] (docs/quorum.md): when present, every instance's master holds
 * a key in etcd under a lease of its own while its server is writable,
 * and a backup takes over on silence only once it holds that key.
 */
struct config_quorum {
	bool enabled;               /* the section is present */
	char *endpoints_raw;        /* etcd_endpoints as written: a comma list */
	char **endpoints;           /* normalized "http://IP:PORT" (config_validate()) */
	size_t n_endpoints;
	uint32_t lease_ttl_ms;      /* whole seconds, 2s..3600s; default 6s */
	char *prefix;               /* default "/vigil/"; key = prefix + instance name */
	enum config_quorum_lost quorum_lost;  /* default demote */
	uint32_t etcd_election_timeout_ms;    /* the members' --election-timeout; default 1s */
	uint32_t request_timeout_ms;          /* one etcd request, all endpoints; default 1s */
	struct config_origin origin;
};

/* What a master that cannot renew its lease allows its demotion beyond
 * role_timeout (the read_only statement's deadline): the VIP's removal
 * and the loop's own delays. */
#define CONFIG_QUORUM_DEMOTE_MARGIN_MS 500u

/* How long before its lease can end a master that cannot renew demotes:
 * role_timeout + CONFIG_QUORUM_DEMOTE_MARGIN_MS. */
uint32_t config_quorum_demote_budget_ms(const struct config_instance *in);

struct vigil_config {
	char *source;               /* file name used in messages */
	struct config_global global;
	struct config_quorum quorum;
	struct config_instance *instances;
	size_t n_instances;
	struct config_check *checks;
	size_t n_checks;
};

/* ---- loading ------------------------------------------------------- */

/*
 * Parse and validate a configuration file.
 *
 * path: the file; its name prefixes every message. out: receives the new
 * configuration on success (NULL on failure). diag: an initialised list
 * that receives every error and warning (appended).
 * Returns 0 on success (warnings possible), -EINVAL when the file has
 * errors (all of them in diag), -errno when the file cannot be read (one
 * diag entry with line 0), -ENOMEM.
 */
int config_load_file(const char *path, struct vigil_config **out,
		     struct config_diag *diag);

/*
 * Same as config_load_file() for text in memory (tests, reload).
 * name: the name used in messages (NULL = "<config>").
 */
int config_load_string(const char *text, const char *name,
		       struct vigil_config **out, struct config_diag *diag);

/* Free a configuration and everything it owns. Accepts NULL. */
void config_free(struct vigil_config *cfg);

/* Look up a check by name. Returns its index, or -1 when absent. */
long config_find_check(const struct vigil_config *cfg, const char *name);

/* ---- comparing two configurations (reload) --------------------------- */

/* Two optional strings are equal (both NULL, or the same text). */
bool config_same_str(const char *a, const char *b);

/* Two NULL-terminated argument lists are equal (both NULL, or the same words). */
bool config_same_argv(char *const *a, char *const *b);

#endif /* VIGIL_CONFIG_H */
