/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config validation: rules between keys and sections, and dependent defaults. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "duration.h"
#include "etcd_client.h"

#define DEFAULT_CONTROL_SOCKET "/run/vigil/vigil.sock"
/* v3 default: Skew_Time at priority 100 is 121 ms and Master_Down_Interval
 * 721 ms, which reach docs/design.md "Failover targets" (1 s would give a
 * 609 ms skew, over the 0.5 s budget for a killed mysqld). */
#define DEFAULT_ADVERT_V3_MS 200
#define DEFAULT_ADVERT_V2_MS 1000   /* RFC 3768 5.3.7 default, whole seconds */
#define DEFAULT_DEGRADED_PENALTY 10
#define DEFAULT_QUERY "SELECT 1"

struct vctx {
	struct vigil_config *cfg;
	struct config_diag *diag;
	const char *file;
};

#define ERR(v, line, ...) config_diag_add((v)->diag, CONFIG_ERROR, (v)->file, (line), __VA_ARGS__)
#define WARN(v, line, ...) config_diag_add((v)->diag, CONFIG_WARNING, (v)->file, (line), __VA_ARGS__)

static int global_defaults(struct vctx *v)
{
	struct config_global *g = &v->cfg->global;

	if (!g->router_id) {
		char host[256];

		/* router_id defaults to the host name (docs/design.md
		 * "Configuration contract"). */
		if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "vigil");
		host[sizeof(host) - 1] = '\0';
		g->router_id = strdup(host);
		if (!g->router_id)
			return -ENOMEM;
	}
	if (!g->control_socket) {
		g->control_socket = strdup(DEFAULT_CONTROL_SOCKET);
		if (!g->control_socket)
			return -ENOMEM;
	}
	/* The parsed struct starts zeroed, which is "error": info is the
	 * level whose lines explain every transition and priority change. */
	if (!config_origin_has(&g->origin, "log_level"))
		g->log_level = CONFIG_LOG_INFO;
	return 0;
}

static void require(struct vctx *v, const struct config_origin *o, const char *what,
		    const char *name, const char *key)
{
	if (!config_origin_has(o, key))
		ERR(v, o->section_line, "%s '%s' is missing required key '%s'", what, name, key);
}

/* ---- metrics_listen ------------------------------------------------ */

/* A port of 1..65535 in decimal, nothing else. */
static bool parse_port(const char *s, uint16_t *out)
{
	unsigned long n = 0;

	if (*s == '\0' || strlen(s) > 5)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > 65535)
		return false;
	*out = (uint16_t)n;
	return true;
}

/*
 * Split "ADDR:PORT" or "[ADDR6]:PORT" into host (a copy, brackets gone)
 * and port text. Returns NULL, or what is wrong for the message.
 */
static const char *split_listen(const char *s, char *host, size_t hostlen, const char **port,
				bool *v6)
{
	const char *end, *colon;

	*v6 = s[0] == '[';
	if (*v6) {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return "is not [IPV6-ADDRESS]:PORT";
		s++;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return "has no port (write ADDRESS:PORT, e.g. 127.0.0.1:9717)";
		if (strchr(s, ':') != colon)
			return "looks like an IPv6 address without brackets (write e.g. [::1]:9717)";
		end = colon;
	}
	if ((size_t)(end - s) >= hostlen)
		return "is not an IP address and port";
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	*port = colon + 1;
	return NULL;
}

/* [global] metrics_listen into metrics_addr: an IP literal and a port;
 * names are refused, since a lookup would block the event loop. */
static void validate_metrics_listen(struct vctx *v)
{
	struct config_global *g = &v->cfg->global;
	unsigned line = config_key_line(&g->origin, "metrics_listen");
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text = NULL, *why;
	uint16_t port;
	bool v6;

	if (!g->metrics_listen)
		return;
	why = split_listen(g->metrics_listen, host, sizeof(host), &port_text, &v6);
	if (why) {
		ERR(v, line, "metrics_listen: '%s' %s", g->metrics_listen, why);
		return;
	}
	if (!parse_port(port_text, &port)) {
		ERR(v, line, "metrics_listen: '%s': port must be 1..65535", g->metrics_listen);
		return;
	}
	memset(&g->metrics_addr, 0, sizeof(g->metrics_addr));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g->metrics_addr;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			ERR(v, line, "metrics_listen: '%s' is not an IPv6 address", host);
			return;
		}
		g->metrics_addrlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&g->metrics_addr;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			ERR(v, line, "metrics_listen: '%s' is not an IPv4 address (vigil does no name "
			    "lookups: they would block the event loop)", host);
			return;
		}
		g->metrics_addrlen = sizeof(*a);
	}
}

