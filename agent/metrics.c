// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl metrics: the status view in the Prometheus text format 0.0.4.
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "socket.h"

/* ---- the format ----------------------------------------------------- */

/* The labels of one sample: at most an instance's three, one of the
 * family's own, and room to spare. Values are borrowed. */
#define LABELS_MAX 5
struct labels {
	size_t n;
	const char *key[LABELS_MAX];
	const char *val[LABELS_MAX];
};

/* A copy of base with key="val" appended. The sets are built from fixed
 * code paths, never from input: one more than LABELS_MAX is a bug, and
 * dropping the label keeps the output parseable. */
static struct labels with(const struct labels *base, const char *key, const char *val)
{
	struct labels l = *base;
	if (l.n < LABELS_MAX) {
		l.key[l.n] = key;
		l.val[l.n] = val;
		l.n++;
	}
	return l;
}

/* A label value as the format wants it: backslash, double quote and
 * newline escaped; anything else (UTF-8 included) as it is. Names come
 * from the configuration, and router_id may hold any of these. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* "name{k="v",...} " (no braces without labels). */
static void put_series(FILE *f, const char *name, const struct labels *l)
{
	fputs(name, f);
	if (!l || l->n == 0) {
		fputc(' ', f);
		return;
	}
	fputc('{', f);
	for (size_t i = 0; i < l->n; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", l->key[i]);
		put_escaped(f, l->val[i]);
		fputc('"', f);
	}
	fputs("} ", f);
}

static void sample(FILE *f, const char *name, const struct labels *l, uint64_t value)
{
	put_series(f, name, l);
	fprintf(f, "%" PRIu64 "\n", value);
}

/* A duration in microseconds as decimal seconds, exactly: "0.0025", "1",
 * "125.25". Integers of microseconds need no floating point, and `le`
 * values stay the same text on every scrape. */
static const char *seconds_text(uint64_t us, char *buf, size_t len)
{
	uint64_t whole = us / 1000000u;
	unsigned frac = (unsigned)(us % 1000000u);
	if (frac == 0) {
		snprintf(buf, len, "%" PRIu64, whole);
		return buf;
	}
	int digits = 6;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRIu64 ".%0*u", whole, digits, frac);
	return buf;
}

static void sample_seconds(FILE *f, const char *name, const struct labels *l, uint64_t us)
{
	char t[32];
	put_series(f, name, l);
	fprintf(f, "%s\n", seconds_text(us, t, sizeof(t)));
}

/* HELP and TYPE of a family. The texts are constants of this file, free
 * of the backslashes and newlines HELP would need escaped. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- the daemon ---------------------------------------------------- */

static void render_daemon(FILE *f, const struct status_view *v)
{
	family(f, "vigil_up", "gauge", "1: vigild answered this scrape.");
	sample(f, "vigil_up", NULL, 1);

	struct labels none = { 0 };
	struct labels id = with(&none, "router_id", v->router_id ? v->router_id : "");
	family(f, "vigil_info", "gauge", "The running vigild: its router_id (value always 1).");
	sample(f, "vigil_info", &id, 1);

	/* Uptime rather than a start timestamp: the view has monotonic time
	 * only, and a wall-clock start would jump with the clock. */
	uint64_t up_ms = v->started_ms && v->started_ms <= v->now_ms ? v->now_ms - v->started_ms : 0;
	family(f, "vigil_uptime_seconds", "gauge", "Seconds since vigild started (or re-executed).");
	sample_seconds(f, "vigil_uptime_seconds", NULL, up_ms * 1000u);
	family(f, "vigil_restarts_total", "counter", "Re-executions without a failover (vigilctl restart).");
	sample(f, "vigil_restarts_total", NULL, v->restarts);
	family(f, "vigil_reloads_total", "counter", "Configurations reloaded since vigild started (or re-executed).");
	sample(f, "vigil_reloads_total", NULL, v->reloads);
}

/* ---- VRRP instances -------------------------------------------------- */

