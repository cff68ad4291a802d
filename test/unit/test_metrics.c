// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the Prometheus rendering: a view built by hand (as in
// test_status.c) rendered and checked line by line; every line parsed back
// as the text format 0.0.4 (HELP and TYPE once per family, before its
// samples; label values escaped); the histogram's buckets cumulative, its
// +Inf bucket equal to _count; families without samples left out.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The view's clock: "now" is 10 days of monotonic time. */
#define NOW 864000000u

struct world {
	struct config_instance ci[2];
	struct config_check cc[3];
	struct vrrp_fsm_counters fsm[2];
	struct vrrp_instance_stats io[2];
	struct dbrole_stats db;
	struct check_result res[2];
	struct check_stats cs[2];
	struct control_stats ctl;
	struct status_instance si[2];
	struct health_check_info chk[3];
	struct status_view v;
};

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* writer: MASTER with data safety (writable, epoch 5), the VIP held;
 * reader: BACKUP without; checks ping (ok, with latencies), lag (failed)
 * and spare (tracked by nobody). */
static void build(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->ci[0] = (struct config_instance){ .name = "writer", .interface = "eth0", .vrid = 51,
					     .priority = 150, .version = 3,
					     .manage_read_only = true, .witness = true };
	w->ci[1] = (struct config_instance){ .name = "reader", .interface = "eth1", .vrid = 52,
					     .priority = 100, .version = 2 };
	w->cc[0] = (struct config_check){ .name = "ping", .type = CONFIG_CHECK_MYSQL_PING,
					  .penalty = 60 };
	w->cc[1] = (struct config_check){ .name = "lag", .type = CONFIG_CHECK_MYSQL_REPLICATION,
					  .penalty = 50, .degraded_penalty = 5 };
	w->cc[2] = (struct config_check){ .name = "spare", .type = CONFIG_CHECK_TCP, .penalty = 10 };

	w->fsm[0].transitions = 2;
	w->fsm[0].by_reason[VRRP_REASON_STARTUP] = 1;
	w->fsm[0].by_reason[VRRP_REASON_HEALTH_TAKEOVER] = 1;
	w->io[0] = (struct vrrp_instance_stats){ .rx_packets = 7, .rx_adverts = 5,
						 .tx_adverts = 1234, .tx_errors = 3,
						 .garp_sent = 10, .rx_wrong_if = 4 };
	w->io[0].rx_drops[VRRP_DROP_TTL] = 2;
	w->io[0].rx_sock_drops[VRRP_SOCK_DROP_SHORT] = 1;
	w->db = (struct dbrole_stats){ .polls = 300, .read_only_set = 2, .gates_opened = 1,
				       .epochs_written = 1, .alarms = 2 };
	w->si[0] = (struct status_instance){
		.conf = &w->ci[0], .state = VRRP_STATE_MASTER, .priority = 150, .n_held = 1,
		.fsm = &w->fsm[0], .io = &w->io[0], .role = true, .db_mode = DBROLE_WRITABLE,
		.db_eligible = true, .db_reason = "primary (writable)", .db_epoch = 5,
		.db_semisync = "AFTER_SYNC", .db_stats = &w->db,
	};
	w->si[0].held[0] = (struct status_vip){ .addr = ip("198.18.0.100"), .prefix = 24 };
	w->fsm[1].transitions = 1;
	w->fsm[1].by_reason[VRRP_REASON_STARTUP] = 1;
	w->io[1] = (struct vrrp_instance_stats){ .rx_packets = 900, .rx_adverts = 899 };
	w->si[1] = (struct status_instance){
		.conf = &w->ci[1], .state = VRRP_STATE_BACKUP, .priority = 95,
		.faults = VRRP_FAULT_CHECK, .fsm = &w->fsm[1], .io = &w->io[1],
	};

	check_result_set(&w->res[0], CHECK_OK, "SELECT 1 in 0.10 ms");
	check_result_set(&w->res[1], CHECK_FAILED, "lag 45000 ms (critical 30000 ms)");
	/* ping: 40 probes, 30 of 0.1 ms, 9 of 2 ms, 1 of 7 s (above every bound). */
	w->cs[0] = (struct check_stats){ .probes = 40, .by_status = { 38, 1, 1 } };
	w->cs[0].latency_buckets[0] = 30;
	w->cs[0].latency_buckets[1] = 9;
	w->cs[0].latency_buckets[CHECK_LATENCY_BUCKETS] = 1;
	w->cs[0].latency_sum_us = 30 * 100 + 9 * 2000 + 7000000;
	w->cs[1] = (struct check_stats){ .probes = 9, .timeouts = 1, .by_status = { 7, 1, 1 } };
	w->chk[0] = (struct health_check_info){ .conf = &w->cc[0], .tracked = true,
						.last = &w->res[0], .level = CHECK_OK,
						.stats = &w->cs[0] };
	w->chk[1] = (struct health_check_info){ .conf = &w->cc[1], .tracked = true,
						.last = &w->res[1], .level = CHECK_DEGRADED,
						.penalty = 5, .stats = &w->cs[1] };
	w->chk[2] = (struct health_check_info){ .conf = &w->cc[2] };
	w->ctl = (struct control_stats){ .accepted = 4, .requests = 3, .malformed = 1 };
	w->v = (struct status_view){
		.router_id = "h1", .pid = 4242, .now_ms = NOW, .started_ms = NOW - 125250,
		.instances = w->si, .n_instances = 2, .checks = w->chk, .n_checks = 3,
		.control = &w->ctl,
	};
}

