/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config keys: the key tables, value syntax and defaults of every section. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cmdline.h"
#include "config_internal.h"
#include "duration.h"

#define ERR(ld, line, ...) config_diag_add((ld)->diag, CONFIG_ERROR, (ld)->file, (line), __VA_ARGS__)

/* ---- names --------------------------------------------------------- */

static const char *const checksum_names[] = { "auto", "pseudo-header", "rfc9568", NULL };
static const char *const auth_names[] = { "none", "pass", NULL };
static const char *const check_type_names[] = {
	"tcp", "mysql_ping", "mysql_replication", "script", NULL
};
static const char *const promote_on_timeout_names[] = { "stay_read_only", "writable", NULL };
static const char *const log_level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const quorum_lost_names[] = { "demote", "hold", NULL };

const char *config_checksum_name(enum config_checksum c)
{
	return (unsigned)c < 3 ? checksum_names[c] : "?";
}

const char *config_auth_name(enum config_auth a)
{
	return (unsigned)a < 2 ? auth_names[a] : "?";
}

const char *config_check_type_name(enum config_check_type t)
{
	return (unsigned)t < 4 ? check_type_names[t] : "?";
}

const char *config_promote_on_timeout_name(enum config_promote_on_timeout p)
{
	return (unsigned)p < 2 ? promote_on_timeout_names[p] : "?";
}

const char *config_log_level_name(enum config_log_level l)
{
	return (unsigned)l < 4 ? log_level_names[l] : "?";
}

const char *config_quorum_lost_name(enum config_quorum_lost q)
{
	return (unsigned)q < 2 ? quorum_lost_names[q] : "?";
}

/* ---- value parsers ------------------------------------------------- */