/* An instance's labels; vrid is the caller's buffer. */
static struct labels instance_labels(const struct status_instance *si, char *vrid, size_t len)
{
	struct labels none = { 0 };
	snprintf(vrid, len, "%u", si->conf->vrid);
	struct labels l = with(&none, "instance", si->conf->name ? si->conf->name : "");
	l = with(&l, "interface", si->conf->interface ? si->conf->interface : "");
	return with(&l, "vrid", vrid);
}

/* A family with one sample per instance. */
struct instance_gauge {
	const char *name, *help;
	uint64_t (*get)(const struct status_instance *si);
};

static uint64_t get_state(const struct status_instance *si)
{
	return (uint64_t)si->state;
}

static uint64_t get_priority(const struct status_instance *si)
{
	return si->priority;
}

static uint64_t get_base_priority(const struct status_instance *si)
{
	return si->conf->priority;
}

static uint64_t get_vips_held(const struct status_instance *si)
{
	return si->n_held;
}

static const struct instance_gauge instance_gauges[] = {
	{ "vigil_vrrp_state", "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", get_state },
	{ "vigil_vrrp_priority_effective",
	  "Priority advertised now: the base priority less the failed checks' penalties.",
	  get_priority },
	{ "vigil_vrrp_priority_base", "Priority configured for the instance.", get_base_priority },
	{ "vigil_vrrp_vips_held", "Virtual addresses of the instance on its interface now.",
	  get_vips_held },
};

/* Counters of the instance's packet I/O, by their place in the stats. */
struct io_counter {
	const char *name, *help;
	size_t off;
};

static const struct io_counter io_counters[] = {
	{ "vigil_vrrp_adverts_sent_total", "VRRP advertisements sent.",
	  offsetof(struct vrrp_instance_stats, tx_adverts) },
	{ "vigil_vrrp_adverts_received_total",
	  "VRRP advertisements received, accepted and handed to the state machine.",
	  offsetof(struct vrrp_instance_stats, rx_adverts) },
	{ "vigil_vrrp_packets_received_total",
	  "Packets for the instance's VRID read on its interface (the interface's counters: "
	  "vigil_vrrp_interface_packets_received_total).",
	  offsetof(struct vrrp_instance_stats, rx_packets) },
	{ "vigil_vrrp_garp_sent_total", "Gratuitous ARPs sent for the virtual addresses.",
	  offsetof(struct vrrp_instance_stats, garp_sent) },
};

static uint64_t io_value(const struct vrrp_instance_stats *io, size_t off)
{
	uint64_t n;
	memcpy(&n, (const char *)io + off, sizeof(n));
	return n;
}

/* Instances whose view is complete enough to show: conf and counters. */
static bool shown(const struct status_instance *si)
{
	return si->conf && si->io && si->fsm;
}

static void render_instance_gauges(FILE *f, const struct status_view *v)
{
	for (size_t g = 0; g < sizeof(instance_gauges) / sizeof(instance_gauges[0]); g++) {
		const struct instance_gauge *m = &instance_gauges[g];
		family(f, m->name, "gauge", m->help);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct status_instance *si = &v->instances[i];
			char vrid[8];
			if (!shown(si))
				continue;
			struct labels l = instance_labels(si, vrid, sizeof(vrid));
			sample(f, m->name, &l, m->get(si));
		}
	}
}

static void render_faults(FILE *f, const struct status_view *v)
{
	family(f, "vigil_vrrp_fault", "gauge",
	       "1 while the cause holds the instance in FAULT: link (down, or no address), "
	       "check (a fatal check failed).");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!shown(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		struct labels link = with(&l, "cause", "link"), chk = with(&l, "cause", "check");
		sample(f, "vigil_vrrp_fault", &link, (si->faults & VRRP_FAULT_LINK) ? 1 : 0);
		sample(f, "vigil_vrrp_fault", &chk, (si->faults & VRRP_FAULT_CHECK) ? 1 : 0);
	}
}