/* The whole line, exactly, somewhere in text. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return;
		p = e ? e + 1 : NULL;
	}
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void assert_no_substring(const char *text, const char *s)
{
	if (strstr(text, s))
		fail_msg("'%s' unexpected in:\n%s", s, text);
}

/* ---- a parser of the text format ------------------------------------ */

#define MAX_FAMILIES 128
struct parsed {
	char family[MAX_FAMILIES][96];
	char type[MAX_FAMILIES][16];
	bool help[MAX_FAMILIES];
	size_t n;
};

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* A metric or label name at p; returns its length (0: none). */
static size_t name_len(const char *p)
{
	size_t n = 0;
	while (name_char(p[n], n == 0))
		n++;
	return n;
}

static long family_index(const struct parsed *ps, const char *name, size_t len)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strlen(ps->family[i]) == len && memcmp(ps->family[i], name, len) == 0)
			return (long)i;
	return -1;
}

/* "# HELP name text" or "# TYPE name type": the family is declared once. */
static void parse_comment(struct parsed *ps, const char *line)
{
	bool help = strncmp(line, "# HELP ", 7) == 0;
	if (!help && strncmp(line, "# TYPE ", 7) != 0)
		fail_msg("a comment that is neither HELP nor TYPE: %s", line);
	const char *name = line + 7;
	size_t n = name_len(name);
	assert_true(n > 0 && n < sizeof(ps->family[0]));
	assert_int_equal(name[n], ' ');
	long i = family_index(ps, name, n);
	if (i < 0) {
		assert_true(ps->n < MAX_FAMILIES);
		i = (long)ps->n++;
		memcpy(ps->family[i], name, n);
		ps->family[i][n] = '\0';
	}
	if (help) {
		if (ps->help[i])
			fail_msg("HELP twice: %s", line);
		ps->help[i] = true;
		return;
	}
	if (ps->type[i][0])
		fail_msg("TYPE twice: %s", line);
	const char *t = name + n + 1;
	assert_true(strcmp(t, "gauge") == 0 || strcmp(t, "counter") == 0 ||
		    strcmp(t, "histogram") == 0);
	snprintf(ps->type[i], sizeof(ps->type[i]), "%s", t);
}

/* The family a sample belongs to: its name, or the histogram's. */
static long sample_family(const struct parsed *ps, const char *name, size_t n)
{
	long i = family_index(ps, name, n);
	if (i >= 0)
		return i;
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	for (size_t k = 0; k < 3; k++) {
		size_t s = strlen(suffix[k]);
		if (n > s && memcmp(name + n - s, suffix[k], s) == 0) {
			i = family_index(ps, name, n - s);
			if (i >= 0 && strcmp(ps->type[i], "histogram") == 0)
				return i;
		}
	}
	return -1;
}

/* {k="v",...}: names valid, values closed, escapes only \\ \" \n. */
static const char *parse_labels(const char *p)
{
	if (*p != '{')
		return p;
	p++;
	while (*p != '}') {
		size_t n = name_len(p);
		assert_true(n > 0);
		p += n;
		assert_int_equal(*p++, '=');
		assert_int_equal(*p++, '"');
		while (*p != '"') {
			assert_true(*p != '\0' && *p != '\n');
			if (*p == '\\') {
				p++;
				assert_true(*p == '\\' || *p == '"' || *p == 'n');
			}
			p++;
		}
		p++;
		if (*p == ',')
			p++;
	}
	return p + 1;
}

