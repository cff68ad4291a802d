// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl status: the view rendered as an operator's table or as JSON.
#include "status.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "socket.h"

/* ---- shared ------------------------------------------------------------ */

static const char *ip_text(struct in_addr a, char *buf, size_t len)
{
	return inet_ntop(AF_INET, &a, buf, (socklen_t)len) ? buf : "?";
}

static const char *vip_text(const struct status_vip *v, char *buf, size_t len)
{
	return config_addr_text(v->family == AF_INET6 ? AF_INET6 : AF_INET, &v->addr, &v->addr6, buf,
				len);
}

/* A peer as the state machine heard it (4 or 16 bytes); NULL if unknown. */
static const char *peer_text(const struct vrrp_fsm_peer *m, char *buf, size_t len)
{
	if (!m || !m->known || (m->addr.len != 4 && m->addr.len != 16))
		return NULL;
	return inet_ntop(m->addr.len == 16 ? AF_INET6 : AF_INET, m->addr.bytes, buf,
			 (socklen_t)len) ? buf : "?";
}

/* Our own source address; NULL while there is none. */
static const char *primary_text(const struct status_instance *si, char *buf, size_t len)
{
	if (si->conf->family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&si->primary6)
			       ? NULL
			       : config_addr_text(AF_INET6, NULL, &si->primary6, buf, len);
	return si->primary.s_addr ? ip_text(si->primary, buf, len) : NULL;
}

/* ms before now, or -1 for "never" (a stamp of 0) and for a stamp in the
 * future (clocks are monotonic: only a hand-built view has one). */
static int64_t ago_ms(const struct status_view *v, uint64_t then)
{
	if (then == 0 || then > v->now_ms)
		return -1;
	return (int64_t)(v->now_ms - then);
}

/* What a check's value measures: ping and tcp report a latency in us,
 * replication a lag in ms, a script nothing. */
static const char *value_unit(const struct config_check *cc)
{
	switch (cc->type) {
	case CONFIG_CHECK_TCP:
	case CONFIG_CHECK_MYSQL_PING: return "us";
	case CONFIG_CHECK_MYSQL_REPLICATION: return "ms";
	case CONFIG_CHECK_SCRIPT: break;
	}
	return NULL;
}

/* ---- text ------------------------------------------------------------- */

/* A duration for people: "450 ms", "12.3 s", "4m05s", "2h07m", "3d04h". */
static const char *dur_text(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%" PRId64 " ms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 " s", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000, ms / 1000 % 60);
	else if (ms < 86400000)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, ms / 60000 % 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", ms / 86400000, ms / 3600000 % 24);
	return buf;
}

static void text_quorum(FILE *f, const struct status_instance *si);

/* A table built cell by cell, row-major, printed with columns aligned. */
struct table {
	size_t cols, n, cap;
	char **cell;
	bool oom;
};

static void cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell(struct table *t, const char *fmt, ...)
{
	if (t->oom)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **c = realloc(t->cell, cap * sizeof(*c));
		if (!c) {
			t->oom = true;
			return;
		}
		t->cell = c;
		t->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&t->cell[t->n], fmt, ap);
	va_end(ap);
	if (rc < 0)
		t->oom = true;
	else
		t->n++;
}

/* Every column as wide as its widest cell, two spaces apart; the last one
 * (free text) is not padded. */
static void table_print(const struct table *t, FILE *f)
{
	size_t w[16] = { 0 };
	for (size_t i = 0; i < t->n; i++) {
		size_t len = strlen(t->cell[i]);
		if (len > w[i % t->cols])
			w[i % t->cols] = len;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t c = i % t->cols;
		bool last = c == t->cols - 1 || i == t->n - 1;
		if (last)
			fprintf(f, "%s\n", t->cell[i]);
		else
			fprintf(f, "%-*s  ", (int)w[c], t->cell[i]);
	}
}

static void header(struct table *t, const char *const *names)
{
	for (size_t i = 0; i < t->cols; i++)
		cell(t, "%s", names[i]);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
}

static void vips_text(const struct status_instance *si, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < si->n_held && off < len; k++) {
		char a[INET6_ADDRSTRLEN];
		int n = snprintf(buf + off, len - off, "%s%s/%u", k ? "," : "",
				 vip_text(&si->held[k], a, sizeof(a)), si->held[k].prefix);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!si->n_held)
		snprintf(buf, len, "-");
}

static void master_text(const struct status_instance *si, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	if (si->state == VRRP_STATE_MASTER)
		snprintf(buf, len, "this node");
	else if (peer_text(si->master, a, sizeof(a)))
		snprintf(buf, len, "%s (%u)", a, si->master->priority);
	else
		snprintf(buf, len, "-");
}