/* ---- instances ----------------------------------------------------- */

static void validate_interval(struct vctx *v, struct config_instance *in)
{
	unsigned line = config_key_line(&in->origin, "advert_interval");
	uint32_t ms = in->advert_interval_ms;
	char buf[16];

	if (!config_origin_has(&in->origin, "advert_interval")) {
		in->advert_interval_ms = in->version == 2 ? DEFAULT_ADVERT_V2_MS : DEFAULT_ADVERT_V3_MS;
		return;
	}
	duration_format(ms, buf, sizeof(buf));
	if (in->version == 2) {
		/* RFC 3768 5.3.7: Adver Int is 8 bits of whole seconds. */
		if (ms % 1000)
			ERR(v, line, "advert_interval: %s is not a whole number of seconds "
			    "(VRRPv2 advertises whole seconds, 1s..255s)", buf);
		else if (ms < 1000 || ms > 255000)
			ERR(v, line, "advert_interval: %s is out of range 1s..255s for version 2", buf);
	} else {
		/* RFC 5798 5.2.7: Max Adver Int is 12 bits of centiseconds. */
		if (ms % 10)
			ERR(v, line, "advert_interval: %s is not a multiple of 10ms "
			    "(VRRPv3 advertises centiseconds, 10ms..40.95s)", buf);
		else if (ms < 10 || ms > 40950)
			ERR(v, line, "advert_interval: %s is out of range 10ms..40.95s for version 3", buf);
	}
}

static void validate_version_keys(struct vctx *v, struct config_instance *in)
{
	const struct config_origin *o = &in->origin;

	if (in->version == 2) {
		if (config_origin_has(o, "checksum"))
			ERR(v, config_key_line(o, "checksum"), "checksum is only valid with version = 3 "
			    "(VRRPv2 always checksums the VRRP message alone)");
		if (in->auth_type == CONFIG_AUTH_PASS && !config_origin_has(o, "auth_pass"))
			ERR(v, config_key_line(o, "auth_type"),
			    "auth_type = pass needs auth_pass (1..8 characters)");
		if (config_origin_has(o, "auth_pass") && in->auth_type != CONFIG_AUTH_PASS)
			ERR(v, config_key_line(o, "auth_pass"), "auth_pass is only valid with auth_type = pass");
		return;
	}
	/* RFC 5798 removed VRRPv2's authentication. */
	if (config_origin_has(o, "auth_type"))
		ERR(v, config_key_line(o, "auth_type"), "auth_type is only valid with version = 2 "
		    "(VRRPv3 has no authentication)");
	if (config_origin_has(o, "auth_pass"))
		ERR(v, config_key_line(o, "auth_pass"), "auth_pass is only valid with version = 2 "
		    "(VRRPv3 has no authentication)");
}

/*
 * RFC 5798: a virtual router serves one address family, and its adverts
 * go over that family. The instance's family is its first VIP's; every
 * VIP and unicast peer must share it. VRRPv2 (RFC 3768) is IPv4 only. An
 * IPv6 virtual router needs a global VIP: a link-local one alone reaches
 * no client beyond the link's own hosts' link-local routes.
 */