static void parse_sample(struct parsed *ps, const char *line)
{
	size_t n = name_len(line);
	assert_true(n > 0);
	long i = sample_family(ps, line, n);
	if (i < 0 || !ps->type[i][0] || !ps->help[i])
		fail_msg("a sample before its family's HELP and TYPE: %s", line);
	/* The family's samples follow its declaration: no other family may
	 * have been declared since. */
	assert_int_equal((size_t)i, ps->n - 1);
	const char *p = parse_labels(line + n);
	assert_int_equal(*p++, ' ');
	char *end;
	strtod(p, &end);
	if (end == p || *end != '\0')
		fail_msg("not a number: %s", line);
}

/* Every line of text parsed; the families counted into *ps. */
static void parse_all(const char *text, struct parsed *ps)
{
	memset(ps, 0, sizeof(*ps));
	size_t len = strlen(text);
	assert_true(len > 0 && text[len - 1] == '\n');
	char *copy = strdup(text);
	assert_non_null(copy);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			parse_comment(ps, l);
		else
			parse_sample(ps, l);
	}
	free(copy);
	assert_null(strstr(text, "\n\n"));
}

/* ---- tests -------------------------------------------------------- */

static void test_lines(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	assert_line(t, "# HELP vigil_up 1: vigild answered this scrape.");
	assert_line(t, "# TYPE vigil_up gauge");
	assert_line(t, "vigil_up 1");
	assert_line(t, "vigil_info{router_id=\"h1\"} 1");
	assert_line(t, "vigil_uptime_seconds 125.25");

	assert_line(t, "# TYPE vigil_vrrp_state gauge");
	assert_line(t, "vigil_vrrp_state{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 2");
	assert_line(t, "vigil_vrrp_state{instance=\"reader\",interface=\"eth1\",vrid=\"52\"} 1");
	assert_line(t, "vigil_vrrp_priority_effective{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 150");
	assert_line(t, "vigil_vrrp_priority_effective{instance=\"reader\",interface=\"eth1\",vrid=\"52\"} 95");
	assert_line(t, "vigil_vrrp_priority_base{instance=\"reader\",interface=\"eth1\",vrid=\"52\"} 100");
	assert_line(t, "vigil_vrrp_vips_held{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 1");
	assert_line(t, "vigil_vrrp_fault{instance=\"reader\",interface=\"eth1\",vrid=\"52\",cause=\"check\"} 1");
	assert_line(t, "vigil_vrrp_fault{instance=\"reader\",interface=\"eth1\",vrid=\"52\",cause=\"link\"} 0");

	assert_line(t, "# TYPE vigil_vrrp_adverts_sent_total counter");
	assert_line(t, "vigil_vrrp_adverts_sent_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 1234");
	assert_line(t, "vigil_vrrp_adverts_received_total{instance=\"reader\",interface=\"eth1\",vrid=\"52\"} 899");
	assert_line(t, "vigil_vrrp_packets_received_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 7");
	assert_line(t, "vigil_vrrp_garp_sent_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 10");
	assert_line(t, "vigil_vrrp_send_errors_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",kind=\"advert\"} 3");
	assert_line(t, "vigil_vrrp_transitions_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"health-takeover\"} 1");
	assert_line(t, "vigil_vrrp_transitions_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"startup\"} 1");
	assert_line(t, "vigil_vrrp_transitions_total{instance=\"reader\",interface=\"eth1\",vrid=\"52\",reason=\"preempt\"} 0");
	assert_line(t, "vigil_vrrp_packets_dropped_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"ttl\"} 2");
	assert_line(t, "vigil_vrrp_packets_dropped_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"ip-short\"} 1");
	assert_line(t, "vigil_vrrp_packets_dropped_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"short\"} 0");
	assert_line(t, "vigil_vrrp_packets_dropped_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\",reason=\"wrong-interface\"} 4");

	/* Data safety: the writer only. */
	assert_line(t, "vigil_db_eligible{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 1");
	assert_line(t, "vigil_db_writable{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 1");
	assert_line(t, "vigil_db_epoch{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 5");
	assert_line(t, "vigil_db_mode{instance=\"writer\",interface=\"eth0\",vrid=\"51\",mode=\"writable\"} 1");
	assert_line(t, "vigil_db_mode{instance=\"writer\",interface=\"eth0\",vrid=\"51\",mode=\"read-only\"} 0");
	assert_line(t, "vigil_db_semisync_info{instance=\"writer\",interface=\"eth0\",vrid=\"51\",semisync=\"AFTER_SYNC\"} 1");
	assert_line(t, "# TYPE vigil_db_alarms_total counter");
	assert_line(t, "vigil_db_alarms_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 2");
	assert_line(t, "vigil_db_polls_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 300");
	assert_line(t, "vigil_db_epochs_written_total{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 1");
	assert_no_substring(t, "vigil_db_eligible{instance=\"reader\"");

	/* Checks: the two tracked ones. */
	assert_line(t, "vigil_check_status{check=\"ping\"} 0");
	assert_line(t, "vigil_check_status{check=\"lag\"} 2");
	assert_line(t, "vigil_check_level{check=\"lag\"} 1");
	assert_line(t, "vigil_check_penalty{check=\"lag\"} 5");
	assert_line(t, "# TYPE vigil_check_runs_total counter");
	assert_line(t, "vigil_check_runs_total{check=\"ping\"} 40");
	assert_line(t, "vigil_check_failures_total{check=\"lag\"} 1");
	assert_line(t, "vigil_check_degraded_total{check=\"ping\"} 1");
	assert_line(t, "vigil_check_timeouts_total{check=\"lag\"} 1");
	assert_no_substring(t, "check=\"spare\"");

	assert_line(t, "# HELP vigil_check_latency_seconds Probe time, start to result (a timed-out probe counts its timeout).");
	assert_line(t, "# TYPE vigil_check_latency_seconds histogram");
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"ping\",le=\"0.001\"} 30");
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"ping\",le=\"0.0025\"} 39");
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"ping\",le=\"5\"} 39");
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"ping\",le=\"+Inf\"} 40");
	assert_line(t, "vigil_check_latency_seconds_sum{check=\"ping\"} 7.021");
	assert_line(t, "vigil_check_latency_seconds_count{check=\"ping\"} 40");
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"lag\",le=\"+Inf\"} 0");
	assert_line(t, "vigil_check_latency_seconds_sum{check=\"lag\"} 0");

	assert_line(t, "vigil_control_requests_total 3");
	assert_line(t, "vigil_control_malformed_total 1");
	free(t);
}

