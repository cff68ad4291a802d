/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Human-readable summary of a configuration, for `vigild -t`. */
#include "config_print.h"

#include <arpa/inet.h>

#include "duration.h"

/* Small helper so each line reads like the file: "200ms", "1.5s". */
#define DUR(ms, buf) duration_format((ms), (buf), sizeof(buf))

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void print_cmd(FILE *out, const char *key, const struct config_cmd *cmd)
{
	if (cmd->raw)
		fprintf(out, "  %s: %s\n", key, cmd->raw);
}

/* The data-safety line: whenever vigil manages read_only or runs the witness. */
static void print_data_safety(const struct vigil_config *cfg, const struct config_instance *in,
			      FILE *out)
{
	char a[16], b[16], c[16], ip[INET6_ADDRSTRLEN + 8];

	if (!in->manage_read_only && !in->witness)
		return;
	fprintf(out, "  manage_read_only %s: role_check %s", yesno(in->manage_read_only),
		in->role_check_index >= 0 ? cfg->checks[in->role_check_index].name : "none");
	fprintf(out, ", database_peers");
	if (in->n_db_peers == 0)
		fprintf(out, " none");
	for (size_t i = 0; i < in->n_db_peers; i++)
		fprintf(out, "%s %s", i ? "," : "", config_dbpeer_text(&in->db_peers[i], ip, sizeof(ip)));
	fprintf(out, ", witness %s", yesno(in->witness));
	if (in->witness)
		fprintf(out, " (witness_timeout %s)", DUR(in->witness_timeout_ms, a));
	if (in->manage_read_only)
		fprintf(out, ", promote_timeout %s, promote_on_timeout %s, "
			"stop_replication_on_promote %s, role_timeout %s",
			DUR(in->promote_timeout_ms, b),
			config_promote_on_timeout_name(in->promote_on_timeout),
			yesno(in->stop_replication_on_promote), DUR(in->role_timeout_ms, c));
	fprintf(out, "\n");
}

static void print_instance(const struct vigil_config *cfg, const struct config_instance *in,
			   FILE *out)
{
	char a[16], b[16], ip[INET6_ADDRSTRLEN];

	fprintf(out, "instance %s: %s vrid %u, VRRPv%u%s, priority %u%s, advert_interval %s",
		in->name, in->interface, in->vrid, in->version,
		in->family == AF_INET6 ? " over IPv6" : "", in->priority,
		in->priority == 255 ? " (address owner)" : "", DUR(in->advert_interval_ms, a));
	if (in->family == AF_INET6)
		fprintf(out, ", checksum pseudo-header (always, over IPv6)\n");
	else if (in->version == 3)
		fprintf(out, ", checksum %s\n", config_checksum_name(in->checksum));
	else
		fprintf(out, ", auth_type %s\n", config_auth_name(in->auth_type));
	fprintf(out, "  virtual_ip:");
	for (size_t i = 0; i < in->n_vips; i++)
		fprintf(out, "%s %s/%u", i ? "," : "",
			config_addr_text(in->vips[i].family, &in->vips[i].addr, &in->vips[i].addr6, ip,
					 sizeof(ip)),
			in->vips[i].prefix_len);
	fprintf(out, "\n  preempt %s, preempt_delay %s, health_takeover %s, resign_below ",
		yesno(in->preempt), DUR(in->preempt_delay_ms, a), yesno(in->health_takeover));
	if (in->resign_below)
		fprintf(out, "%u\n", in->resign_below);
	else
		fprintf(out, "off\n");
	if (in->n_peers == 0) {
		fprintf(out, "  peers: multicast %s\n", in->family == AF_INET6 ? "ff02::12" : "224.0.0.18");
	} else {
		fprintf(out, "  unicast_peer:");
		for (size_t i = 0; i < in->n_peers; i++)
			fprintf(out, "%s %s", i ? "," : "",
				config_addr_text(in->peers[i].family, &in->peers[i].addr,
						 &in->peers[i].addr6, ip, sizeof(ip)));
		fprintf(out, "\n");
	}
	fprintf(out, "  track:");
	if (in->n_track == 0)
		fprintf(out, " none");
	for (size_t i = 0; i < in->n_track; i++) {
		const struct config_check *c = &cfg->checks[in->track_index[i]];

		fprintf(out, "%s %s (-%u failed, -%u degraded%s)", i ? "," : "", c->name,
			c->penalty, c->degraded_penalty, c->fatal ? ", fatal" : "");
	}
	fprintf(out, "\n");
	print_data_safety(cfg, in, out);
	print_cmd(out, "notify", &in->notify);
	print_cmd(out, "notify_master", &in->notify_master);
	print_cmd(out, "notify_backup", &in->notify_backup);
	print_cmd(out, "notify_fault", &in->notify_fault);
	print_cmd(out, "notify_stop", &in->notify_stop);
	print_cmd(out, "notify_alarm", &in->notify_alarm);
	fprintf(out, "  garp%s: %u at %s apart, again after %s, refresh %s\n",
		in->family == AF_INET6 ? " (unsolicited neighbor advertisements)" : "",
		in->garp_master_repeat, DUR(in->garp_interval_ms, a),
		DUR(in->garp_master_delay_ms, b), in->garp_master_refresh_ms ? "on" : "off");
}