static void instances_table(const struct status_view *v, FILE *f)
{
	static const char *const head[] = { "INSTANCE", "INTERFACE", "VRID", "STATE", "PRIO",
					    "BASE", "MASTER", "VIPS HELD", "LAST CHANGE" };
	struct table t = { .cols = sizeof(head) / sizeof(head[0]) };
	header(&t, head);
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char master[64], vips[512], ago[32];
		master_text(si, master, sizeof(master));
		vips_text(si, vips, sizeof(vips));
		cell(&t, "%s", si->conf->name);
		cell(&t, "%s", si->conf->interface);
		cell(&t, "%u", si->conf->vrid);
		/* A resign is worth seeing in the table: the node is healthy
		 * yet will not take the VIP. */
		cell(&t, "%s%s", vrrp_state_name(si->state),
		     si->resigned ? " (resigned)" : si->resigning ? " (resigning)" : "");
		cell(&t, "%u", si->priority);
		cell(&t, "%u", si->conf->priority);
		cell(&t, "%s", master);
		cell(&t, "%s", vips);
		if (si->last_reason == VRRP_REASON_NONE)
			cell(&t, "-");
		else
			cell(&t, "%s ago (%s)", dur_text(ago_ms(v, si->last_change_ms), ago, sizeof(ago)),
			     vrrp_fsm_reason_name(si->last_reason));
	}
	table_print(&t, f);
	table_free(&t);
}

static void value_text(const struct health_check_info *ci, char *buf, size_t len)
{
	const char *unit = value_unit(ci->conf);
	if (!ci->last || ci->last->value < 0 || !unit)
		snprintf(buf, len, "-");
	else if (strcmp(unit, "us") == 0)
		snprintf(buf, len, "%" PRId64 ".%02" PRId64 " ms", ci->last->value / 1000,
			 ci->last->value % 1000 / 10);
	else
		snprintf(buf, len, "lag %" PRId64 " ms", ci->last->value);
}

static void checks_table(const struct status_view *v, FILE *f)
{
	static const char *const head[] = { "CHECK", "TYPE", "STATUS", "LEVEL", "VALUE",
					    "LATENCY", "IN A ROW", "PENALTY", "CHANGED", "DETAIL" };
	struct table t = { .cols = sizeof(head) / sizeof(head[0]) };
	header(&t, head);
	for (size_t k = 0; k < v->n_checks; k++) {
		const struct health_check_info *ci = &v->checks[k];
		const struct check_result *r = ci->last;
		char val[48], ago[32];
		cell(&t, "%s", ci->conf->name);
		cell(&t, "%s", config_check_type_name(ci->conf->type));
		if (!ci->tracked) {
			for (size_t c = 2; c < t.cols - 1; c++)
				cell(&t, "-");
			cell(&t, "not run: no instance tracks it");
			continue;
		}
		value_text(ci, val, sizeof(val));
		cell(&t, "%s", r ? check_status_name(r->status) : "none");
		cell(&t, "%s", check_status_name(ci->level));
		cell(&t, "%s", val);
		if (r)
			cell(&t, "%" PRIu32 " ms", r->duration_ms);
		else
			cell(&t, "-");
		cell(&t, "%" PRIu32, ci->consecutive);
		cell(&t, "%u of %u", ci->penalty, ci->conf->penalty);
		if (r)
			cell(&t, "%s ago", dur_text(ago_ms(v, ci->last_change_ms), ago, sizeof(ago)));
		else
			cell(&t, "-");
		cell(&t, "%s", r ? r->detail : "no result yet");
	}
	table_print(&t, f);
	table_free(&t);
}

/* "a 1, b 2" for the non-zero counters of a list; "none" when all are 0. */
struct named_count {
	const char *name;
	uint64_t n;
};

static void counts_line(FILE *f, const struct named_count *c, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "", c[i].name, c[i].n);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : "none");
}