static void render_io_counters(FILE *f, const struct status_view *v)
{
	for (size_t c = 0; c < sizeof(io_counters) / sizeof(io_counters[0]); c++) {
		const struct io_counter *m = &io_counters[c];
		family(f, m->name, "counter", m->help);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct status_instance *si = &v->instances[i];
			char vrid[8];
			if (!shown(si))
				continue;
			struct labels l = instance_labels(si, vrid, sizeof(vrid));
			sample(f, m->name, &l, io_value(si->io, m->off));
		}
	}
	family(f, "vigil_vrrp_send_errors_total", "counter",
	       "Sends that failed: kind advert (VRRP) or garp (gratuitous ARP).");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!shown(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		struct labels adv = with(&l, "kind", "advert"), garp = with(&l, "kind", "garp");
		sample(f, "vigil_vrrp_send_errors_total", &adv, si->io->tx_errors);
		sample(f, "vigil_vrrp_send_errors_total", &garp, si->io->garp_errors);
	}
}

static void render_transitions(FILE *f, const struct status_view *v)
{
	family(f, "vigil_vrrp_transitions_total", "counter",
	       "State changes, by reason (as in the log and VIGIL_REASON).");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!shown(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		for (int r = VRRP_REASON_NONE + 1; r < VRRP_REASON_COUNT; r++) {
			struct labels lr = with(&l, "reason", vrrp_fsm_reason_name(r));
			sample(f, "vigil_vrrp_transitions_total", &lr, si->fsm->by_reason[r]);
		}
	}
}

/* The socket layer's reasons, named apart from the VRRP layer's: both
 * have a "short", and one family needs distinct label values. */
static const char *sock_drop_label(enum vrrp_sock_drop d)
{
	switch (d) {
	case VRRP_SOCK_DROP_SHORT: return "ip-short";
	case VRRP_SOCK_DROP_IPHDR: return "ip-header";
	case VRRP_SOCK_DROP_PROTO: return "ip-protocol";
	case VRRP_SOCK_DROP_FRAGMENT: return "ip-fragment";
	case VRRP_SOCK_DROP_SOURCE: return "ip-source";
	case VRRP_SOCK_OK:
	case VRRP_SOCK_DROP__COUNT:
		break;
	}
	return vrrp_sock_drop_name(d);
}

static void render_drops_of(FILE *f, const struct status_instance *si, const struct labels *l)
{
	const char *name = "vigil_vrrp_packets_dropped_total";
	const struct vrrp_instance_stats *io = si->io;
	for (int r = VRRP_SOCK_OK + 1; r < VRRP_SOCK_DROP__COUNT; r++) {
		struct labels lr = with(l, "reason", sock_drop_label(r));
		sample(f, name, &lr, io->rx_sock_drops[r]);
	}
	for (int r = VRRP_DROP_NONE + 1; r < VRRP_DROP__COUNT; r++) {
		struct labels lr = with(l, "reason", vrrp_drop_name(r));
		sample(f, name, &lr, io->rx_drops[r]);
	}
	const struct {
		const char *reason;
		uint64_t n;
	} other[] = {
		{ "wrong-interface", io->rx_wrong_if },
		{ "not-a-peer", io->rx_not_peer },
		{ "own", io->rx_own },
	};
	for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
		struct labels lr = with(l, "reason", other[k].reason);
		sample(f, name, &lr, other[k].n);
	}
}

static void render_drops(FILE *f, const struct status_view *v)
{
	family(f, "vigil_vrrp_packets_dropped_total", "counter",
	       "Packets dropped, by reason: ip-* at the IP header, the VRRP checks "
	       "(ttl, csum, vrid, ...), wrong-interface, not-a-peer (unicast), own (looped back).");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!shown(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		render_drops_of(f, si, &l);
	}
}

/* ---- data safety ----------------------------------------------------- */

/* Instances with a database role (manage_read_only or witness). */
static bool has_role(const struct status_instance *si)
{
	return shown(si) && si->role && si->db_stats;
}

static bool any_role(const struct status_view *v)
{
	for (size_t i = 0; i < v->n_instances; i++)
		if (has_role(&v->instances[i]))
			return true;
	return false;
}

static uint64_t get_eligible(const struct status_instance *si)
{
	return si->db_eligible;
}

static uint64_t get_writable(const struct status_instance *si)
{
	return si->db_mode == DBROLE_WRITABLE;
}