static void validate_family(struct vctx *v, struct config_instance *in)
{
	char ip[INET6_ADDRSTRLEN], first[INET6_ADDRSTRLEN];
	bool global6 = false;

	in->family = in->n_vips ? in->vips[0].family : AF_INET;
	if (in->n_vips)
		config_addr_text(in->vips[0].family, &in->vips[0].addr, &in->vips[0].addr6, first,
				 sizeof(first));
	for (size_t k = 0; k < in->n_vips; k++) {
		const struct config_vip *a = &in->vips[k];

		if (a->family != in->family) {
			config_addr_text(a->family, &a->addr, &a->addr6, ip, sizeof(ip));
			ERR(v, a->line, "instance %s: virtual_ip %s is %s but %s (line %u) is %s: an "
			    "instance serves one address family (RFC 5798); use one instance per family",
			    in->name, ip, a->family == AF_INET6 ? "IPv6" : "IPv4", first,
			    in->vips[0].line, in->family == AF_INET6 ? "IPv6" : "IPv4");
		} else if (a->family == AF_INET6 && !IN6_IS_ADDR_LINKLOCAL(&a->addr6)) {
			global6 = true;
		}
	}
	if (in->family != AF_INET6)
		goto peers;
	if (in->version == 2)
		ERR(v, config_key_line(&in->origin, config_origin_has(&in->origin, "version")
							? "version" : "virtual_ip"),
		    "instance %s: IPv6 virtual_ip needs version = 3 (VRRPv2, RFC 3768, is IPv4 only)",
		    in->name);
	if (config_origin_has(&in->origin, "checksum"))
		ERR(v, config_key_line(&in->origin, "checksum"), "instance %s: checksum applies to "
		    "VRRPv3 over IPv4 only (over IPv6 the pseudo-header is always used)", in->name);
	if (!global6)
		ERR(v, in->vips[0].line, "instance %s: virtual_ip: only link-local IPv6 addresses; "
		    "add a global one (clients reach the VIP by it)", in->name);
peers:
	for (size_t k = 0; k < in->n_peers; k++) {
		const struct config_peer *p = &in->peers[k];

		if (p->family == in->family)
			continue;
		config_addr_text(p->family, &p->addr, &p->addr6, ip, sizeof(ip));
		ERR(v, p->line, "instance %s: unicast_peer %s is %s but the instance's virtual_ip are "
		    "%s: adverts go over the VIPs' family", in->name, ip,
		    p->family == AF_INET6 ? "IPv6" : "IPv4", in->family == AF_INET6 ? "IPv6" : "IPv4");
	}
	/* The database peers are named as replicas name their master, by
	 * the address of the interface the VIPs are on: the same family. */
	for (size_t k = 0; k < in->n_db_peers; k++) {
		const struct config_dbpeer *d = &in->db_peers[k];

		if (d->family == in->family)
			continue;
		config_addr_text(d->family, &d->addr, &d->addr6, ip, sizeof(ip));
		ERR(v, d->line, "instance %s: database_peers: %s is %s but the instance's virtual_ip "
		    "are %s: list the servers by their %s addresses (replicas name their master by "
		    "the address on the VIPs' network)", in->name, ip,
		    d->family == AF_INET6 ? "IPv6" : "IPv4", in->family == AF_INET6 ? "IPv6" : "IPv4",
		    in->family == AF_INET6 ? "IPv6" : "IPv4");
	}
}

static int resolve_tracks(struct vctx *v, struct config_instance *in)
{
	unsigned degraded = 0;

	in->track_index = calloc(in->n_track ? in->n_track : 1, sizeof(*in->track_index));
	if (!in->track_index)
		return -ENOMEM;
	for (size_t t = 0; t < in->n_track; t++) {
		long idx = config_find_check(v->cfg, in->track[t]);

		if (idx < 0) {
			ERR(v, in->track_lines[t], "track: no [check %s] section", in->track[t]);
			continue;
		}
		in->track_index[t] = (size_t)idx;
		v->cfg->checks[idx].n_tracked_by++;
		degraded += v->cfg->checks[idx].degraded_penalty;
	}
	if (in->priority == 255 && in->n_track > 0)
		ERR(v, in->track_lines[0], "track: priority 255 (address owner) never changes, so "
		    "tracked checks would have no effect; use a priority of 1..254");
	/* docs/design.md "Health takeover": resign_below must sit at or
	 * below a degraded node's priority, or a merely degraded master
	 * hands the VIP to a node that lacks its writes. */
	if (in->resign_below > 0 && in->priority != 255) {
		unsigned line = config_key_line(&in->origin, "resign_below");

		if (in->resign_below >= in->priority)
			WARN(v, line, "resign_below %u is not below this instance's priority %u: a "
			     "healthy peer with the same settings would take the VIP from it",
			     in->resign_below, in->priority);
		else if (degraded > 0 && in->priority - (int)degraded < in->resign_below)
			WARN(v, line, "resign_below %u is above priority %u minus the degraded "
			     "penalties of its tracked checks (%u): a merely degraded master "
			     "would hand over the VIP", in->resign_below, in->priority, degraded);
		if (in->preempt)
			WARN(v, line, "resign_below has no effect with preempt = yes (a healthier "
			     "backup takes over anyway)");
	}
	return 0;
}