static void instance_details(const struct status_view *v, const struct status_instance *si,
			     FILE *f)
{
	char a[INET6_ADDRSTRLEN], d[32];
	const char *pt = primary_text(si, a, sizeof(a));
	fprintf(f, "\ninstance %s (VRRPv%u%s, vrid %u on %s, address %s)\n", si->conf->name,
		si->conf->version, si->conf->family == AF_INET6 ? " over IPv6" : "", si->conf->vrid,
		si->conf->interface, pt ? pt : "none");
	fprintf(f, "  priority     %u: %s\n", si->priority, si->explain[0] ? si->explain : "-");
	if (si->faults)
		fprintf(f, "  fault        %s%s%s\n", si->faults & VRRP_FAULT_LINK ? "link" : "",
			(si->faults & VRRP_FAULT_LINK) && (si->faults & VRRP_FAULT_CHECK) ? ", " : "",
			si->faults & VRRP_FAULT_CHECK ? "fatal check" : "");
	if (si->state == VRRP_STATE_MASTER)
		fprintf(f, "  master       this node\n");
	else if (peer_text(si->master, a, sizeof(a)))
		fprintf(f, "  master       %s priority %u, heard %s ago\n", a,
			si->master->priority, dur_text(ago_ms(v, si->master->heard_ms), d, sizeof(d)));
	else
		fprintf(f, "  master       none heard\n");
	if (si->resigned)
		fprintf(f, "  resigned     %s ago by vigilctl resign: stays BACKUP until vigilctl resume %s%s\n",
			dur_text(ago_ms(v, si->resigned_ms), d, sizeof(d)), si->conf->name,
			si->handover_pending ? " (handed over, no new master heard yet)" : "");
	else if (si->resigning)
		fprintf(f, "  resigned     resigning: the server is made read-only, then priority 0\n");
	fprintf(f, "  timers       advertisement %" PRIu32 " ms (master's %" PRIu32
		" ms), skew %" PRIu32 " ms, master down %" PRIu32 " ms\n",
		si->conf->advert_interval_ms, si->master_adver_ms, si->skew_ms, si->master_down_ms);
	fprintf(f, "  adverts      sent %" PRIu64 ", received %" PRIu64 " (%" PRIu64
		" packets), gratuitous ARP %" PRIu64 "\n",
		si->io->tx_adverts, si->io->rx_adverts, si->io->rx_packets, si->io->garp_sent);

	struct named_count c[VRRP_REASON_COUNT + VRRP_DROP__COUNT + VRRP_SOCK_DROP__COUNT + 8];
	size_t n = 0;
	for (int r = VRRP_REASON_NONE + 1; r < VRRP_REASON_COUNT; r++)
		c[n++] = (struct named_count){ vrrp_fsm_reason_name(r), si->fsm->by_reason[r] };
	fprintf(f, "  transitions  %" PRIu64 ": ", si->fsm->transitions);
	counts_line(f, c, n);

	n = 0;
	for (int r = VRRP_SOCK_OK + 1; r < VRRP_SOCK_DROP__COUNT; r++)
		c[n++] = (struct named_count){ vrrp_sock_drop_name(r), si->io->rx_sock_drops[r] };
	for (int r = VRRP_DROP_NONE + 1; r < VRRP_DROP__COUNT; r++)
		c[n++] = (struct named_count){ vrrp_drop_name(r), si->io->rx_drops[r] };
	c[n++] = (struct named_count){ "wrong-interface", si->io->rx_wrong_if };
	c[n++] = (struct named_count){ "not-a-peer", si->io->rx_not_peer };
	c[n++] = (struct named_count){ "send-errors", si->io->tx_errors };
	c[n++] = (struct named_count){ "arp-errors", si->io->garp_errors };
	fprintf(f, "  drops        ");
	counts_line(f, c, n);
	if (si->vip_add_failures || si->vip_missing || si->vip_hold_until_ms > v->now_ms)
		fprintf(f, "  VIP faults   add failures %" PRIu64 ", added on retry %" PRIu64
			", handed over %" PRIu64 "%s%s%s\n",
			si->vip_add_failures, si->vip_added_on_retry, si->vip_handovers,
			si->vip_missing ? "; MASTER without its VIP now, retrying" : "",
			si->vip_hold_until_ms > v->now_ms ? "; priority held at 1 for " : "",
			si->vip_hold_until_ms > v->now_ms
				? dur_text((int64_t)(si->vip_hold_until_ms - v->now_ms), d, sizeof(d))
				: "");

	if (!si->role)
		return;
	const struct dbrole_stats *s = si->db_stats;
	if (si->conf->manage_read_only) {
		fprintf(f, "  data safety  %s, %s: %s, epoch %" PRIu64 ", semi-sync %s%s%s\n",
			dbrole_mode_name(si->db_mode), si->db_eligible ? "eligible" : "NOT eligible",
			si->db_reason ? si->db_reason : "-", si->db_epoch,
			si->db_semisync ? si->db_semisync : "unknown",
			si->contest_pending ? ", contest pending" : "",
			si->quiet ? ", quiet after a stall" : "");
		fprintf(f, "               polls %" PRIu64 " (%" PRIu64 " failed), read_only set %" PRIu64
			" (%" PRIu64 " failed), re-asserted %" PRIu64 ", sessions killed %" PRIu64 "\n",
			s->polls, s->poll_errors, s->read_only_set, s->read_only_failures, s->reasserted,
			s->sessions_killed);
		fprintf(f, "               gates opened %" PRIu64 " (%" PRIu64 " timed out), epochs written %"
			PRIu64 ", contests %" PRIu64 " (%" PRIu64 " lost), role errors %" PRIu64
			", alarms %" PRIu64 "\n",
			s->gates_opened, s->gate_timeouts, s->epochs_written, s->contests,
			s->contests_lost, s->role_errors, s->alarms);
	}
	if (si->conf->witness)
		fprintf(f, "  witness      probes %" PRIu64 " (%" PRIu64
			" found the VIP served), takeovers vetoed %" PRIu64
			", probes overdue %" PRIu64 "\n",
			s->witness_probes, s->witness_served, si->fsm->witness_vetoes,
			si->fsm->witness_overdue);
	text_quorum(f, si);
}