static uint64_t get_epoch(const struct status_instance *si)
{
	return si->db_epoch;
}

static const struct instance_gauge db_gauges[] = {
	{ "vigil_db_eligible", "1 when this server may become master (data safety's verdict).",
	  get_eligible },
	{ "vigil_db_writable",
	  "1 when vigild opened the server for writes (read_only = OFF after the promotion gate); "
	  "0 while it is kept read-only.",
	  get_writable },
	{ "vigil_db_epoch", "The epoch last read from the local server's vigil.epoch.", get_epoch },
};

static const struct io_counter db_counters[] = {
	{ "vigil_db_alarms_total", "Times notify_alarm was called for: data safety could not do what it must.",
	  offsetof(struct dbrole_stats, alarms) },
	{ "vigil_db_polls_total", "Polls of the local server and the database peers.",
	  offsetof(struct dbrole_stats, polls) },
	{ "vigil_db_poll_errors_total", "Polls that failed.", offsetof(struct dbrole_stats, poll_errors) },
	{ "vigil_db_read_only_set_total", "Times read_only was set on the local server.",
	  offsetof(struct dbrole_stats, read_only_set) },
	{ "vigil_db_read_only_failures_total", "Times setting read_only failed.",
	  offsetof(struct dbrole_stats, read_only_failures) },
	{ "vigil_db_read_only_reasserted_total",
	  "Times the server was found writable while not master, and made read-only again.",
	  offsetof(struct dbrole_stats, reasserted) },
	{ "vigil_db_sessions_killed_total", "User sessions killed by demotions.",
	  offsetof(struct dbrole_stats, sessions_killed) },
	{ "vigil_db_gates_opened_total", "Promotion gates that opened the server.",
	  offsetof(struct dbrole_stats, gates_opened) },
	{ "vigil_db_gate_timeouts_total", "Promotion gates that reached promote_timeout.",
	  offsetof(struct dbrole_stats, gate_timeouts) },
	{ "vigil_db_epochs_written_total", "Epoch rows written on promotion.",
	  offsetof(struct dbrole_stats, epochs_written) },
	{ "vigil_db_contests_total", "Contests between two masters.",
	  offsetof(struct dbrole_stats, contests) },
	{ "vigil_db_contests_lost_total", "Contests this node lost.",
	  offsetof(struct dbrole_stats, contests_lost) },
	{ "vigil_db_role_errors_total", "Role statements that failed.",
	  offsetof(struct dbrole_stats, role_errors) },
	{ "vigil_db_witness_probes_total", "Witness probes of the VIP before a takeover on silence.",
	  offsetof(struct dbrole_stats, witness_probes) },
	{ "vigil_db_witness_served_total", "Witness probes that found the VIP served (no takeover).",
	  offsetof(struct dbrole_stats, witness_served) },
};

static void render_db_gauges(FILE *f, const struct status_view *v)
{
	for (size_t g = 0; g < sizeof(db_gauges) / sizeof(db_gauges[0]); g++) {
		const struct instance_gauge *m = &db_gauges[g];
		family(f, m->name, "gauge", m->help);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct status_instance *si = &v->instances[i];
			char vrid[8];
			if (!has_role(si))
				continue;
			struct labels l = instance_labels(si, vrid, sizeof(vrid));
			sample(f, m->name, &l, m->get(si));
		}
	}
	family(f, "vigil_db_mode", "gauge",
	       "The database role's mode: 1 for the current one (unknown, read-only, adopting, "
	       "gating, writable, demoting), 0 for the others.");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!has_role(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		for (int m = 0; m < DBROLE_MODE__COUNT; m++) {
			struct labels lm = with(&l, "mode", dbrole_mode_name(m));
			sample(f, "vigil_db_mode", &lm, si->db_mode == (enum dbrole_mode)m);
		}
	}
	family(f, "vigil_db_semisync_info", "gauge",
	       "The local server's semi-synchronous replication as last read (value always 1).");
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct status_instance *si = &v->instances[i];
		char vrid[8];
		if (!has_role(si))
			continue;
		struct labels l = instance_labels(si, vrid, sizeof(vrid));
		struct labels ls = with(&l, "semisync", si->db_semisync ? si->db_semisync : "unknown");
		sample(f, "vigil_db_semisync_info", &ls, 1);
	}
}