/* Every line is HELP, TYPE or a sample of the family just declared, and
 * every family has both. */
static void test_format(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	struct parsed ps;
	parse_all(t, &ps);
	assert_true(ps.n >= 30);
	for (size_t i = 0; i < ps.n; i++) {
		if (!ps.help[i] || !ps.type[i][0])
			fail_msg("family %s lacks HELP or TYPE", ps.family[i]);
		size_t n = strlen(ps.family[i]);
		bool total = n > 6 && strcmp(ps.family[i] + n - 6, "_total") == 0;
		/* Counters and only counters end in _total. */
		assert_int_equal(total, strcmp(ps.type[i], "counter") == 0);
	}
	free(t);
}

static void test_escaping(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	w.v.router_id = "a\"b\\c\nd";
	w.ci[1].interface = "e\\th\"1\n";
	w.cc[0].name = "p\"ing";
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	assert_line(t, "vigil_info{router_id=\"a\\\"b\\\\c\\nd\"} 1");
	assert_line(t, "vigil_vrrp_state{instance=\"reader\",interface=\"e\\\\th\\\"1\\n\",vrid=\"52\"} 1");
	assert_line(t, "vigil_check_runs_total{check=\"p\\\"ing\"} 40");
	struct parsed ps;
	parse_all(t, &ps);
	free(t);
}

/* The value of the sample that starts with prefix (labels included). */
static double value_of(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	if (!p)
		fail_msg("no '%s' in:\n%s", prefix, text);
	p = strchr(p, ' ');
	assert_non_null(p);
	return strtod(p + 1, NULL);
}

/* The histogram's buckets never decrease from le to le, +Inf equals
 * _count, and the bounds are the ones check.h fixes, in order. */