/* Text: "  quorum  held, key /vigil/db (ours), lease 5.2s left ..." */
static void text_quorum(FILE *f, const struct status_instance *si)
{
	const struct agent_quorum_status *q = &si->q;
	char a[32], b[32];

	if (!si->quorum)
		return;
	fprintf(f, "  quorum       %s, key %s held by %s, writes %s", quorum_state_name(q->state), q->key,
		q->holder[0] ? q->holder : "nobody known", q->may_write ? "allowed" : "NOT allowed");
	if (q->lease_remaining_ms >= 0)
		fprintf(f, ", lease %s left", dur_text(q->lease_remaining_ms, a, sizeof(a)));
	if (q->deadline_in_ms >= 0)
		fprintf(f, ", demotes in %s without renewal", dur_text(q->deadline_in_ms, b, sizeof(b)));
	if (q->last_renewal_ago_ms >= 0)
		fprintf(f, ", last renewal %s ago", dur_text(q->last_renewal_ago_ms, a, sizeof(a)));
	fprintf(f, "\n");
	fprintf(f, "               candidates:");
	if (!q->n_candidates)
		fprintf(f, " none seen");
	for (size_t k = 0; k < q->n_candidates; k++)
		fprintf(f, " %s (%u)", q->candidates[k].router_id, q->candidates[k].priority);
	if (q->publishing)
		fprintf(f, "; this node published at %u", q->published_priority);
	fprintf(f, "\n               renewals %" PRIu64 " (%" PRIu64 " failed), takeovers vetoed %" PRIu64
		" of %" PRIu64 " probes, demotions %" PRIu64 ", etcd requests failed %" PRIu64
		", tries on a member failed %" PRIu64 "\n",
		q->rules.renewals, q->rules.renewal_failures, q->vetoes, q->probes, q->demotions,
		q->request_errors, q->endpoint_errors);
}

/* Is si the first instance of the view on its interface's receiver?
 * The receivers are shown once each, in the instances' order. */
static bool first_on_port(const struct status_view *v, size_t i)
{
	const struct vrrp_demux_stats *p = v->instances[i].port_io;
	if (!p || !v->instances[i].conf)
		return false;
	for (size_t k = 0; k < i; k++)
		if (v->instances[k].port_io == p)
			return false;
	return true;
}

/* One line per interface: what its shared receiver read and refused
 * before any instance had it. */
static void ports_text(const struct status_view *v, FILE *f)
{
	bool any = false;
	for (size_t i = 0; i < v->n_instances; i++) {
		if (!first_on_port(v, i))
			continue;
		const struct vrrp_demux_stats *p = v->instances[i].port_io;
		struct named_count c[VRRP_DROP__COUNT + VRRP_SOCK_DROP__COUNT + 1];
		size_t n = 0;
		for (int r = VRRP_SOCK_OK + 1; r < VRRP_SOCK_DROP__COUNT; r++)
			c[n++] = (struct named_count){ vrrp_sock_drop_name(r), p->rx_sock_drops[r] };
		for (int r = VRRP_DROP_NONE + 1; r < VRRP_DROP__COUNT; r++)
			c[n++] = (struct named_count){ vrrp_drop_name(r), p->rx_drops[r] };
		c[n++] = (struct named_count){ "wrong-interface", p->rx_wrong_if };
		fprintf(f, "%s  %-12s %" PRIu64 " datagrams, %" PRIu64 " adverts handed on; drops ",
			any ? "" : "\ninterfaces (one receiver each, for all its instances)\n",
			v->instances[i].conf->interface, p->rx_packets, p->rx_dispatched);
		counts_line(f, c, n);
		any = true;
	}
}