static void render_db_counters(FILE *f, const struct status_view *v)
{
	for (size_t c = 0; c < sizeof(db_counters) / sizeof(db_counters[0]); c++) {
		const struct io_counter *m = &db_counters[c];
		family(f, m->name, "counter", m->help);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct status_instance *si = &v->instances[i];
			char vrid[8];
			uint64_t n;
			if (!has_role(si))
				continue;
			memcpy(&n, (const char *)si->db_stats + m->off, sizeof(n));
			struct labels l = instance_labels(si, vrid, sizeof(vrid));
			sample(f, m->name, &l, n);
		}
	}
}

/* ---- checks ---------------------------------------------------------- */

/* Checks that run (some instance tracks them): only they have counters. */
static bool check_runs(const struct health_check_info *ci)
{
	return ci->conf && ci->conf->name && ci->tracked && ci->stats;
}

static bool any_check(const struct status_view *v)
{
	for (size_t k = 0; k < v->n_checks; k++)
		if (check_runs(&v->checks[k]))
			return true;
	return false;
}

struct check_metric {
	const char *name, *type, *help;
	uint64_t (*get)(const struct health_check_info *ci);
};

static uint64_t get_check_status(const struct health_check_info *ci)
{
	return ci->last ? (uint64_t)ci->last->status : CHECK_FAILED;
}

static uint64_t get_check_level(const struct health_check_info *ci)
{
	return (uint64_t)ci->level;
}

static uint64_t get_check_penalty(const struct health_check_info *ci)
{
	return ci->penalty;
}

static uint64_t get_check_runs(const struct health_check_info *ci)
{
	return ci->stats->probes;
}

static uint64_t get_check_failures(const struct health_check_info *ci)
{
	return ci->stats->by_status[CHECK_FAILED];
}

static uint64_t get_check_degraded(const struct health_check_info *ci)
{
	return ci->stats->by_status[CHECK_DEGRADED];
}

static uint64_t get_check_timeouts(const struct health_check_info *ci)
{
	return ci->stats->timeouts;
}

static const struct check_metric check_metrics[] = {
	{ "vigil_check_status", "gauge",
	  "The last result: 0 ok, 1 degraded, 2 failed (2 before the first).", get_check_status },
	{ "vigil_check_level", "gauge",
	  "What the score counts after rise/fall: 0 ok, 1 degraded, 2 failed.", get_check_level },
	{ "vigil_check_penalty", "gauge",
	  "Priority subtracted now from each instance tracking the check.", get_check_penalty },
	{ "vigil_check_runs_total", "counter", "Probes started.", get_check_runs },
	{ "vigil_check_failures_total", "counter", "Results that were failed (timeouts included).",
	  get_check_failures },
	{ "vigil_check_degraded_total", "counter", "Results that were degraded.", get_check_degraded },
	{ "vigil_check_timeouts_total", "counter", "Probes cancelled at the check's timeout.",
	  get_check_timeouts },
};

static void render_check_metrics(FILE *f, const struct status_view *v)
{
	for (size_t c = 0; c < sizeof(check_metrics) / sizeof(check_metrics[0]); c++) {
		const struct check_metric *m = &check_metrics[c];
		family(f, m->name, m->type, m->help);
		for (size_t k = 0; k < v->n_checks; k++) {
			const struct health_check_info *ci = &v->checks[k];
			struct labels none = { 0 };
			if (!check_runs(ci))
				continue;
			struct labels l = with(&none, "check", ci->conf->name);
			sample(f, m->name, &l, m->get(ci));
		}
	}
}