static void validate_pairs(struct vctx *v, size_t i)
{
	const struct config_instance *in = &v->cfg->instances[i];

	for (size_t j = 0; j < i; j++) {
		const struct config_instance *o = &v->cfg->instances[j];

		/* RFC 5798: an IPv4 and an IPv6 virtual router are two routers,
		 * which may share a VRID on one link. */
		if (in->interface && o->interface && in->vrid && in->vrid == o->vrid &&
		    in->family == o->family && strcmp(in->interface, o->interface) == 0)
			ERR(v, config_key_line(&in->origin, "vrid"), "vrid %u on %s is already used by "
			    "instance '%s' (line %u)%s", in->vrid, in->interface, o->name,
			    config_key_line(&o->origin, "vrid"),
			    in->family == AF_INET6 ? " for IPv6" : "");
		for (size_t a = 0; a < in->n_vips; a++)
			for (size_t b = 0; b < o->n_vips; b++)
				if (config_vip_same_addr(&in->vips[a], &o->vips[b])) {
					char ip[INET6_ADDRSTRLEN];

					config_addr_text(in->vips[a].family, &in->vips[a].addr,
							 &in->vips[a].addr6, ip, sizeof(ip));
					ERR(v, in->vips[a].line, "virtual_ip %s is also in instance '%s' "
					    "(line %u)", ip, o->name, o->vips[b].line);
				}
	}
}

/* ---- data safety (docs/data-safety.md) ----------------------------- */

static bool is_mysql_check(const struct config_check *c)
{
	return config_origin_has(&c->origin, "type") &&
	       (c->type == CONFIG_CHECK_MYSQL_PING || c->type == CONFIG_CHECK_MYSQL_REPLICATION);
}

/*
 * Fill role_check_index: the check named by role_check, else the first
 * tracked mysql_ping or mysql_replication check, else -1. Returns false
 * when role_check was given and an error was reported about it.
 */
static bool resolve_role_check(struct vctx *v, struct config_instance *in)
{
	unsigned line = config_key_line(&in->origin, "role_check");
	const struct config_check *c;
	bool tracked = false;
	long idx;

	in->role_check_index = -1;
	if (!in->role_check) {
		for (size_t t = 0; t < in->n_track; t++) {
			idx = config_find_check(v->cfg, in->track[t]);
			if (idx >= 0 && is_mysql_check(&v->cfg->checks[idx])) {
				in->role_check_index = idx;
				break;
			}
		}
		return true;
	}
	idx = config_find_check(v->cfg, in->role_check);
	if (idx < 0) {
		ERR(v, line, "instance %s: role_check: no [check %s] section", in->name, in->role_check);
		return false;
	}
	c = &v->cfg->checks[idx];
	if (!config_origin_has(&c->origin, "type"))
		return false;  /* the check's missing type is reported at the check */
	if (!is_mysql_check(c)) {
		ERR(v, line, "instance %s: role_check: check '%s' is of type %s; the role check "
		    "must be mysql_ping or mysql_replication (role statements use its connection)",
		    in->name, c->name, config_check_type_name(c->type));
		return false;
	}
	for (size_t t = 0; t < in->n_track; t++)
		tracked |= strcmp(in->track[t], c->name) == 0;
	if (!tracked) {
		/* An untracked check opens no connection (health.c), and role
		 * statements use the role check's connection. */
		ERR(v, line, "instance %s: role_check: check '%s' is not tracked by this instance: "
		    "add it to track (role statements use its connection; penalty = 0 keeps it "
		    "out of the priority)", in->name, c->name);
		return false;
	}
	in->role_check_index = idx;
	return true;
}

/* database_peers defaults to the unicast peers, at MySQL's port: over
 * IPv4 only. Over IPv6 the unicast peers are the routers' link-local
 * addresses (adverts come from those, RFC 5798 5.1.2.1), not the servers'
 * MySQL addresses: database_peers must list them. */