char *status_render_text(const struct status_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	char up[32];
	fprintf(f, "vigild %s, pid %ld, up %s", v->router_id ? v->router_id : "?", v->pid,
		dur_text(ago_ms(v, v->started_ms), up, sizeof(up)));
	if (v->restarts || v->reloads)
		fprintf(f, " (%llu restart%s, %llu reload%s)", (unsigned long long)v->restarts,
			v->restarts == 1 ? "" : "s", (unsigned long long)v->reloads,
			v->reloads == 1 ? "" : "s");
	fprintf(f, "\n\n");
	instances_table(v, f);
	if (v->n_checks) {
		fprintf(f, "\n");
		checks_table(v, f);
	}
	for (size_t i = 0; i < v->n_instances; i++)
		instance_details(v, &v->instances[i], f);
	ports_text(v, f);
	if (v->control)
		fprintf(f, "\ncontrol socket: %" PRIu64 " requests, %" PRIu64 " malformed, %" PRIu64
			" timed out\n",
			v->control->requests, v->control->malformed, v->control->timeouts);
	bool failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- JSON ------------------------------------------------------------- */

/* Every add goes through these: an allocation that fails marks the whole
 * answer failed instead of leaving a silent null in it. */
struct jb {
	bool oom;
};

static json_object *jset(struct jb *jb, json_object *o, const char *key, json_object *val)
{
	if (!val || json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		jb->oom = true;
		return NULL;
	}
	return val;
}

static void jpush(struct jb *jb, json_object *arr, json_object *val)
{
	if (!val || json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		jb->oom = true;
	}
}

static void jnull(struct jb *jb, json_object *o, const char *key)
{
	if (json_object_object_add(o, key, NULL) < 0)
		jb->oom = true;
}

#define jint(jb, o, k, v) jset((jb), (o), (k), json_object_new_int64((int64_t)(v)))
#define juint(jb, o, k, v) jset((jb), (o), (k), json_object_new_uint64((uint64_t)(v)))
#define jbool(jb, o, k, v) jset((jb), (o), (k), json_object_new_boolean((v)))
#define jstr(jb, o, k, v) jset((jb), (o), (k), json_object_new_string((v)))

/* A duration before now in ms, null for "never". */
static void jago(struct jb *jb, json_object *o, const char *key, const struct status_view *v,
		 uint64_t then)
{
	int64_t ms = ago_ms(v, then);
	if (ms < 0)
		jnull(jb, o, key);
	else
		jint(jb, o, key, ms);
}

static void jaddr(struct jb *jb, json_object *arr, const struct status_vip *a)
{
	char t[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 5];
	snprintf(s, sizeof(s), "%s/%d", vip_text(a, t, sizeof(t)), a->prefix);
	jpush(jb, arr, json_object_new_string(s));
}

static void json_stats(struct jb *jb, json_object *o, const struct status_instance *si)
{
	json_object *s = jset(jb, o, "stats", json_object_new_object());
	if (!s)
		return;
	const struct vrrp_instance_stats *io = si->io;
	const struct vrrp_fsm_counters *fc = si->fsm;
	juint(jb, s, "adverTx", io->tx_adverts);
	juint(jb, s, "adverRx", io->rx_adverts);
	juint(jb, s, "garpTx", io->garp_sent);
	juint(jb, s, "transitions", fc->transitions);
	json_object *t = jset(jb, s, "transitionsByReason", json_object_new_object());
	for (int r = VRRP_REASON_NONE + 1; t && r < VRRP_REASON_COUNT; r++)
		juint(jb, t, vrrp_fsm_reason_name(r), fc->by_reason[r]);
	juint(jb, s, "rxPackets", io->rx_packets);
	json_object *d = jset(jb, s, "drops", json_object_new_object());
	for (int r = VRRP_DROP_NONE + 1; d && r < VRRP_DROP__COUNT; r++)
		juint(jb, d, vrrp_drop_name(r), io->rx_drops[r]);
	json_object *sd = jset(jb, s, "socketDrops", json_object_new_object());
	for (int r = VRRP_SOCK_OK + 1; sd && r < VRRP_SOCK_DROP__COUNT; r++)
		juint(jb, sd, vrrp_sock_drop_name(r), io->rx_sock_drops[r]);
	juint(jb, s, "rxWrongInterface", io->rx_wrong_if);
	juint(jb, s, "rxOwn", io->rx_own);
	juint(jb, s, "rxNotPeer", io->rx_not_peer);
	juint(jb, s, "txErrors", io->tx_errors);
	juint(jb, s, "garpErrors", io->garp_errors);
	juint(jb, s, "ownAdvertsIgnored", fc->own_adverts_ignored);
	juint(jb, s, "takeoversArmed", fc->takeovers_armed);
	juint(jb, s, "takeoversCancelled", fc->takeovers_cancelled);
	juint(jb, s, "ineligibleBlocks", fc->ineligible_blocks);
	juint(jb, s, "witnessProbes", fc->witness_probes);
	juint(jb, s, "witnessVetoes", fc->witness_vetoes);
	juint(jb, s, "witnessOverdue", fc->witness_overdue);
	juint(jb, s, "contests", fc->contests);
	juint(jb, s, "contestsLost", fc->contests_lost);
	juint(jb, s, "resignsUnanswered", fc->resigns_unanswered);
	juint(jb, s, "answerBursts", fc->answers);
	juint(jb, s, "answersRateLimited", fc->answers_limited);
	juint(jb, s, "vipAddFailures", si->vip_add_failures);
	juint(jb, s, "vipAddedOnRetry", si->vip_added_on_retry);
	juint(jb, s, "vipHandovers", si->vip_handovers);
}

static void json_data_safety(struct jb *jb, json_object *o, const struct status_instance *si)
{
	if (!si->role) {
		jnull(jb, o, "dataSafety");
		return;
	}
	json_object *ds = jset(jb, o, "dataSafety", json_object_new_object());
	if (!ds)
		return;
	jbool(jb, ds, "manageReadOnly", si->conf->manage_read_only);
	jbool(jb, ds, "witness", si->conf->witness);
	jstr(jb, ds, "mode", dbrole_mode_name(si->db_mode));
	jbool(jb, ds, "eligible", si->db_eligible);
	jstr(jb, ds, "eligibilityReason", si->db_reason ? si->db_reason : "");
	juint(jb, ds, "epoch", si->db_epoch);
	jstr(jb, ds, "semiSync", si->db_semisync ? si->db_semisync : "unknown");
	jbool(jb, ds, "contestPending", si->contest_pending);
	jbool(jb, ds, "quiet", si->quiet);
	json_object *s = jset(jb, ds, "stats", json_object_new_object());
	if (!s)
		return;
	const struct dbrole_stats *d = si->db_stats;
	juint(jb, s, "polls", d->polls);
	juint(jb, s, "pollErrors", d->poll_errors);
	juint(jb, s, "readOnlySet", d->read_only_set);
	juint(jb, s, "readOnlyFailures", d->read_only_failures);
	juint(jb, s, "reasserted", d->reasserted);
	juint(jb, s, "sessionsKilled", d->sessions_killed);
	juint(jb, s, "gatesOpened", d->gates_opened);
	juint(jb, s, "gateTimeouts", d->gate_timeouts);
	juint(jb, s, "epochsWritten", d->epochs_written);
	juint(jb, s, "witnessProbes", d->witness_probes);
	juint(jb, s, "witnessServed", d->witness_served);
	juint(jb, s, "contests", d->contests);
	juint(jb, s, "contestsLost", d->contests_lost);
	juint(jb, s, "roleErrors", d->role_errors);
	juint(jb, s, "alarms", d->alarms);
}

static void json_quorum(struct jb *jb, json_object *o, const struct status_instance *si)
{
	const struct agent_quorum_status *q = &si->q;

	if (!si->quorum) {
		jnull(jb, o, "quorum");
		return;
	}
	json_object *qo = jset(jb, o, "quorum", json_object_new_object());
	if (!qo)
		return;
	jstr(jb, qo, "state", quorum_state_name(q->state));
	jstr(jb, qo, "key", q->key);
	jstr(jb, qo, "holder", q->holder);
	jint(jb, qo, "lease", q->lease);
	jint(jb, qo, "leaseRemainingMs", q->lease_remaining_ms);
	jint(jb, qo, "demoteInMs", q->deadline_in_ms);
	jint(jb, qo, "lastRenewalAgoMs", q->last_renewal_ago_ms);
	jbool(jb, qo, "mayWrite", q->may_write);
	json_object *c = jset(jb, qo, "candidates", json_object_new_array());
	for (size_t k = 0; c && k < q->n_candidates; k++) {
		json_object *e = json_object_new_object();
		jpush(jb, c, e);
		if (!e)
			break;
		jstr(jb, e, "routerId", q->candidates[k].router_id);
		jint(jb, e, "priority", q->candidates[k].priority);
	}
	if (q->publishing)
		jint(jb, qo, "publishedPriority", q->published_priority);
	else
		jnull(jb, qo, "publishedPriority");
	json_object *s = jset(jb, qo, "stats", json_object_new_object());
	if (!s)
		return;
	juint(jb, s, "grants", q->rules.grants);
	juint(jb, s, "grantFailures", q->rules.grant_failures);
	juint(jb, s, "acquired", q->rules.acquired);
	juint(jb, s, "lostToOther", q->rules.lost_to_other);
	juint(jb, s, "renewals", q->rules.renewals);
	juint(jb, s, "renewalFailures", q->rules.renewal_failures);
	juint(jb, s, "notOurs", q->rules.not_ours);
	juint(jb, s, "deadlineDemotions", q->rules.deadline_demotions);
	juint(jb, s, "heldThroughLoss", q->rules.held_through_loss);
	juint(jb, s, "probes", q->probes);
	juint(jb, s, "probesWon", q->probes_won);
	juint(jb, s, "vetoes", q->vetoes);
	juint(jb, s, "demotions", q->demotions);
	juint(jb, s, "requestErrors", q->request_errors);
	juint(jb, s, "endpointErrors", q->endpoint_errors);
}

static void json_instance(struct jb *jb, json_object *arr, const struct status_view *v,
			  const struct status_instance *si)
{
	char a[INET6_ADDRSTRLEN];
	json_object *o = json_object_new_object();
	jpush(jb, arr, o);
	if (!o)
		return;
	jstr(jb, o, "name", si->conf->name);
	jstr(jb, o, "interface", si->conf->interface);
	jint(jb, o, "vrid", si->conf->vrid);
	jint(jb, o, "version", si->conf->version);
	jstr(jb, o, "state", vrrp_state_name(si->state));
	jint(jb, o, "priority", si->conf->priority);
	jint(jb, o, "effectivePriority", si->priority);
	jstr(jb, o, "priorityExplained", si->explain);
	jbool(jb, o, "preemptMode", si->conf->preempt);
	jbool(jb, o, "resigned", si->resigned);
	jbool(jb, o, "resigning", si->resigning);
	jago(jb, o, "resignedAgoMs", v, si->resigned ? si->resigned_ms : 0);
	jbool(jb, o, "handoverPending", si->handover_pending);
	if (primary_text(si, a, sizeof(a)))
		jstr(jb, o, "primaryAddress", a);
	else
		jnull(jb, o, "primaryAddress");
	json_object *faults = jset(jb, o, "faults", json_object_new_array());
	if (faults && (si->faults & VRRP_FAULT_LINK))
		jpush(jb, faults, json_object_new_string("link"));
	if (faults && (si->faults & VRRP_FAULT_CHECK))
		jpush(jb, faults, json_object_new_string("fatal-check"));

	json_object *lt = jset(jb, o, "lastTransition", json_object_new_object());
	if (lt) {
		jstr(jb, lt, "reason", vrrp_fsm_reason_name(si->last_reason));
		jago(jb, lt, "agoMs", v, si->last_reason == VRRP_REASON_NONE ? 0 : si->last_change_ms);
	}
	if (si->state == VRRP_STATE_MASTER) {
		json_object *m = jset(jb, o, "master", json_object_new_object());
		if (m) {
			jbool(jb, m, "self", true);
			if (primary_text(si, a, sizeof(a)))
				jstr(jb, m, "address", a);
			else
				jnull(jb, m, "address");
			jint(jb, m, "priority", si->priority);
		}
	} else if (peer_text(si->master, a, sizeof(a))) {
		json_object *m = jset(jb, o, "master", json_object_new_object());
		if (m) {
			jbool(jb, m, "self", false);
			jstr(jb, m, "address", a);
			jint(jb, m, "priority", si->master->priority);
			jago(jb, m, "heardAgoMs", v, si->master->heard_ms);
		}
	} else
		jnull(jb, o, "master");

	json_object *addrs = jset(jb, o, "addresses", json_object_new_array());
	for (size_t k = 0; addrs && k < si->conf->n_vips; k++) {
		const struct config_vip *cv = &si->conf->vips[k];
		struct status_vip sv = { .family = cv->family, .addr = cv->addr, .addr6 = cv->addr6,
					 .prefix = cv->prefix_len };
		jaddr(jb, addrs, &sv);
	}
	json_object *held = jset(jb, o, "vipsHeld", json_object_new_array());
	for (size_t k = 0; held && k < si->n_held; k++)
		jaddr(jb, held, &si->held[k]);
	/* A VIP the kernel would not add: MASTER without it (retrying), and
	 * the hold-down at priority 1 after a hand-over (ms left, or null). */
	jbool(jb, o, "vipMissing", si->vip_missing);
	if (si->vip_hold_until_ms > v->now_ms)
		jint(jb, o, "vipHoldDownMs", si->vip_hold_until_ms - v->now_ms);
	else
		jnull(jb, o, "vipHoldDownMs");

	jint(jb, o, "advertisementInterval", si->conf->advert_interval_ms);
	jint(jb, o, "masterAdverInterval", si->master_adver_ms);
	jint(jb, o, "skewTime", si->skew_ms);
	jint(jb, o, "masterDownInterval", si->master_down_ms);
	json_stats(jb, o, si);
	json_data_safety(jb, o, si);
	json_quorum(jb, o, si);
}

static void json_check(struct jb *jb, json_object *arr, const struct status_view *v,
		       const struct health_check_info *ci)
{
	const struct config_check *cc = ci->conf;
	const struct check_result *r = ci->last;
	json_object *o = json_object_new_object();
	jpush(jb, arr, o);
	if (!o)
		return;
	jstr(jb, o, "name", cc->name);
	jstr(jb, o, "type", config_check_type_name(cc->type));
	jbool(jb, o, "tracked", ci->tracked);
	if (r) {
		jstr(jb, o, "status", check_status_name(r->status));
		jbool(jb, o, "definite", r->definite);
		jbool(jb, o, "configProblem", r->config_problem);
		if (r->value >= 0)
			jint(jb, o, "value", r->value);
		else
			jnull(jb, o, "value");
		jstr(jb, o, "detail", r->detail);
		jint(jb, o, "latencyMs", r->duration_ms);
	} else {
		jnull(jb, o, "status");
		jbool(jb, o, "definite", false);
		jbool(jb, o, "configProblem", false);
		jnull(jb, o, "value");
		jnull(jb, o, "detail");
		jnull(jb, o, "latencyMs");
	}
	const char *unit = value_unit(cc);
	if (unit)
		jstr(jb, o, "valueUnit", unit);
	else
		jnull(jb, o, "valueUnit");
	if (ci->tracked)
		jstr(jb, o, "level", check_status_name(ci->level));
	else
		jnull(jb, o, "level");
	juint(jb, o, "consecutive", ci->consecutive);
	jint(jb, o, "penalty", cc->penalty);
	jint(jb, o, "degradedPenalty", cc->degraded_penalty);
	jint(jb, o, "penaltyApplied", ci->penalty);
	jbool(jb, o, "fatal", cc->fatal);
	jint(jb, o, "rise", cc->rise);
	jint(jb, o, "fall", cc->fall);
	jint(jb, o, "interval", cc->interval_ms);
	jint(jb, o, "timeout", cc->timeout_ms);
	jago(jb, o, "lastResultAgoMs", v, ci->last_result_ms);
	jago(jb, o, "lastChangeAgoMs", v, ci->last_change_ms);
	if (!ci->stats) {
		jnull(jb, o, "stats");
		return;
	}
	json_object *s = jset(jb, o, "stats", json_object_new_object());
	if (!s)
		return;
	juint(jb, s, "probes", ci->stats->probes);
	juint(jb, s, "timeouts", ci->stats->timeouts);
	juint(jb, s, "skipped", ci->stats->skipped);
	for (int k = 0; k < CHECK_STATUS__COUNT; k++)
		juint(jb, s, check_status_name(k), ci->stats->by_status[k]);
	juint(jb, s, "unsolicited", ci->stats->unsolicited);
	juint(jb, s, "ignored", ci->stats->ignored);
}

static void json_control(struct jb *jb, json_object *root, const struct control_stats *c)
{
	if (!c) {
		jnull(jb, root, "control");
		return;
	}
	json_object *o = jset(jb, root, "control", json_object_new_object());
	if (!o)
		return;
	juint(jb, o, "accepted", c->accepted);
	juint(jb, o, "requests", c->requests);
	juint(jb, o, "malformed", c->malformed);
	juint(jb, o, "timeouts", c->timeouts);
	juint(jb, o, "aborted", c->aborted);
	juint(jb, o, "full", c->full);
	juint(jb, o, "acceptErrors", c->accept_errors);
}

/* "interfaces": each shared receiver once, with what it read and what it
 * refused before any instance had it (drops.vrid: VRIDs nobody here runs). */
static void json_ports(struct jb *jb, json_object *root, const struct status_view *v)
{
	json_object *arr = jset(jb, root, "interfaces", json_object_new_array());
	for (size_t i = 0; arr && i < v->n_instances; i++) {
		if (!first_on_port(v, i))
			continue;
		const struct vrrp_demux_stats *p = v->instances[i].port_io;
		json_object *o = json_object_new_object();
		if (!o) {
			jb->oom = true;
			return;
		}
		jstr(jb, o, "interface", v->instances[i].conf->interface);
		int64_t members = 0;
		for (size_t k = 0; k < v->n_instances; k++)
			members += v->instances[k].port_io == p;
		jint(jb, o, "instances", members);
		juint(jb, o, "rxPackets", p->rx_packets);
		juint(jb, o, "rxDispatched", p->rx_dispatched);
		json_object *d = jset(jb, o, "drops", json_object_new_object());
		for (int r = VRRP_DROP_NONE + 1; d && r < VRRP_DROP__COUNT; r++)
			juint(jb, d, vrrp_drop_name(r), p->rx_drops[r]);
		json_object *sd = jset(jb, o, "socketDrops", json_object_new_object());
		for (int r = VRRP_SOCK_OK + 1; sd && r < VRRP_SOCK_DROP__COUNT; r++)
			juint(jb, sd, vrrp_sock_drop_name(r), p->rx_sock_drops[r]);
		juint(jb, o, "rxWrongInterface", p->rx_wrong_if);
		jpush(jb, arr, o);
	}
}

char *status_render_json(const struct status_view *v)
{
	struct jb jb = { false };
	json_object *root = json_object_new_object();
	if (!root)
		return NULL;
	jstr(&jb, root, "routerId", v->router_id ? v->router_id : "");
	jint(&jb, root, "pid", v->pid);
	jago(&jb, root, "uptimeMs", v, v->started_ms);
	jint(&jb, root, "restarts", (int64_t)v->restarts);
	jint(&jb, root, "reloads", (int64_t)v->reloads);
	json_object *insts = jset(&jb, root, "instances", json_object_new_array());
	for (size_t i = 0; insts && i < v->n_instances; i++)
		json_instance(&jb, insts, v, &v->instances[i]);
	json_ports(&jb, root, v);
	json_object *checks = jset(&jb, root, "checks", json_object_new_array());
	for (size_t k = 0; checks && k < v->n_checks; k++)
		json_check(&jb, checks, v, &v->checks[k]);
	json_control(&jb, root, v->control);

	char *out = NULL;
	if (!jb.oom) {
		const char *s = json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (s && asprintf(&out, "%s\n", s) < 0)
			out = NULL;
	}
	json_object_put(root);
	return out;
}