/* A decimal number without sign; -EINVAL or -ERANGE (above max). */
static int parse_number(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

bool config_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

char *config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* ---- key table ----------------------------------------------------- */

enum key_kind {
	K_STRING,   /* char *, non-empty */
	K_PATH,     /* char *, absolute path */
	K_SOCKPATH, /* char *, absolute path that fits in sun_path */
	K_U8, K_U16,
	K_BOOL,
	K_DURATION, /* uint32_t ms in [min, max] */
	K_ENUM,     /* enum stored as int, names in key->names */
	K_VIP, K_PEER, K_TRACK, K_DBPEER, /* repeatable lists */
	K_CMD,      /* struct config_cmd */
	K_HOST,     /* char * IP literal + host_family */
	K_PASS,     /* char[9] */
	K_TABLE,    /* char * "db.table" */
};

struct config_keydef {
	const char *name;
	enum key_kind kind;
	size_t off;
	uint32_t min, max;
	const char *const *names;   /* K_ENUM */
	unsigned types;             /* checks: CONFIG_TYPE_BIT mask */
};

#define GK(n, k, f) { n, k, offsetof(struct config_global, f), 0, 0, NULL, 0 }
static const struct config_keydef global_keys[] = {
	GK("router_id", K_STRING, router_id),
	GK("control_socket", K_SOCKPATH, control_socket),
	GK("mysql_defaults_file", K_PATH, mysql_defaults_file),
	/* host:port, checked in config_validate() */
	GK("metrics_listen", K_STRING, metrics_listen),
	/* a user name; whether it exists is a fact of the host (config_host.c) */
	GK("script_user", K_STRING, script_user),
	{ "log_level", K_ENUM, offsetof(struct config_global, log_level), 0, 0, log_level_names, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 },
};

#define IK(n, k, f, lo, hi) { n, k, offsetof(struct config_instance, f), lo, hi, NULL, 0 }
static const struct config_keydef instance_keys[] = {
	IK("interface", K_STRING, interface, 0, 0),
	IK("vrid", K_U8, vrid, 1, 255),
	IK("priority", K_U8, priority, 1, 255),
	IK("version", K_U8, version, 2, 3),
	/* range depends on version: checked in config_validate() */
	IK("advert_interval", K_DURATION, advert_interval_ms, 0, DURATION_MAX_MS),
	{ "checksum", K_ENUM, offsetof(struct config_instance, checksum), 0, 0, checksum_names, 0 },
	IK("virtual_ip", K_VIP, vips, 0, 0),
	IK("preempt", K_BOOL, preempt, 0, 0),
	IK("preempt_delay", K_DURATION, preempt_delay_ms, 0, 1000000),
	IK("resign_below", K_U8, resign_below, 0, 254),
	IK("health_takeover", K_BOOL, health_takeover, 0, 0),
	IK("unicast_peer", K_PEER, peers, 0, 0),
	IK("track", K_TRACK, track, 0, 0),
	IK("notify", K_CMD, notify, 0, 0),
	IK("notify_master", K_CMD, notify_master, 0, 0),
	IK("notify_backup", K_CMD, notify_backup, 0, 0),
	IK("notify_fault", K_CMD, notify_fault, 0, 0),
	IK("notify_stop", K_CMD, notify_stop, 0, 0),
	IK("notify_alarm", K_CMD, notify_alarm, 0, 0),
	IK("notify_timeout", K_DURATION, notify_timeout_ms, 100, 3600000),
	{ "auth_type", K_ENUM, offsetof(struct config_instance, auth_type), 0, 0, auth_names, 0 },
	IK("auth_pass", K_PASS, auth_pass, 0, 0),
	IK("garp_master_delay", K_DURATION, garp_master_delay_ms, 0, 1000000),
	IK("garp_master_repeat", K_U16, garp_master_repeat, 1, 100),
	IK("garp_master_refresh", K_DURATION, garp_master_refresh_ms, 0, 86400000),
	IK("garp_master_refresh_repeat", K_U16, garp_master_refresh_repeat, 1, 100),
	IK("garp_interval", K_DURATION, garp_interval_ms, 0, 1000),
	/* data safety; rules between these keys are in config_validate() */
	IK("manage_read_only", K_BOOL, manage_read_only, 0, 0),
	IK("role_check", K_STRING, role_check, 0, 0),
	IK("database_peers", K_DBPEER, db_peers, 0, 0),
	IK("promote_timeout", K_DURATION, promote_timeout_ms, 1000, 3600000),
	{ "promote_on_timeout", K_ENUM, offsetof(struct config_instance, promote_on_timeout), 0, 0,
	  promote_on_timeout_names, 0 },
	IK("stop_replication_on_promote", K_BOOL, stop_replication_on_promote, 0, 0),
	IK("witness", K_BOOL, witness, 0, 0),
	IK("witness_timeout", K_DURATION, witness_timeout_ms, 10, 10000),
	IK("role_timeout", K_DURATION, role_timeout_ms, 100, 60000),
	{ NULL, 0, 0, 0, 0, NULL, 0 },
};

#define QK(n, k, f, lo, hi) { n, k, offsetof(struct config_quorum, f), lo, hi, NULL, 0 }
static const struct config_keydef quorum_keys[] = {
	/* a comma list of http://IP:PORT, checked in config_validate() */
	QK("etcd_endpoints", K_STRING, endpoints_raw, 0, 0),
	/* etcd grants whole seconds */
	QK("lease_ttl", K_DURATION, lease_ttl_ms, 2000, 3600000),
	QK("prefix", K_STRING, prefix, 0, 0),
	{ "quorum_lost", K_ENUM, offsetof(struct config_quorum, quorum_lost), 0, 0, quorum_lost_names, 0 },
	QK("etcd_election_timeout", K_DURATION, etcd_election_timeout_ms, 100, 50000),
	QK("request_timeout", K_DURATION, request_timeout_ms, 100, 10000),
	{ NULL, 0, 0, 0, 0, NULL, 0 },
};

#define T_ALL CONFIG_TYPES_ALL
#define T_MYSQL CONFIG_TYPES_MYSQL
#define T_TCP_MYSQL (CONFIG_TYPE_BIT(CONFIG_CHECK_TCP) | CONFIG_TYPES_MYSQL)
#define T_PING CONFIG_TYPE_BIT(CONFIG_CHECK_MYSQL_PING)
#define T_REPL CONFIG_TYPE_BIT(CONFIG_CHECK_MYSQL_REPLICATION)
#define T_SCRIPT CONFIG_TYPE_BIT(CONFIG_CHECK_SCRIPT)
#define CK(n, k, f, lo, hi, t) { n, k, offsetof(struct config_check, f), lo, hi, NULL, t }
static const struct config_keydef check_keys[] = {
	{ "type", K_ENUM, offsetof(struct config_check, type), 0, 0, check_type_names, T_ALL },
	CK("host", K_HOST, host, 0, 0, T_TCP_MYSQL),
	CK("port", K_U16, port, 1, 65535, T_TCP_MYSQL),
	CK("socket", K_SOCKPATH, socket, 0, 0, T_MYSQL),
	CK("interval", K_DURATION, interval_ms, 10, 3600000, T_ALL),
	CK("timeout", K_DURATION, timeout_ms, 1, 3600000, T_ALL),
	CK("rise", K_U16, rise, 1, 100, T_ALL),
	CK("fall", K_U16, fall, 1, 100, T_ALL),
	CK("penalty", K_U8, penalty, 0, 254, T_ALL),
	CK("degraded_penalty", K_U8, degraded_penalty, 0, 254, T_ALL),
	CK("fatal", K_BOOL, fatal, 0, 0, T_ALL),
	CK("slow", K_DURATION, slow_ms, 1, 3600000, T_PING),
	CK("query", K_STRING, query, 0, 0, T_PING),
	CK("connect_interval", K_DURATION, connect_interval_ms, 100, 3600000, T_MYSQL),
	CK("warn_lag", K_DURATION, warn_lag_ms, 0, 86400000, T_REPL),
	CK("crit_lag", K_DURATION, crit_lag_ms, 1, 86400000, T_REPL),
	CK("heartbeat_table", K_TABLE, heartbeat_table, 0, 0, T_REPL),
	CK("command", K_CMD, command, 0, 0, T_SCRIPT),
	{ NULL, 0, 0, 0, 0, NULL, 0 },
};

static const struct config_keydef *keydef_lookup(const struct config_keydef *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

unsigned config_check_key_types(const char *key)
{
	const struct config_keydef *k = keydef_lookup(check_keys, key);

	return k ? k->types : 0;
}

/* ---- storing one value --------------------------------------------- */

static void err_range(const struct config_ctx *ld, unsigned line, const struct config_keydef *k,
		      const char *v, int rc)
{
	if (rc == -ERANGE)
		ERR(ld, line, "%s: %s is out of range %u..%u", k->name, v,
		    (unsigned)k->min, (unsigned)k->max);
	else
		ERR(ld, line, "%s: '%s' is not a number (expected %u..%u)", k->name, v,
		    (unsigned)k->min, (unsigned)k->max);
}

static void store_number(const struct config_ctx *ld, void *field, const struct config_keydef *k,
			 const char *v, unsigned line)
{
	uint32_t n;
	int rc = parse_number(v, k->max, &n);

	if (rc == 0 && n < k->min)
		rc = -ERANGE;
	if (rc < 0) {
		err_range(ld, line, k, v, rc);
		return;
	}
	if (k->kind == K_U8)
		*(uint8_t *)field = (uint8_t)n;
	else
		*(uint16_t *)field = (uint16_t)n;
}

static void store_duration(const struct config_ctx *ld, uint32_t *field, const struct config_keydef *k,
			   const char *v, unsigned line)
{
	char lo[16], hi[16];
	uint32_t ms;
	int rc = duration_parse(v, &ms);

	if (rc == -EINVAL) {
		ERR(ld, line, "%s: '%s' is not a duration (write e.g. 200ms, 1.5s, or 2 for seconds)",
		    k->name, v);
		return;
	}
	if (rc < 0 || ms < k->min || ms > k->max) {
		ERR(ld, line, "%s: %s is out of range %s..%s", k->name, v,
		    duration_format(k->min, lo, sizeof(lo)), duration_format(k->max, hi, sizeof(hi)));
		return;
	}
	*field = ms;
}

static int store_string(const struct config_ctx *ld, char **field, const struct config_keydef *k,
			const char *v, unsigned line)
{
	if (*v == '\0') {
		ERR(ld, line, "%s: empty value", k->name);
		return 0;
	}
	if ((k->kind == K_PATH || k->kind == K_SOCKPATH) && v[0] != '/') {
		ERR(ld, line, "%s: '%s' is not an absolute path", k->name, v);
		return 0;
	}
	if (k->kind == K_SOCKPATH && strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		ERR(ld, line, "%s: path is longer than a unix socket path may be (%zu bytes)",
		    k->name, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return 0;
	}
	if (k->kind == K_TABLE) {
		const char *dot = strchr(v, '.');
		bool ok = dot && dot != v && dot[1] && !strchr(dot + 1, '.');

		for (const char *p = v; ok && *p; p++)
			ok = *p == '.' || *p == '_' || *p == '$' || (*p >= '0' && *p <= '9') ||
			     (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
		if (!ok) {
			ERR(ld, line, "%s: '%s' is not of the form database.table", k->name, v);
			return 0;
		}
	}
	free(*field);
	*field = strdup(v);
	return *field ? 0 : -ENOMEM;
}

static int store_cmd(const struct config_ctx *ld, struct config_cmd *cmd, const struct config_keydef *k,
		     const char *v, unsigned line)
{
	const char *why;
	char **argv;
	size_t argc;
	int rc = cmdline_split(v, CONFIG_ARGV_MAX, &argv, &argc, &why);

	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		ERR(ld, line, "%s: %s", k->name, why);
		return 0;
	}
	if (argv[0][0] != '/') {
		ERR(ld, line, "%s: program '%s' must be an absolute path (no shell, no PATH search)",
		    k->name, argv[0]);
		cmdline_free(argv);
		return 0;
	}
	cmd->raw = strdup(v);
	if (!cmd->raw) {
		cmdline_free(argv);
		return -ENOMEM;
	}
	cmd->argv = argv;
	cmd->argc = argc;
	cmd->line = line;
	return 0;
}

static int store_host(const struct config_ctx *ld, struct config_check *c, const char *v, unsigned line)
{
	struct in6_addr a;

	if (strcmp(v, "localhost") == 0) {
		ERR(ld, line, "host: 'localhost' is not accepted: the MySQL client takes it to mean its "
		    "default unix socket, which may be another server's; write 'socket = PATH' with "
		    "the server's socket, or 'host = 127.0.0.1' for TCP");
		return 0;
	}
	if (inet_pton(AF_INET, v, &a) == 1)
		c->host_family = AF_INET;
	else if (inet_pton(AF_INET6, v, &a) == 1)
		c->host_family = AF_INET6;
	else {
		ERR(ld, line, "host: '%s' is not an IP address (vigil does no name lookups: they "
		    "would block the event loop)", v);
		return 0;
	}
	free(c->host);
	c->host = strdup(v);
	return c->host ? 0 : -ENOMEM;
}

bool config_vip_same_addr(const struct config_vip *a, const struct config_vip *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET6 ? memcmp(&a->addr6, &b->addr6, sizeof(a->addr6)) == 0
				     : a->addr.s_addr == b->addr.s_addr;
}

const char *config_addr_text(int family, const struct in_addr *a4, const struct in6_addr *a6,
			     char *buf, size_t len)
{
	const void *src = family == AF_INET6 ? (const void *)a6 : (const void *)a4;
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* An IPv4 or IPv6 literal; *family says which. */
static bool parse_ip(const struct config_ctx *ld, const char *key, const char *item, unsigned line,
		     int *family, struct in_addr *a4, struct in6_addr *a6)
{
	if (inet_pton(AF_INET, item, a4) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, item, a6) == 1) {
		*family = AF_INET6;
		return true;
	}
	ERR(ld, line, "%s: '%s' is not an IPv4 or IPv6 address", key, item);
	return false;
}

static int add_vip(const struct config_ctx *ld, struct config_instance *in, char *item, unsigned line)
{
	char *slash = strchr(item, '/');
	struct config_vip vip = { .line = line };
	uint32_t plen;
	void *p;

	if (!slash) {
		ERR(ld, line, "virtual_ip: '%s' has no prefix length (write e.g. %s/%s)", item, item,
		    strchr(item, ':') ? "64" : "24");
		return 0;
	}
	*slash = '\0';
	if (!parse_ip(ld, "virtual_ip", item, line, &vip.family, &vip.addr, &vip.addr6))
		return 0;
	unsigned max = vip.family == AF_INET6 ? 128 : 32;
	if (parse_number(slash + 1, max, &plen) < 0 || plen < 1) {
		ERR(ld, line, "virtual_ip: '%s/%s': prefix length must be 1..%u", item, slash + 1, max);
		return 0;
	}
	if (vip.family == AF_INET6 && (IN6_IS_ADDR_MULTICAST(&vip.addr6) ||
				       IN6_IS_ADDR_UNSPECIFIED(&vip.addr6) ||
				       IN6_IS_ADDR_LOOPBACK(&vip.addr6) ||
				       IN6_IS_ADDR_V4MAPPED(&vip.addr6))) {
		ERR(ld, line, "virtual_ip: '%s' is not a unicast IPv6 address a host can serve", item);
		return 0;
	}
	vip.prefix_len = (uint8_t)plen;
	for (size_t i = 0; i < in->n_vips; i++)
		if (config_vip_same_addr(&in->vips[i], &vip)) {
			ERR(ld, line, "virtual_ip: %s is listed twice (first at line %u)", item,
			    in->vips[i].line);
			return 0;
		}
	if (in->n_vips == CONFIG_VIP_MAX) {
		ERR(ld, line, "virtual_ip: more than %d addresses", CONFIG_VIP_MAX);
		return 0;
	}
	p = realloc(in->vips, (in->n_vips + 1) * sizeof(*in->vips));
	if (!p)
		return -ENOMEM;
	in->vips = p;
	in->vips[in->n_vips++] = vip;
	return 0;
}

static int add_peer(const struct config_ctx *ld, struct config_instance *in, char *item, unsigned line)
{
	struct config_peer peer = { .line = line };
	void *p;

	if (!parse_ip(ld, "unicast_peer", item, line, &peer.family, &peer.addr, &peer.addr6))
		return 0;
	for (size_t i = 0; i < in->n_peers; i++)
		if (in->peers[i].family == peer.family &&
		    (peer.family == AF_INET6
			     ? memcmp(&in->peers[i].addr6, &peer.addr6, sizeof(peer.addr6)) == 0
			     : in->peers[i].addr.s_addr == peer.addr.s_addr)) {
			ERR(ld, line, "unicast_peer: %s is listed twice (first at line %u)", item,
			    in->peers[i].line);
			return 0;
		}
	if (in->n_peers == CONFIG_PEER_MAX) {
		ERR(ld, line, "unicast_peer: more than %d peers", CONFIG_PEER_MAX);
		return 0;
	}
	p = realloc(in->peers, (in->n_peers + 1) * sizeof(*in->peers));
	if (!p)
		return -ENOMEM;
	in->peers = p;
	in->peers[in->n_peers++] = peer;
	return 0;
}

/*
 * "ADDR[:PORT]": an IPv4 literal, or an IPv6 one written "[ADDR]:PORT" or
 * bare "ADDR" (then no port: the colons are the address's); port 1..65535,
 * default 3306. The family is checked against the instance's VIPs later.
 */
static int add_dbpeer(const struct config_ctx *ld, struct config_instance *in, char *item,
		      unsigned line)
{
	struct config_dbpeer peer = { .port = CONFIG_MYSQL_PORT, .line = line };
	char *addr = item, *port = NULL;
	char text[INET6_ADDRSTRLEN + 8], orig[128];
	void *p;

	snprintf(orig, sizeof(orig), "%s", item);
	if (item[0] == '[') {
		char *close = strchr(item, ']');

		if (!close || (close[1] && close[1] != ':')) {
			ERR(ld, line, "instance %s: database_peers: '%s' is not [IPV6] or [IPV6]:PORT",
			    in->name, item);
			return 0;
		}
		*close = '\0';
		addr = item + 1;
		port = close[1] ? close + 2 : NULL;
		if (inet_pton(AF_INET6, addr, &peer.addr6) != 1) {
			ERR(ld, line, "instance %s: database_peers: '[%s]' is not an IPv6 address",
			    in->name, addr);
			return 0;
		}
		peer.family = AF_INET6;
	} else if (inet_pton(AF_INET6, item, &peer.addr6) == 1) {
		peer.family = AF_INET6;
	} else {
		char *colon = strchr(item, ':');

		if (colon && strchr(colon + 1, ':')) {
			ERR(ld, line, "instance %s: database_peers: '%s' is not ADDR or ADDR:PORT "
			    "(an IPv4 address, an IPv6 one, or [IPV6]:PORT; port 1..65535)",
			    in->name, item);
			return 0;
		}
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		if (inet_pton(AF_INET, item, &peer.addr) != 1) {
			ERR(ld, line, "instance %s: database_peers: '%s' is not an IP address (vigil "
			    "does no name lookups: they would block the event loop)", in->name, item);
			return 0;
		}
		peer.family = AF_INET;
	}
	if (port) {
		uint32_t n;

		if (parse_number(port, 65535, &n) < 0 || n < 1) {
			ERR(ld, line, "instance %s: database_peers: '%s': port must be 1..65535",
			    in->name, orig);
			return 0;
		}
		peer.port = (uint16_t)n;
	}
	if (peer.family == AF_INET6 && (IN6_IS_ADDR_MULTICAST(&peer.addr6) ||
					IN6_IS_ADDR_UNSPECIFIED(&peer.addr6) ||
					IN6_IS_ADDR_LINKLOCAL(&peer.addr6))) {
		/* A link-local address needs a scope the MySQL client cannot
		 * be given; replication names servers by routable addresses. */
		ERR(ld, line, "instance %s: database_peers: %s is not a unicast IPv6 address a "
		    "server can be reached at (link-local addresses are not accepted: use the "
		    "server's global or unique local one)", in->name, addr);
		return 0;
	}
	config_dbpeer_text(&peer, text, sizeof(text));
	for (size_t i = 0; i < in->n_db_peers; i++) {
		const struct config_dbpeer *o = &in->db_peers[i];

		if (o->family == peer.family && o->port == peer.port &&
		    (peer.family == AF_INET6 ? memcmp(&o->addr6, &peer.addr6, sizeof(peer.addr6)) == 0
					     : o->addr.s_addr == peer.addr.s_addr)) {
			ERR(ld, line, "instance %s: database_peers: %s is listed twice (first at "
			    "line %u)", in->name, text, o->line);
			return 0;
		}
	}
	if (in->n_db_peers == CONFIG_PEER_MAX) {
		ERR(ld, line, "instance %s: database_peers: more than %d peers", in->name,
		    CONFIG_PEER_MAX);
		return 0;
	}
	p = realloc(in->db_peers, (in->n_db_peers + 1) * sizeof(*in->db_peers));
	if (!p)
		return -ENOMEM;
	in->db_peers = p;
	in->db_peers[in->n_db_peers++] = peer;
	return 0;
}

const char *config_dbpeer_text(const struct config_dbpeer *p, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	config_addr_text(p->family, &p->addr, &p->addr6, ip, sizeof(ip));
	snprintf(buf, len, p->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, p->port);
	return buf;
}

static int add_track(const struct config_ctx *ld, struct config_instance *in, const char *item,
		     unsigned line)
{
	void *p;

	if (!config_valid_name(item)) {
		ERR(ld, line, "track: '%s' is not a check name", item);
		return 0;
	}
	for (size_t i = 0; i < in->n_track; i++)
		if (strcmp(in->track[i], item) == 0) {
			ERR(ld, line, "track: check '%s' is listed twice", item);
			return 0;
		}
	if (in->n_track == CONFIG_TRACK_MAX) {
		ERR(ld, line, "track: more than %d checks", CONFIG_TRACK_MAX);
		return 0;
	}
	p = realloc(in->track_lines, (in->n_track + 1) * sizeof(*in->track_lines));
	if (!p)
		return -ENOMEM;
	in->track_lines = p;
	in->track_lines[in->n_track] = line;
	p = realloc(in->track, (in->n_track + 1) * sizeof(*in->track));
	if (!p)
		return -ENOMEM;
	in->track = p;
	in->track[in->n_track] = strdup(item);
	if (!in->track[in->n_track])
		return -ENOMEM;
	in->n_track++;
	return 0;
}

/* A comma-separated list: every item must be non-empty. */
static int store_list(const struct config_ctx *ld, struct config_instance *in, const struct config_keydef *k,
		      const char *v, unsigned line)
{
	char *copy = strdup(v), *item = copy;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	while (item && rc == 0) {
		char *comma = strchr(item, ',');

		if (comma)
			*comma = '\0';
		item = config_trim(item);
		if (*item == '\0') {
			ERR(ld, line, "%s: empty item in list '%s'", k->name, v);
			break;
		}
		if (k->kind == K_VIP)
			rc = add_vip(ld, in, item, line);
		else if (k->kind == K_PEER)
			rc = add_peer(ld, in, item, line);
		else if (k->kind == K_DBPEER)
			rc = add_dbpeer(ld, in, item, line);
		else
			rc = add_track(ld, in, item, line);
		item = comma ? comma + 1 : NULL;
	}
	free(copy);
	return rc;
}

/* Store one key's value into the struct at base. */
int config_store_value(const struct config_ctx *ld, void *base, const struct config_keydef *k,
		       const char *v, unsigned line)
{
	void *field = (char *)base + k->off;

	switch (k->kind) {
	case K_STRING:
	case K_PATH:
	case K_SOCKPATH:
	case K_TABLE:
		return store_string(ld, field, k, v, line);
	case K_U8:
	case K_U16:
		store_number(ld, field, k, v, line);
		return 0;
	case K_BOOL:
		if (strcmp(v, "yes") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "no") == 0)
			*(bool *)field = false;
		else
			ERR(ld, line, "%s: '%s' is not yes or no", k->name, v);
		return 0;
	case K_DURATION:
		store_duration(ld, field, k, v, line);
		return 0;
	case K_ENUM:
		for (int i = 0; k->names[i]; i++)
			if (strcmp(v, k->names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		{
			char list[128] = "";

			for (int i = 0; k->names[i]; i++) {
				strncat(list, i ? " | " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, k->names[i], sizeof(list) - strlen(list) - 1);
			}
			ERR(ld, line, "%s: '%s' is not one of %s", k->name, v, list);
		}
		return 0;
	case K_VIP:
	case K_PEER:
	case K_TRACK:
	case K_DBPEER:
		return store_list(ld, base, k, v, line);
	case K_CMD:
		return store_cmd(ld, field, k, v, line);
	case K_HOST:
		return store_host(ld, base, v, line);
	case K_PASS:
		if (strlen(v) < 1 || strlen(v) > 8)
			ERR(ld, line, "auth_pass: must be 1..8 characters (VRRPv2 carries 8 bytes)");
		else
			snprintf(field, 9, "%s", v);
		return 0;
	}
	return 0;
}

const struct config_keydef *config_keydef_find(enum config_section_kind kind, const char *name)
{
	switch (kind) {
	case CONFIG_SEC_GLOBAL: return keydef_lookup(global_keys, name);
	case CONFIG_SEC_INSTANCE: return keydef_lookup(instance_keys, name);
	case CONFIG_SEC_CHECK: return keydef_lookup(check_keys, name);
	case CONFIG_SEC_QUORUM: return keydef_lookup(quorum_keys, name);
	}
	return NULL;
}

bool config_keydef_repeatable(const struct config_keydef *k)
{
	return k->kind == K_VIP || k->kind == K_PEER || k->kind == K_TRACK || k->kind == K_DBPEER;
}

/* ---- defaults ------------------------------------------------------ */

void config_instance_defaults(struct config_instance *in)
{
	in->priority = 100;
	in->version = 3;
	in->advert_interval_ms = 0;   /* resolved by version in config_validate() */
	in->checksum = CONFIG_CHECKSUM_AUTO;
	in->preempt = true;
	in->health_takeover = true;
	in->notify_timeout_ms = 10000;
	in->auth_type = CONFIG_AUTH_NONE;
	in->garp_master_delay_ms = 5000;
	in->garp_master_repeat = 5;
	in->garp_master_refresh_ms = 0;
	in->garp_master_refresh_repeat = 1;
	in->garp_interval_ms = 100;
	in->manage_read_only = false;
	in->role_check_index = -1;    /* resolved in config_validate() */
	in->promote_timeout_ms = 30000;
	in->promote_on_timeout = CONFIG_PROMOTE_STAY_READ_ONLY;
	in->stop_replication_on_promote = true;
	in->witness = false;          /* default manage_read_only: resolved in config_validate() */
	in->witness_timeout_ms = 300;
	in->role_timeout_ms = 2000;
}

void config_quorum_defaults(struct config_quorum *q)
{
	q->lease_ttl_ms = 6000;
	q->quorum_lost = CONFIG_QUORUM_LOST_DEMOTE;
	q->etcd_election_timeout_ms = 1000;  /* etcd's own default */
	q->request_timeout_ms = 1000;
}

void config_check_defaults(struct config_check *c)
{
	c->interval_ms = 200;
	c->timeout_ms = 500;
	c->rise = 2;
	c->fall = 2;
	c->penalty = 100;
	c->degraded_penalty = 10;     /* capped at penalty in config_validate() */
	c->slow_ms = 50;
	c->connect_interval_ms = 5000;
	c->warn_lag_ms = 5000;
	c->crit_lag_ms = 30000;
}