static int default_db_peers(struct config_instance *in)
{
	if (config_origin_has(&in->origin, "database_peers") || in->n_peers == 0 ||
	    in->family == AF_INET6)
		return 0;
	in->db_peers = calloc(in->n_peers, sizeof(*in->db_peers));
	if (!in->db_peers)
		return -ENOMEM;
	in->n_db_peers = 0;
	for (size_t k = 0; k < in->n_peers; k++) {
		if (in->peers[k].family != AF_INET)
			continue;
		in->db_peers[in->n_db_peers].family = AF_INET;
		in->db_peers[in->n_db_peers].addr = in->peers[k].addr;
		in->db_peers[in->n_db_peers].port = CONFIG_MYSQL_PORT;
		in->db_peers[in->n_db_peers].line = in->peers[k].line;
		in->n_db_peers++;
	}
	return 0;
}

/*
 * The data-safety keys: role check, the one-instance rule, the witness
 * default and its timing, database_peers' default. Runs after the tracks
 * and advert_interval are resolved.
 */
static int validate_data_safety(struct vctx *v, size_t i)
{
	struct config_instance *in = &v->cfg->instances[i];
	const struct config_origin *o = &in->origin;
	unsigned mro_line = config_key_line(o, "manage_read_only");
	bool role_ok = resolve_role_check(v, in);
	bool no_role = role_ok && in->role_check_index < 0;
	char a[16], b[16];

	if (!config_origin_has(o, "witness"))
		in->witness = in->manage_read_only;
	if (in->manage_read_only) {
		/* Two instances would both set the one server's read_only. */
		for (size_t j = 0; j < i; j++) {
			const struct config_instance *other = &v->cfg->instances[j];

			if (other->manage_read_only) {
				ERR(v, mro_line, "instance %s: manage_read_only: instance '%s' (line %u) "
				    "already manages read_only; at most one instance per server may",
				    in->name, other->name, config_key_line(&other->origin,
									 "manage_read_only"));
				break;
			}
		}
		if (no_role)
			ERR(v, mro_line, "instance %s: manage_read_only needs a mysql_ping or "
			    "mysql_replication check: track one or set role_check", in->name);
	} else if (in->witness && no_role) {
		ERR(v, config_key_line(o, "witness"), "instance %s: witness needs a mysql_ping or "
		    "mysql_replication check (the witness uses the role check's port and "
		    "credentials): track one or set role_check", in->name);
	}
	/* Not given: 300 ms, or two advert intervals when adverts are
	 * faster, so the probe always starts inside the silence it judges
	 * (100 ms adverts: 200 ms) and a fast config needs no extra key. */
	if (!config_origin_has(o, "witness_timeout") && in->witness_timeout_ms > 2u * in->advert_interval_ms)
		in->witness_timeout_ms = 2u * in->advert_interval_ms;
	/* The probe starts witness_timeout before the Master_Down_Timer
	 * expires, and that timer is 3 advert intervals plus the skew
	 * (RFC 5798 6.1): a longer probe would start before the silence. */
	if ((in->witness || v->cfg->quorum.enabled) &&
	    (uint64_t)in->witness_timeout_ms >= 3ull * in->advert_interval_ms)
		ERR(v, config_key_line(o, config_origin_has(o, "witness_timeout") ? "witness_timeout"
										: "advert_interval"),
		    "instance %s: witness_timeout (%s) must be below 3 * advert_interval (%s)",
		    in->name, duration_format(in->witness_timeout_ms, a, sizeof(a)),
		    duration_format(3 * in->advert_interval_ms, b, sizeof(b)));
	if (default_db_peers(in) < 0)
		return -ENOMEM;
	if (in->manage_read_only && in->n_db_peers == 0 && in->family == AF_INET6)
		ERR(v, mro_line, "instance %s: manage_read_only over IPv6 needs database_peers: "
		    "adverts come from link-local addresses, which do not name the other servers; "
		    "list them (e.g. database_peers = [2001:db8::12]:3306)", in->name);
	else if (in->manage_read_only && in->n_db_peers == 0)
		WARN(v, mro_line, "instance %s: manage_read_only without database_peers (or "
		     "unicast_peer): only the master's advert source can be read, so a cold start "
		     "cannot compare epochs with the other servers; list them in database_peers",
		     in->name);
	return 0;
}