/* One check's histogram: cumulative buckets, +Inf, sum, count. */
static void render_histogram_of(FILE *f, const struct health_check_info *ci)
{
	const struct check_stats *s = ci->stats;
	struct labels none = { 0 };
	struct labels l = with(&none, "check", ci->conf->name);
	uint64_t cum = 0;
	char le[32];
	for (size_t b = 0; b < CHECK_LATENCY_BUCKETS; b++) {
		cum += s->latency_buckets[b];
		struct labels lb = with(&l, "le", seconds_text(check_latency_bound_us(b), le, sizeof(le)));
		sample(f, "vigil_check_latency_seconds_bucket", &lb, cum);
	}
	cum += s->latency_buckets[CHECK_LATENCY_BUCKETS];
	struct labels inf = with(&l, "le", "+Inf");
	sample(f, "vigil_check_latency_seconds_bucket", &inf, cum);
	sample_seconds(f, "vigil_check_latency_seconds_sum", &l, s->latency_sum_us);
	sample(f, "vigil_check_latency_seconds_count", &l, cum);
}

static void render_histograms(FILE *f, const struct status_view *v)
{
	family(f, "vigil_check_latency_seconds", "histogram",
	       "Probe time, start to result (a timed-out probe counts its timeout).");
	for (size_t k = 0; k < v->n_checks; k++)
		if (check_runs(&v->checks[k]))
			render_histogram_of(f, &v->checks[k]);
}

/* ---- the control socket --------------------------------------------- */

static void render_control(FILE *f, const struct control_stats *c)
{
	family(f, "vigil_control_requests_total", "counter",
	       "Requests answered on the control socket (vigilctl).");
	sample(f, "vigil_control_requests_total", NULL, c->requests);
	family(f, "vigil_control_malformed_total", "counter",
	       "Control socket requests refused as malformed.");
	sample(f, "vigil_control_malformed_total", NULL, c->malformed);
	family(f, "vigil_control_timeouts_total", "counter",
	       "Control socket clients dropped at a deadline.");
	sample(f, "vigil_control_timeouts_total", NULL, c->timeouts);
}

/* Instance i is the first of the view on its interface's receiver (the
 * receivers are shown once each). */
static bool first_on_port(const struct status_view *v, size_t i)
{
	const struct vrrp_demux_stats *p = v->instances[i].port_io;
	if (!shown(&v->instances[i]) || !p)
		return false;
	for (size_t k = 0; k < i; k++)
		if (v->instances[k].port_io == p)
			return false;
	return true;
}

/* The receiver each interface shares among its instances, once per
 * interface: every datagram read there, and the ones it refused before
 * any instance had them (reason vrid: a VRID no instance here runs). */
static void render_ports(FILE *f, const struct status_view *v)
{
	const char *rx = "vigil_vrrp_interface_packets_received_total";
	const char *dropped = "vigil_vrrp_interface_packets_dropped_total";
	bool any = false;
	for (size_t i = 0; i < v->n_instances && !any; i++)
		any = first_on_port(v, i);
	if (!any)
		return;
	family(f, rx, "counter", "Datagrams read on the interface's VRRP socket, shared by its instances.");
	for (size_t i = 0; i < v->n_instances; i++) {
		if (!first_on_port(v, i))
			continue;
		struct labels none = { 0 };
		struct labels l = with(&none, "interface", v->instances[i].conf->interface);
		sample(f, rx, &l, v->instances[i].port_io->rx_packets);
	}
	family(f, dropped, "counter",
	       "Datagrams the interface's receiver dropped before any instance had them, by reason: "
	       "ip-* at the IP header, the per-packet VRRP checks, vrid (no instance here runs it), "
	       "wrong-interface.");
	for (size_t i = 0; i < v->n_instances; i++) {
		if (!first_on_port(v, i))
			continue;
		const struct vrrp_demux_stats *p = v->instances[i].port_io;
		struct labels none = { 0 };
		struct labels l = with(&none, "interface", v->instances[i].conf->interface);
		for (int r = VRRP_SOCK_OK + 1; r < VRRP_SOCK_DROP__COUNT; r++) {
			struct labels lr = with(&l, "reason", sock_drop_label(r));
			sample(f, dropped, &lr, p->rx_sock_drops[r]);
		}
		for (int r = VRRP_DROP_NONE + 1; r < VRRP_DROP__COUNT; r++) {
			struct labels lr = with(&l, "reason", vrrp_drop_name(r));
			sample(f, dropped, &lr, p->rx_drops[r]);
		}
		struct labels lw = with(&l, "reason", "wrong-interface");
		sample(f, dropped, &lw, p->rx_wrong_if);
	}
}