static void test_histogram(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	for (size_t b = 0; b <= CHECK_LATENCY_BUCKETS; b++)
		w.cs[1].latency_buckets[b] = (b * 7) % 5;
	w.cs[1].latency_sum_us = 123456789;
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	static const char *const le[] = { "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
					  "0.25", "0.5", "1", "2.5", "5", "+Inf" };
	assert_int_equal(sizeof(le) / sizeof(le[0]), CHECK_LATENCY_BUCKETS + 1);
	const char *checks[] = { "ping", "lag" };
	for (size_t c = 0; c < 2; c++) {
		double prev = 0;
		const char *at = t;
		for (size_t b = 0; b <= CHECK_LATENCY_BUCKETS; b++) {
			char prefix[128];
			snprintf(prefix, sizeof(prefix),
				 "vigil_check_latency_seconds_bucket{check=\"%s\",le=\"%s\"} ", checks[c],
				 le[b]);
			const char *p = strstr(t, prefix);
			if (!p)
				fail_msg("no '%s'", prefix);
			assert_true(p > at);            /* in the order of le */
			at = p;
			double n = value_of(t, prefix);
			assert_true(n >= prev);
			prev = n;
		}
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "vigil_check_latency_seconds_count{check=\"%s\"} ",
			 checks[c]);
		assert_true(value_of(t, prefix) == prev);
	}
	assert_line(t, "vigil_check_latency_seconds_sum{check=\"lag\"} 123.456789");
	/* lag: 0,2,4,1,3,0,2,4,1,3,0,2 then 4 above 5 s: 22 in all. */
	assert_line(t, "vigil_check_latency_seconds_bucket{check=\"lag\",le=\"5\"} 22");
	assert_line(t, "vigil_check_latency_seconds_count{check=\"lag\"} 26");
	for (size_t b = 0; b < CHECK_LATENCY_BUCKETS; b++)
		assert_true(check_latency_bound_us(b) > (b ? check_latency_bound_us(b - 1) : 0));
	assert_int_equal(check_latency_bound_us(CHECK_LATENCY_BUCKETS), UINT32_MAX);
	free(t);
}

/* Without data safety, tracked checks or the control stats, their
 * families are left out; the rest still parses. */
static void test_sparse(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	w.si[0].role = false;
	w.chk[0].tracked = false;
	w.chk[0].stats = NULL;
	w.chk[1].tracked = false;
	w.chk[1].stats = NULL;
	w.v.control = NULL;
	w.v.started_ms = 0;
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	assert_no_substring(t, "vigil_db_");
	assert_no_substring(t, "vigil_check_");
	assert_no_substring(t, "vigil_control_");
	assert_line(t, "vigil_uptime_seconds 0");
	assert_line(t, "vigil_vrrp_state{instance=\"writer\",interface=\"eth0\",vrid=\"51\"} 2");
	struct parsed ps;
	parse_all(t, &ps);
	free(t);
}

/* A view that is not whole is refused, not read past its end. */
static void test_bad_view(void **state)
{
	(void)state;
	assert_null(metrics_render(NULL));
	struct status_view v = { .n_instances = 2 };
	assert_null(metrics_render(&v));
	struct status_view c = { .n_checks = 1 };
	assert_null(metrics_render(&c));
	struct status_view empty = { 0 };
	char *t = metrics_render(&empty);
	assert_non_null(t);
	assert_line(t, "vigil_up 1");
	assert_line(t, "vigil_info{router_id=\"\"} 1");
	free(t);
}

/* The receiver an interface shares among its instances: its families
 * once per interface (both instances here on eth0), well formed. */
static void test_interfaces(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	struct vrrp_demux_stats port = { .rx_packets = 1000, .rx_dispatched = 990 };
	port.rx_drops[VRRP_DROP_VRID] = 8;
	port.rx_sock_drops[VRRP_SOCK_DROP_SHORT] = 2;
	w.ci[1].interface = "eth0";
	w.si[0].port_io = &port;
	w.si[1].port_io = &port;
	char *t = metrics_render(&w.v);
	assert_non_null(t);
	assert_line(t, "vigil_vrrp_interface_packets_received_total{interface=\"eth0\"} 1000");
	assert_line(t, "vigil_vrrp_interface_packets_dropped_total{interface=\"eth0\",reason=\"vrid\"} 8");
	assert_line(t, "vigil_vrrp_interface_packets_dropped_total{interface=\"eth0\",reason=\"ip-short\"} 2");
	assert_line(t, "vigil_vrrp_interface_packets_dropped_total{interface=\"eth0\",reason=\"wrong-interface\"} 0");
	const char *first = strstr(t, "vigil_vrrp_interface_packets_received_total{");
	assert_non_null(first);
	assert_null(strstr(first + 1, "vigil_vrrp_interface_packets_received_total{"));
	struct parsed ps;
	parse_all(t, &ps);
	free(t);

	/* No receiver: no family. */
	w.si[0].port_io = NULL;
	w.si[1].port_io = NULL;
	t = metrics_render(&w.v);
	assert_non_null(t);
	assert_no_substring(t, "# TYPE vigil_vrrp_interface_");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_bad_view),
		cmocka_unit_test(test_interfaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