static int validate_instance(struct vctx *v, size_t i)
{
	struct config_instance *in = &v->cfg->instances[i];
	const char *n = in->name;

	require(v, &in->origin, "instance", n, "interface");
	require(v, &in->origin, "instance", n, "vrid");
	require(v, &in->origin, "instance", n, "virtual_ip");
	if (in->interface && (strlen(in->interface) >= IF_NAMESIZE ||
			      strpbrk(in->interface, "/ \t:")))
		ERR(v, config_key_line(&in->origin, "interface"), "interface: '%s' is not a valid "
		    "interface name (at most %d characters, no '/', ':' or blanks)",
		    in->interface, IF_NAMESIZE - 1);
	validate_interval(v, in);
	validate_version_keys(v, in);
	validate_family(v, in);
	validate_pairs(v, i);
	if (resolve_tracks(v, in) < 0)
		return -ENOMEM;
	return validate_data_safety(v, i);
}

/* ---- checks -------------------------------------------------------- */

static void validate_target(struct vctx *v, struct config_check *c)
{
	const struct config_origin *o = &c->origin;
	bool host = config_origin_has(o, "host"), sock = config_origin_has(o, "socket");

	switch (c->type) {
	case CONFIG_CHECK_TCP:
		require(v, o, "check", c->name, "host");
		require(v, o, "check", c->name, "port");
		break;
	case CONFIG_CHECK_MYSQL_PING:
	case CONFIG_CHECK_MYSQL_REPLICATION:
		if (host && sock) {
			unsigned lh = config_key_line(o, "host"), ls = config_key_line(o, "socket");

			ERR(v, lh > ls ? lh : ls, "host and socket are exclusive: give one of them");
		} else if (!host && !sock) {
			ERR(v, o->section_line, "check '%s' needs 'host' (an IP address) or 'socket' "
			    "(the server's unix socket path)", c->name);
		}
		if (sock && config_origin_has(o, "port"))
			ERR(v, config_key_line(o, "port"), "port has no meaning with socket");
		if (!config_origin_has(o, "port"))
			c->port = CONFIG_MYSQL_PORT;
		break;
	case CONFIG_CHECK_SCRIPT:
		require(v, o, "check", c->name, "command");
		break;
	}
}

static int validate_check(struct vctx *v, struct config_check *c)
{
	const struct config_origin *o = &c->origin;
	char a[16], b[16];

	if (!config_origin_has(o, "type")) {
		require(v, o, "check", c->name, "type");
		return 0;
	}
	for (size_t k = 0; k < o->n_keys; k++)
		if (!(config_check_key_types(o->keys[k].key) & CONFIG_TYPE_BIT(c->type)))
			ERR(v, o->keys[k].line, "key '%s' is not valid for a check of type %s",
			    o->keys[k].key, config_check_type_name(c->type));
	validate_target(v, c);

	if (!config_origin_has(o, "degraded_penalty"))
		c->degraded_penalty = c->penalty < DEFAULT_DEGRADED_PENALTY ? c->penalty
									   : DEFAULT_DEGRADED_PENALTY;
	else if (c->degraded_penalty > c->penalty)
		ERR(v, config_key_line(o, "degraded_penalty"), "degraded_penalty %u is larger than "
		    "penalty %u (degraded must not cost more than failed)", c->degraded_penalty,
		    c->penalty);

	if (c->type == CONFIG_CHECK_MYSQL_PING) {
		if (c->slow_ms >= c->timeout_ms)
			ERR(v, config_key_line(o, config_origin_has(o, "slow") ? "slow" : "timeout"),
			    "slow (%s) must be below timeout (%s)", duration_format(c->slow_ms, a, 16),
			    duration_format(c->timeout_ms, b, 16));
		if (!c->query) {
			c->query = strdup(DEFAULT_QUERY);
			if (!c->query)
				return -ENOMEM;
		}
	}
	if (c->type == CONFIG_CHECK_MYSQL_REPLICATION && c->crit_lag_ms <= c->warn_lag_ms)
		ERR(v, config_key_line(o, config_origin_has(o, "crit_lag") ? "crit_lag" : "warn_lag"),
		    "crit_lag (%s) must be greater than warn_lag (%s)",
		    duration_format(c->crit_lag_ms, a, 16), duration_format(c->warn_lag_ms, b, 16));
	return 0;
}

/* ---- whole file ---------------------------------------------------- */