/* Quorum on etcd ([quorum]): one sample per instance that has it. */
static uint64_t get_quorum_held(const struct status_instance *si)
{
	return si->q.state == QUORUM_HELD;
}

static uint64_t get_quorum_may_write(const struct status_instance *si)
{
	return si->q.may_write;
}

static uint64_t get_quorum_renewals(const struct status_instance *si)
{
	return si->q.rules.renewals;
}

static uint64_t get_quorum_renewal_failures(const struct status_instance *si)
{
	return si->q.rules.renewal_failures;
}

static uint64_t get_quorum_vetoes(const struct status_instance *si)
{
	return si->q.vetoes;
}

static uint64_t get_quorum_demotions(const struct status_instance *si)
{
	return si->q.demotions;
}

static uint64_t get_quorum_errors(const struct status_instance *si)
{
	return si->q.endpoint_errors;
}

static uint64_t get_quorum_request_failures(const struct status_instance *si)
{
	return si->q.request_errors;
}

static const struct {
	const char *type;
	struct instance_gauge m;
} quorum_metrics[] = {
	{ "gauge", { "vigil_quorum_key_held", "1: this node holds the instance's key in etcd.",
		     get_quorum_held } },
	{ "gauge", { "vigil_quorum_may_write", "1: the lease allows the server to be writable now.",
		     get_quorum_may_write } },
	{ "counter", { "vigil_quorum_renewals_total", "Lease renewals acknowledged by etcd.",
		       get_quorum_renewals } },
	{ "counter", { "vigil_quorum_renewal_failures_total", "Lease renewals that failed.",
		       get_quorum_renewal_failures } },
	{ "counter", { "vigil_quorum_vetoes_total",
		       "Takeovers on silence called off because the key could not be taken.",
		       get_quorum_vetoes } },
	{ "counter", { "vigil_quorum_demotions_total",
		       "Demotions because the lease was lost or could not be renewed in time.",
		       get_quorum_demotions } },
	{ "counter", { "vigil_quorum_etcd_errors_total",
		       "Tries on one etcd member that failed (a request that fails over counts each).",
		       get_quorum_errors } },
	{ "counter", { "vigil_quorum_etcd_request_failures_total",
		       "etcd requests that failed on every member.", get_quorum_request_failures } },
};

static void render_quorum(FILE *f, const struct status_view *v)
{
	for (size_t g = 0; g < sizeof(quorum_metrics) / sizeof(quorum_metrics[0]); g++) {
		const struct instance_gauge *m = &quorum_metrics[g].m;
		family(f, m->name, quorum_metrics[g].type, m->help);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct status_instance *si = &v->instances[i];
			char vrid[8];
			if (!shown(si) || !si->quorum)
				continue;
			struct labels l = instance_labels(si, vrid, sizeof(vrid));
			sample(f, m->name, &l, m->get(si));
		}
	}
}

static bool any_quorum(const struct status_view *v)
{
	for (size_t i = 0; i < v->n_instances; i++)
		if (v->instances[i].quorum)
			return true;
	return false;
}

char *metrics_render(const struct status_view *v)
{
	if (!v || (v->n_instances && !v->instances) || (v->n_checks && !v->checks))
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	render_daemon(f, v);
	render_instance_gauges(f, v);
	render_faults(f, v);
	render_io_counters(f, v);
	render_transitions(f, v);
	render_drops(f, v);
	render_ports(f, v);
	if (any_role(v)) {
		render_db_gauges(f, v);
		render_db_counters(f, v);
	}
	if (any_quorum(v))
		render_quorum(f, v);
	if (any_check(v)) {
		render_check_metrics(f, v);
		render_histograms(f, v);
	}
	if (v->control)
		render_control(f, v->control);
	bool failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(buf);
		return NULL;
	}
	return buf;
}