static void print_check(const struct config_check *c, FILE *out)
{
	char a[16], b[16];

	fprintf(out, "check %s: %s ", c->name, config_check_type_name(c->type));
	if (c->type == CONFIG_CHECK_SCRIPT)
		fprintf(out, "%s", c->command.raw);
	else if (c->socket)
		fprintf(out, "socket %s", c->socket);
	else if (c->host_family == AF_INET6)
		fprintf(out, "[%s]:%u", c->host, c->port);
	else
		fprintf(out, "%s:%u", c->host, c->port);
	fprintf(out, "\n  interval %s, timeout %s, rise %u, fall %u\n",
		DUR(c->interval_ms, a), DUR(c->timeout_ms, b), c->rise, c->fall);
	fprintf(out, "  penalty %u, degraded_penalty %u, fatal %s\n", c->penalty,
		c->degraded_penalty, yesno(c->fatal));
	if (c->type == CONFIG_CHECK_MYSQL_PING)
		fprintf(out, "  slow %s, query \"%s\", connect_interval %s\n", DUR(c->slow_ms, a),
			c->query, DUR(c->connect_interval_ms, b));
	if (c->type == CONFIG_CHECK_MYSQL_REPLICATION)
		fprintf(out, "  warn_lag %s, crit_lag %s, heartbeat_table %s\n",
			DUR(c->warn_lag_ms, a), DUR(c->crit_lag_ms, b),
			c->heartbeat_table ? c->heartbeat_table : "none (Seconds_Behind_Master)");
}

/* [quorum], and what its timing means for each instance. */
static void print_quorum(const struct vigil_config *cfg, FILE *out)
{
	const struct config_quorum *q = &cfg->quorum;
	char a[16], b[16], c[16];

	if (!q->enabled) {
		fprintf(out, "quorum off: VRRP alone decides who holds the VIP\n");
		return;
	}
	fprintf(out, "quorum on: etcd");
	for (size_t i = 0; i < q->n_endpoints; i++)
		fprintf(out, "%s%s", i ? ", " : " ", q->endpoints[i]);
	fprintf(out, "\n  lease_ttl %s (renewed every %s), prefix %s, quorum_lost %s%s, "
		"etcd_election_timeout %s\n", DUR(q->lease_ttl_ms, a), DUR(q->lease_ttl_ms / 3, b),
		q->prefix, config_quorum_lost_name(q->quorum_lost),
		q->quorum_lost == CONFIG_QUORUM_LOST_HOLD ? " (availability over safety: a master "
		"cut off from etcd keeps writing)" : "", DUR(q->etcd_election_timeout_ms, c));
	for (size_t i = 0; i < cfg->n_instances; i++) {
		const struct config_instance *in = &cfg->instances[i];
		uint32_t budget = config_quorum_demote_budget_ms(in);

		char d[16];

		if (q->quorum_lost == CONFIG_QUORUM_LOST_HOLD)
			snprintf(d, sizeof(d), "never (hold)");
		else
			DUR(q->lease_ttl_ms > budget ? q->lease_ttl_ms - budget : 0, d);
		fprintf(out, "  instance %s: key %s%s; a master that cannot renew demotes %s after "
			"the send of its last acknowledged renewal (lease_ttl - role_timeout - %u ms); "
			"a dead master's peer waits up to %s for its lease\n", in->name, q->prefix,
			in->name, d, CONFIG_QUORUM_DEMOTE_MARGIN_MS, DUR(q->lease_ttl_ms, c));
		if (in->preempt)
			fprintf(out, "  instance %s: preempt under quorum: a healthy master keeps the key; "
				"only a degraded one hands it to a candidate above it\n", in->name);
	}
}

void config_print_summary(const struct vigil_config *cfg, FILE *out)
{
	fprintf(out, "global: router_id %s, control_socket %s, mysql_defaults_file %s, log_level %s\n",
		cfg->global.router_id, cfg->global.control_socket,
		cfg->global.mysql_defaults_file ? cfg->global.mysql_defaults_file : "none",
		config_log_level_name(cfg->global.log_level));
	if (cfg->global.metrics_listen)
		fprintf(out, "metrics_listen %s: GET http://%s/metrics\n", cfg->global.metrics_listen,
			cfg->global.metrics_listen);
	else
		fprintf(out, "metrics_listen off: vigilctl metrics only\n");
	if (cfg->global.script_user)
		fprintf(out, "script_user %s: script checks and notify programs run as %s\n",
			cfg->global.script_user, cfg->global.script_user);
	else
		fprintf(out, "script_user none: script checks and notify programs run as vigild's user (root)\n");
	print_quorum(cfg, out);
	for (size_t i = 0; i < cfg->n_instances; i++)
		print_instance(cfg, &cfg->instances[i], out);
	for (size_t i = 0; i < cfg->n_checks; i++)
		print_check(&cfg->checks[i], out);
}