/* ---- [quorum] ------------------------------------------------------ */

/* The time a master that cannot renew keeps to find etcd again: from when
 * a renewal is due (a third of the TTL after the last one was sent) to
 * its safety deadline (the TTL less what a demotion may take: role_timeout
 * and a margin). The daemon's rule (quorum_rules.h) uses the same terms. */
static int64_t quorum_renew_window_ms(const struct config_quorum *q, const struct config_instance *in)
{
	return (int64_t)q->lease_ttl_ms - q->lease_ttl_ms / 3 -
	       (int64_t)config_quorum_demote_budget_ms(in);
}

uint32_t config_quorum_demote_budget_ms(const struct config_instance *in)
{
	return in->role_timeout_ms + CONFIG_QUORUM_DEMOTE_MARGIN_MS;
}

static int split_endpoints(struct vctx *v, struct config_quorum *q, unsigned line)
{
	char *copy = strdup(q->endpoints_raw), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char norm[ETCD_ENDPOINT_MAX], why[160];
		char *url = config_trim(tok);
		bool dup = false;

		if (*url == '\0')
			continue;
		if (etcd_endpoint_check(url, norm, why, sizeof(why)) < 0) {
			ERR(v, line, "[quorum] etcd_endpoints: '%s': %s", url, why);
			continue;
		}
		for (size_t i = 0; i < q->n_endpoints && !dup; i++)
			dup = strcmp(q->endpoints[i], norm) == 0;
		if (dup) {
			ERR(v, line, "[quorum] etcd_endpoints: '%s' is listed twice", url);
			continue;
		}
		if (q->n_endpoints == ETCD_ENDPOINTS_MAX) {
			ERR(v, line, "[quorum] etcd_endpoints: at most %u endpoints", ETCD_ENDPOINTS_MAX);
			break;
		}
		char **p = realloc(q->endpoints, (q->n_endpoints + 1) * sizeof(*p));
		if (!p || !(p[q->n_endpoints] = strdup(norm))) {
			if (p)
				q->endpoints = p;
			free(copy);
			return -ENOMEM;
		}
		q->endpoints = p;
		q->n_endpoints++;
	}
	free(copy);
	return 0;
}

static int validate_quorum(struct vctx *v)
{
	struct config_quorum *q = &v->cfg->quorum;
	const struct config_origin *o = &q->origin;
	char a[16], b[16], c[16];

	if (!q->enabled)
		return 0;
	require(v, o, "section", "[quorum]", "etcd_endpoints");
	if (q->endpoints_raw) {
		if (split_endpoints(v, q, config_key_line(o, "etcd_endpoints")) < 0)
			return -ENOMEM;
		if (q->n_endpoints == 0)
			ERR(v, config_key_line(o, "etcd_endpoints"), "[quorum] etcd_endpoints: no endpoint");
		else if (q->n_endpoints < 3)
			WARN(v, config_key_line(o, "etcd_endpoints"),
			     "[quorum] etcd_endpoints: %zu endpoint%s: list every member of the etcd "
			     "cluster, or a member that is down takes the quorum with it",
			     q->n_endpoints, q->n_endpoints == 1 ? "" : "s");
	}
	if (q->lease_ttl_ms % 1000)
		ERR(v, config_key_line(o, "lease_ttl"), "[quorum] lease_ttl: %s: etcd grants whole "
		    "seconds", duration_format(q->lease_ttl_ms, a, sizeof(a)));
	if (!q->prefix && !(q->prefix = strdup("/vigil/")))
		return -ENOMEM;
	if (q->prefix[0] != '/' || q->prefix[strlen(q->prefix) - 1] != '/' ||
	    strlen(q->prefix) > 200)
		ERR(v, config_key_line(o, "prefix"), "[quorum] prefix: '%s' must start and end with "
		    "'/' (the keys are PREFIX + instance name), at most 200 characters", q->prefix);
	for (size_t i = 0; i < v->cfg->n_instances; i++) {
		struct config_instance *in = &v->cfg->instances[i];
		uint32_t budget;

		in->quorum = true;
		/* Not given: 1 s instead of 2 s, so that the default lease
		 * (6 s) leaves a master time to ride out an etcd leader
		 * election before its safety deadline (the warning below). */
		if (!config_origin_has(&in->origin, "role_timeout"))
			in->role_timeout_ms = 1000;
		budget = config_quorum_demote_budget_ms(in);
		if (!in->manage_read_only) {
			ERR(v, in->origin.section_line, "instance %s: [quorum] (line %u) needs "
			    "manage_read_only = yes: the lease decides which server may write, and "
			    "vigil can hold back only a server whose read_only it manages",
			    in->name, o->section_line);
			continue;
		}
		/* The master demotes at TTL - budget after its last good
		 * renewal, which must leave it time to renew at all. */
		if (budget >= q->lease_ttl_ms / 2) {
			ERR(v, config_key_line(o, "lease_ttl"), "[quorum] lease_ttl (%s) is too short "
			    "for instance %s's role_timeout (%s): a master that cannot renew demotes "
			    "role_timeout + %u ms before its lease can end, which must be less than "
			    "half the lease", duration_format(q->lease_ttl_ms, a, sizeof(a)), in->name,
			    duration_format(in->role_timeout_ms, b, sizeof(b)),
			    CONFIG_QUORUM_DEMOTE_MARGIN_MS);
			continue;
		}
		/* A leader election in etcd stops every renewal until it is
		 * over: one election timeout to notice, up to another to
		 * elect (randomized). A shorter window demotes a healthy
		 * master whenever etcd changes leader. */
		int64_t window = quorum_renew_window_ms(q, in);
		if (window < 2 * (int64_t)q->etcd_election_timeout_ms)
			WARN(v, config_key_line(o, "lease_ttl"), "[quorum] lease_ttl (%s) is short for "
			     "etcd_election_timeout (%s): with instance %s's role_timeout (%s) a master "
			     "has %lld ms to renew once a renewal is due, less than two election "
			     "timeouts, so an etcd leader change can make it demote; raise lease_ttl "
			     "or lower role_timeout", duration_format(q->lease_ttl_ms, a, sizeof(a)),
			     duration_format(q->etcd_election_timeout_ms, b, sizeof(b)), in->name,
			     duration_format(in->role_timeout_ms, c, sizeof(c)),
			     (long long)(window > 0 ? window : 0));
	}
	if (q->request_timeout_ms >= q->lease_ttl_ms / 3)
		ERR(v, config_key_line(o, "request_timeout"), "[quorum] request_timeout (%s) must "
		    "be below a third of lease_ttl (%s), the renewal period",
		    duration_format(q->request_timeout_ms, a, sizeof(a)),
		    duration_format(q->lease_ttl_ms, b, sizeof(b)));
	return 0;
}

void config_validate(struct vigil_config *cfg, const char *file, struct config_diag *diag)
{
	struct vctx v = { .cfg = cfg, .diag = diag, .file = file };
	bool uses_mysql = false;

	if (global_defaults(&v) < 0) {
		ERR(&v, 0, "out of memory");
		return;
	}
	validate_metrics_listen(&v);
	/* Checks first: instances add up their degraded penalties. */
	for (size_t i = 0; i < cfg->n_checks; i++) {
		if (validate_check(&v, &cfg->checks[i]) < 0) {
			ERR(&v, 0, "out of memory");
			return;
		}
		uses_mysql |= config_origin_has(&cfg->checks[i].origin, "type") &&
			      cfg->checks[i].type != CONFIG_CHECK_TCP &&
			      cfg->checks[i].type != CONFIG_CHECK_SCRIPT;
	}
	if (cfg->n_instances == 0)
		ERR(&v, 1, "no [instance NAME] section: there is nothing to run");
	for (size_t i = 0; i < cfg->n_instances; i++)
		if (validate_instance(&v, i) < 0) {
			ERR(&v, 0, "out of memory");
			return;
		}
	if (validate_quorum(&v) < 0) {
		ERR(&v, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->n_checks; i++)
		if (cfg->checks[i].n_tracked_by == 0)
			WARN(&v, cfg->checks[i].origin.section_line, "check '%s' is not tracked by "
			     "any instance: it will run but change nothing", cfg->checks[i].name);
	if (uses_mysql && !cfg->global.mysql_defaults_file)
		WARN(&v, cfg->global.origin.section_line ? cfg->global.origin.section_line : 1,
		     "no mysql_defaults_file in [global]: MySQL checks will connect without "
		     "credentials");
}
