// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the status rendering: views built by hand (a MASTER with
// data safety, a BACKUP that hears its master, a check that failed, one
// not tracked), rendered as the operator's table and as JSON (parsed back
// with json-c, every field name and value checked).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* The view's clock: "now" is 10 days of monotonic time. */
#define NOW 864000000u

struct world {
	struct config_vip vips[2];
	struct config_instance ci[2];
	struct config_check cc[3];
	struct vrrp_fsm_counters fsm[2];
	struct vrrp_instance_stats io[2];
	struct vrrp_fsm_peer peer[2];
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

/* h1: a MASTER with manage_read_only, writable, two checks of which one
 * failed (penalty 0 applied: it is only degraded), one check tracked by
 * nobody; a second instance BACKUP behind 198.18.0.12. */
static void build(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->vips[0] = (struct config_vip){ .addr = ip("198.18.0.100"), .prefix_len = 24 };
	w->vips[1] = (struct config_vip){ .addr = ip("198.18.0.200"), .prefix_len = 32 };
	w->ci[0] = (struct config_instance){
		.name = "writer", .interface = "eth0", .vrid = 51, .priority = 150, .version = 3,
		.advert_interval_ms = 200, .vips = &w->vips[0], .n_vips = 1, .preempt = true,
		.manage_read_only = true, .witness = true,
	};
	w->ci[1] = (struct config_instance){
		.name = "reader", .interface = "eth1", .vrid = 52, .priority = 100, .version = 2,
		.advert_interval_ms = 1000, .vips = &w->vips[1], .n_vips = 1,
	};
	w->cc[0] = (struct config_check){ .name = "ping", .type = CONFIG_CHECK_MYSQL_PING,
					  .interval_ms = 200, .timeout_ms = 500, .rise = 2,
					  .fall = 2, .penalty = 60 };
	w->cc[1] = (struct config_check){ .name = "lag", .type = CONFIG_CHECK_MYSQL_REPLICATION,
					  .interval_ms = 1000, .timeout_ms = 2000, .rise = 2,
					  .fall = 3, .penalty = 50, .degraded_penalty = 5 };
	w->cc[2] = (struct config_check){ .name = "spare", .type = CONFIG_CHECK_TCP,
					  .interval_ms = 1000, .timeout_ms = 1000, .rise = 1,
					  .fall = 1, .penalty = 10 };

	w->fsm[0].transitions = 2;
	w->fsm[0].by_reason[VRRP_REASON_STARTUP] = 1;
	w->fsm[0].by_reason[VRRP_REASON_HEALTH_TAKEOVER] = 1;
	w->io[0] = (struct vrrp_instance_stats){ .rx_packets = 7, .rx_adverts = 5, .tx_adverts = 1234,
						 .garp_sent = 10 };
	w->io[0].rx_drops[VRRP_DROP_TTL] = 2;
	w->io[0].rx_sock_drops[VRRP_SOCK_DROP_SHORT] = 1;
	w->db = (struct dbrole_stats){ .polls = 300, .read_only_set = 2, .gates_opened = 1,
				       .epochs_written = 1, .witness_probes = 3,
				       .witness_served = 2 };
	w->si[0] = (struct status_instance){
		.conf = &w->ci[0], .state = VRRP_STATE_MASTER, .priority = 150,
		.last_reason = VRRP_REASON_HEALTH_TAKEOVER, .last_change_ms = NOW - 62500,
		.primary = ip("198.18.0.11"), .master = &w->peer[0], .master_adver_ms = 200,
		.skew_ms = 82, .master_down_ms = 682, .n_held = 1, .fsm = &w->fsm[0],
		.io = &w->io[0], .role = true, .db_mode = DBROLE_WRITABLE, .db_eligible = true,
		.db_reason = "primary (writable)", .db_epoch = 5, .db_stats = &w->db,
		.fsm_eligible = true,
	};
	snprintf(w->si[0].explain, sizeof(w->si[0].explain), "priority 150 = 150, all checks ok");
	w->si[0].held[0] = (struct status_vip){ .addr = ip("198.18.0.100"), .prefix = 24 };

	w->peer[1] = (struct vrrp_fsm_peer){ .known = true, .priority = 200, .interval_ms = 1000,
					     .addr = { .len = 4, .bytes = { 198, 18, 0, 12 } },
					     .heard_ms = NOW - 300 };
	w->fsm[1].transitions = 1;
	w->fsm[1].by_reason[VRRP_REASON_STARTUP] = 1;
	w->si[1] = (struct status_instance){
		.conf = &w->ci[1], .state = VRRP_STATE_BACKUP, .priority = 95,
		.faults = 0, .last_reason = VRRP_REASON_STARTUP, .last_change_ms = NOW - 4000000,
		.primary = ip("198.18.1.11"), .master = &w->peer[1], .master_adver_ms = 1000,
		.skew_ms = 609, .master_down_ms = 3609, .fsm = &w->fsm[1], .io = &w->io[1],
	};
	snprintf(w->si[1].explain, sizeof(w->si[1].explain),
		 "priority 95 = 100 - 5 (lag degraded)");

	check_result_set(&w->res[0], CHECK_OK, "SELECT 1 in 0.10 ms");
	w->res[0].value = 104;
	w->res[0].duration_ms = 1;
	check_result_set(&w->res[1], CHECK_FAILED, "lag 45000 ms (critical 30000 ms)");
	w->res[1].value = 45000;
	w->res[1].duration_ms = 3;
	w->res[1].definite = true;
	w->cs[0] = (struct check_stats){ .probes = 40, .by_status = { 40, 0, 0 } };
	w->cs[1] = (struct check_stats){ .probes = 9, .timeouts = 1, .by_status = { 7, 1, 1 } };
	w->chk[0] = (struct health_check_info){
		.conf = &w->cc[0], .tracked = true, .last = &w->res[0], .level = CHECK_OK,
		.consecutive = 40, .last_result_ms = NOW - 150, .last_change_ms = NOW - 8000,
		.stats = &w->cs[0],
	};
	w->chk[1] = (struct health_check_info){
		.conf = &w->cc[1], .tracked = true, .last = &w->res[1], .level = CHECK_DEGRADED,
		.penalty = 5, .consecutive = 1, .last_result_ms = NOW - 700,
		.last_change_ms = NOW - 700, .stats = &w->cs[1],
	};
	w->chk[2] = (struct health_check_info){ .conf = &w->cc[2] };
	w->ctl = (struct control_stats){ .accepted = 4, .requests = 3, .malformed = 1 };
	w->v = (struct status_view){
		.router_id = "h1", .pid = 4242, .now_ms = NOW, .started_ms = NOW - 125000,
		.instances = w->si, .n_instances = 2, .checks = w->chk, .n_checks = 3,
		.control = &w->ctl,
	};
}

/* The line of text that starts with prefix (after blanks), or fail. */
static const char *line_of(const char *text, const char *prefix)
{
	static char line[512];
	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;
		while (*q == ' ')
			q++;
		if (strncmp(q, prefix, strlen(prefix)) == 0 && len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			return line;
		}
		p = e ? e + 1 : NULL;
	}
	fail_msg("no line starting with '%s' in:\n%s", prefix, text);
	return NULL;
}

/* Every word of want appears in line, in that order, separated by blanks. */
static void assert_columns(const char *line, const char *const *want)
{
	const char *p = line;
	for (size_t i = 0; want[i]; i++) {
		const char *q = strstr(p, want[i]);
		if (!q)
			fail_msg("'%s' not found (in order) in: %s", want[i], line);
		p = q + strlen(want[i]);
	}
}

static void test_text(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	char *t = status_render_text(&w.v);
	assert_non_null(t);
	assert_non_null(strstr(t, "vigild h1, pid 4242, up 2m05s\n"));
	assert_columns(line_of(t, "INSTANCE"),
		       (const char *const[]){ "INSTANCE", "INTERFACE", "VRID", "STATE", "PRIO", "BASE",
					      "MASTER", "VIPS HELD", "LAST CHANGE", NULL });
	assert_columns(line_of(t, "writer"),
		       (const char *const[]){ "writer", "eth0", "51", "MASTER", "150", "150",
					      "this node", "198.18.0.100/24",
					      "1m02s ago (health-takeover)", NULL });
	assert_columns(line_of(t, "reader"),
		       (const char *const[]){ "reader", "eth1", "52", "BACKUP", "95", "100",
					      "198.18.0.12 (200)", "-", "1h06m ago (startup)", NULL });
	/* Columns line up: the state column starts at the same offset. */
	const char *head = strstr(t, "INSTANCE");
	size_t col = (size_t)(strstr(head, "STATE") - head);
	const char *row = strstr(t, "\nwriter") + 1;
	assert_memory_equal(row + col, "MASTER", 6);

	assert_columns(line_of(t, "ping"),
		       (const char *const[]){ "ping", "mysql_ping", "ok", "ok", "0.10 ms", "1 ms", "40",
					      "0 of 60", "8.0 s ago", "SELECT 1 in 0.10 ms", NULL });
	assert_columns(line_of(t, "lag "),
		       (const char *const[]){ "lag", "mysql_replication", "failed", "degraded",
					      "lag 45000 ms", "3 ms", "1", "5 of 50", "700 ms ago",
					      "lag 45000 ms (critical 30000 ms)", NULL });
	assert_columns(line_of(t, "spare"),
		       (const char *const[]){ "spare", "tcp", "-", "not run: no instance tracks it",
					      NULL });

	assert_non_null(strstr(t, "\ninstance writer (VRRPv3, vrid 51 on eth0, address 198.18.0.11)\n"));
	assert_columns(line_of(t, "priority     150"),
		       (const char *const[]){ "150: priority 150 = 150, all checks ok", NULL });
	assert_columns(line_of(t, "timers"),
		       (const char *const[]){ "advertisement 200 ms (master's 200 ms), skew 82 ms, master down 682 ms",
					      NULL });
	assert_columns(line_of(t, "adverts"),
		       (const char *const[]){ "sent 1234, received 5 (7 packets), gratuitous ARP 10",
					      NULL });
	assert_columns(line_of(t, "transitions  2"),
		       (const char *const[]){ "2: startup 1, health-takeover 1", NULL });
	assert_columns(line_of(t, "drops        short"),
		       (const char *const[]){ "short 1, ttl 2", NULL });
	assert_columns(line_of(t, "data safety"),
		       (const char *const[]){ "writable, eligible: primary (writable), epoch 5", NULL });
	assert_columns(line_of(t, "polls"),
		       (const char *const[]){ "polls 300 (0 failed), read_only set 2", NULL });
	assert_columns(line_of(t, "witness"),
		       (const char *const[]){ "probes 3 (2 found the VIP served)", NULL });
	assert_non_null(strstr(t, "\ninstance reader (VRRPv2, vrid 52 on eth1, address 198.18.1.11)\n"));
	assert_columns(line_of(t, "master       198.18.0.12"),
		       (const char *const[]){ "198.18.0.12 priority 200, heard 300 ms ago", NULL });
	assert_columns(line_of(t, "drops        none"), (const char *const[]){ "none", NULL });
	assert_non_null(strstr(t, "\ncontrol socket: 3 requests, 1 malformed, 0 timed out\n"));
	/* reader has no data safety: no such lines for it. */
	assert_null(strstr(strstr(t, "instance reader"), "data safety"));
	free(t);
}

static void test_text_fault_and_durations(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	w.si[1].state = VRRP_STATE_FAULT;
	w.si[1].faults = VRRP_FAULT_LINK | VRRP_FAULT_CHECK;
	w.si[1].master = &w.peer[0]; /* not known */
	w.si[1].last_change_ms = NOW - 3 * 86400000u - 5 * 3600000u;
	w.si[0].last_reason = VRRP_REASON_NONE;
	w.v.started_ms = NOW - 12345;
	w.v.control = NULL;
	w.v.n_checks = 0;
	char *t = status_render_text(&w.v);
	assert_non_null(t);
	assert_non_null(strstr(t, "up 12.3 s\n"));
	assert_columns(line_of(t, "writer"), (const char *const[]){ "198.18.0.100/24", "-", NULL });
	assert_columns(line_of(t, "reader"),
		       (const char *const[]){ "FAULT", "-", "3d05h ago (startup)", NULL });
	assert_columns(line_of(t, "fault"), (const char *const[]){ "link, fatal check", NULL });
	assert_columns(line_of(t, "master       none"), (const char *const[]){ "none heard", NULL });
	assert_null(strstr(t, "CHECK"));
	assert_null(strstr(t, "control socket"));
	free(t);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_object *get(json_object *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_object *cur = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(cur, json_type_array)) {
			cur = json_object_array_get_idx(cur, (size_t)atoi(k));
		} else {
			json_object *next = NULL;
			if (!json_object_object_get_ex(cur, k, &next))
				fail_msg("no field %s (at %s)", path, k);
			cur = next;
		}
	}
	return cur;
}

static void assert_jstr(json_object *o, const char *path, const char *want)
{
	json_object *v = get(o, path);
	if (!json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string", path);
	if (strcmp(json_object_get_string(v), want) != 0)
		fail_msg("%s: got '%s', want '%s'", path, json_object_get_string(v), want);
}

static void assert_jint(json_object *o, const char *path, int64_t want)
{
	json_object *v = get(o, path);
	if (!json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer", path);
	if (json_object_get_int64(v) != want)
		fail_msg("%s: got %lld, want %lld", path, (long long)json_object_get_int64(v),
			 (long long)want);
}

static void assert_jbool(json_object *o, const char *path, bool want)
{
	json_object *v = get(o, path);
	if (!json_object_is_type(v, json_type_boolean) || json_object_get_boolean(v) != want)
		fail_msg("%s: want %s", path, want ? "true" : "false");
}

static void assert_jnull(json_object *o, const char *path)
{
	if (get(o, path) != NULL)
		fail_msg("%s: want null", path);
}

static void test_json(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	char *s = status_render_json(&w.v);
	assert_non_null(s);
	assert_int_equal(s[strlen(s) - 1], '\n');
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);

	assert_jstr(o, "routerId", "h1");
	assert_jint(o, "pid", 4242);
	assert_jint(o, "uptimeMs", 125000);
	assert_int_equal(json_object_array_length(get(o, "instances")), 2);

	/* The master, with FRR's field names. */
	assert_jstr(o, "instances.0.name", "writer");
	assert_jstr(o, "instances.0.interface", "eth0");
	assert_jint(o, "instances.0.vrid", 51);
	assert_jint(o, "instances.0.version", 3);
	assert_jstr(o, "instances.0.state", "MASTER");
	assert_jint(o, "instances.0.priority", 150);
	assert_jint(o, "instances.0.effectivePriority", 150);
	assert_jstr(o, "instances.0.priorityExplained", "priority 150 = 150, all checks ok");
	assert_jbool(o, "instances.0.preemptMode", true);
	assert_jstr(o, "instances.0.primaryAddress", "198.18.0.11");
	assert_int_equal(json_object_array_length(get(o, "instances.0.faults")), 0);
	assert_jstr(o, "instances.0.lastTransition.reason", "health-takeover");
	assert_jint(o, "instances.0.lastTransition.agoMs", 62500);
	assert_jbool(o, "instances.0.master.self", true);
	assert_jstr(o, "instances.0.master.address", "198.18.0.11");
	assert_jint(o, "instances.0.master.priority", 150);
	assert_jstr(o, "instances.0.addresses.0", "198.18.0.100/24");
	assert_jstr(o, "instances.0.vipsHeld.0", "198.18.0.100/24");
	assert_jint(o, "instances.0.advertisementInterval", 200);
	assert_jint(o, "instances.0.masterAdverInterval", 200);
	assert_jint(o, "instances.0.skewTime", 82);
	assert_jint(o, "instances.0.masterDownInterval", 682);
	assert_jint(o, "instances.0.stats.adverTx", 1234);
	assert_jint(o, "instances.0.stats.adverRx", 5);
	assert_jint(o, "instances.0.stats.garpTx", 10);
	assert_jint(o, "instances.0.stats.transitions", 2);
	assert_jint(o, "instances.0.stats.transitionsByReason.health-takeover", 1);
	assert_jint(o, "instances.0.stats.transitionsByReason.master-down-timer", 0);
	assert_jint(o, "instances.0.stats.rxPackets", 7);
	assert_jint(o, "instances.0.stats.drops.ttl", 2);
	assert_jint(o, "instances.0.stats.drops.csum", 0);
	assert_jint(o, "instances.0.stats.socketDrops.short", 1);
	assert_jbool(o, "instances.0.dataSafety.manageReadOnly", true);
	assert_jstr(o, "instances.0.dataSafety.mode", "writable");
	assert_jbool(o, "instances.0.dataSafety.eligible", true);
	assert_jstr(o, "instances.0.dataSafety.eligibilityReason", "primary (writable)");
	assert_jint(o, "instances.0.dataSafety.epoch", 5);
	assert_jint(o, "instances.0.dataSafety.stats.polls", 300);
	assert_jint(o, "instances.0.dataSafety.stats.gatesOpened", 1);
	assert_jint(o, "instances.0.dataSafety.stats.witnessServed", 2);

	/* The backup hears its master. */
	assert_jstr(o, "instances.1.state", "BACKUP");
	assert_jint(o, "instances.1.effectivePriority", 95);
	assert_jbool(o, "instances.1.master.self", false);
	assert_jstr(o, "instances.1.master.address", "198.18.0.12");
	assert_jint(o, "instances.1.master.priority", 200);
	assert_jint(o, "instances.1.master.heardAgoMs", 300);
	assert_int_equal(json_object_array_length(get(o, "instances.1.vipsHeld")), 0);
	assert_jnull(o, "instances.1.dataSafety");

	/* Checks. */
	assert_int_equal(json_object_array_length(get(o, "checks")), 3);
	assert_jstr(o, "checks.0.name", "ping");
	assert_jstr(o, "checks.0.type", "mysql_ping");
	assert_jstr(o, "checks.0.status", "ok");
	assert_jstr(o, "checks.0.level", "ok");
	assert_jint(o, "checks.0.value", 104);
	assert_jstr(o, "checks.0.valueUnit", "us");
	assert_jint(o, "checks.0.latencyMs", 1);
	assert_jint(o, "checks.0.consecutive", 40);
	assert_jint(o, "checks.0.penalty", 60);
	assert_jint(o, "checks.0.penaltyApplied", 0);
	assert_jint(o, "checks.0.lastChangeAgoMs", 8000);
	assert_jint(o, "checks.0.stats.probes", 40);
	assert_jint(o, "checks.0.stats.ok", 40);
	assert_jstr(o, "checks.1.status", "failed");
	assert_jbool(o, "checks.1.definite", true);
	assert_jstr(o, "checks.1.level", "degraded");
	assert_jstr(o, "checks.1.valueUnit", "ms");
	assert_jint(o, "checks.1.penaltyApplied", 5);
	assert_jint(o, "checks.1.degradedPenalty", 5);
	assert_jstr(o, "checks.1.detail", "lag 45000 ms (critical 30000 ms)");
	assert_jint(o, "checks.1.stats.timeouts", 1);
	assert_jbool(o, "checks.2.tracked", false);
	assert_jnull(o, "checks.2.status");
	assert_jnull(o, "checks.2.level");
	assert_jnull(o, "checks.2.lastChangeAgoMs");
	assert_jnull(o, "checks.2.stats");

	assert_jint(o, "control.requests", 3);
	assert_jint(o, "control.malformed", 1);
	json_object_put(o);
	free(s);
}

/* vigilctl resign: the table, the details and the JSON say so; an
 * instance that is not resigned says false. */
static void test_resigned(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	w.si[0].state = VRRP_STATE_BACKUP;
	w.si[0].resigned = true;
	w.si[0].resigned_ms = NOW - 95000;
	w.si[0].handover_pending = true;
	w.fsm[0].resigns_unanswered = 1;
	char *t = status_render_text(&w.v);
	assert_non_null(t);
	assert_columns(line_of(t, "writer"),
		       (const char *const[]){ "writer", "eth0", "51", "BACKUP (resigned)", "150", NULL });
	assert_columns(line_of(t, "resigned     "),
		       (const char *const[]){ "1m35s ago by vigilctl resign: stays BACKUP until vigilctl resume writer",
					      "(handed over, no new master heard yet)", NULL });
	assert_null(strstr(strstr(t, "instance reader"), "resigned"));
	free(t);

	char *s = status_render_json(&w.v);
	assert_non_null(s);
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);
	assert_jbool(o, "instances.0.resigned", true);
	assert_jbool(o, "instances.0.resigning", false);
	assert_jint(o, "instances.0.resignedAgoMs", 95000);
	assert_jbool(o, "instances.0.handoverPending", true);
	assert_jint(o, "instances.0.stats.resignsUnanswered", 1);
	assert_jbool(o, "instances.1.resigned", false);
	assert_jnull(o, "instances.1.resignedAgoMs");
	json_object_put(o);
	free(s);

	/* A master carrying out its resign (the server made read-only first). */
	build(&w);
	w.si[0].resigning = true;
	t = status_render_text(&w.v);
	assert_non_null(t);
	assert_columns(line_of(t, "writer"), (const char *const[]){ "MASTER (resigning)", NULL });
	assert_columns(line_of(t, "resigned     "),
		       (const char *const[]){ "resigning: the server is made read-only, then priority 0", NULL });
	free(t);
}

/* Strings are escaped by json-c, never pasted: a detail with quotes,
 * backslashes and control bytes still parses back to itself. */
/* A VIP the kernel would not add: counters, the retry due, the hold-down
 * left; nothing about it while all is well. */
static void test_vip_faults(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	char *t = status_render_text(&w.v);
	assert_non_null(t);
	assert_null(strstr(t, "VIP faults"));
	free(t);
	char *s = status_render_json(&w.v);
	assert_non_null(s);
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);
	assert_jbool(o, "instances.0.vipMissing", false);
	assert_jnull(o, "instances.0.vipHoldDownMs");
	assert_jint(o, "instances.0.stats.vipAddFailures", 0);
	json_object_put(o);
	free(s);

	w.si[0].state = VRRP_STATE_BACKUP;
	w.si[0].vip_add_failures = 6;
	w.si[0].vip_added_on_retry = 1;
	w.si[0].vip_handovers = 3;
	w.si[0].vip_hold_until_ms = NOW + 1364;
	w.si[1].vip_missing = true;
	w.si[1].vip_add_failures = 1;
	t = status_render_text(&w.v);
	assert_non_null(t);
	assert_non_null(strstr(t, "  VIP faults   add failures 6, added on retry 1, handed over 3; priority held at 1 for 1.3 s\n"));
	assert_non_null(strstr(t, "  VIP faults   add failures 1, added on retry 0, handed over 0; MASTER without its VIP now, retrying\n"));
	free(t);
	s = status_render_json(&w.v);
	assert_non_null(s);
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_jint(o, "instances.0.stats.vipAddFailures", 6);
	assert_jint(o, "instances.0.stats.vipAddedOnRetry", 1);
	assert_jint(o, "instances.0.stats.vipHandovers", 3);
	assert_jint(o, "instances.0.vipHoldDownMs", 1364);
	assert_jbool(o, "instances.1.vipMissing", true);
	json_object_put(o);
	free(s);
}

static void test_json_escaping(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	static const char nasty[] = "a \"quoted\" \\path\\ with\ttab and \x01 and /slash";
	snprintf(w.res[0].detail, sizeof(w.res[0].detail), "%s", nasty);
	w.v.router_id = "h\"1";
	w.v.control = NULL;
	char *s = status_render_json(&w.v);
	assert_non_null(s);
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);
	assert_jstr(o, "checks.0.detail", nasty);
	assert_jstr(o, "routerId", "h\"1");
	assert_jnull(o, "control");
	json_object_put(o);
	free(s);
}

/* The receiver an interface shares among its instances: shown once per
 * interface (both instances here are on eth0), in the text and the JSON
 * ("interfaces"), with the datagrams no instance had (drops.vrid). */
static void test_interfaces(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	struct vrrp_demux_stats port = { .rx_packets = 1000, .rx_dispatched = 990, .rx_wrong_if = 1 };
	port.rx_drops[VRRP_DROP_VRID] = 8;
	port.rx_sock_drops[VRRP_SOCK_DROP_SHORT] = 2;
	w.ci[1].interface = "eth0";
	w.si[0].port_io = &port;
	w.si[1].port_io = &port;

	char *t = status_render_text(&w.v);
	assert_non_null(t);
	const char *line = "  eth0         1000 datagrams, 990 adverts handed on; drops short 2, vrid 8, "
			   "wrong-interface 1\n";
	const char *at = strstr(t, line);
	if (!at)
		fail_msg("no line '%s' in:\n%s", line, t);
	assert_null(strstr(at + 1, "  eth0         1000"));
	free(t);

	char *s = status_render_json(&w.v);
	assert_non_null(s);
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(get(o, "interfaces")), 1);
	assert_jstr(o, "interfaces.0.interface", "eth0");
	assert_jint(o, "interfaces.0.instances", 2);
	assert_jint(o, "interfaces.0.rxPackets", 1000);
	assert_jint(o, "interfaces.0.rxDispatched", 990);
	assert_jint(o, "interfaces.0.drops.vrid", 8);
	assert_jint(o, "interfaces.0.drops.ttl", 0);
	assert_jint(o, "interfaces.0.socketDrops.short", 2);
	assert_jint(o, "interfaces.0.rxWrongInterface", 1);
	json_object_put(o);
	free(s);

	/* Without a socket (no port), no entry. */
	w.si[0].port_io = NULL;
	w.si[1].port_io = NULL;
	s = status_render_json(&w.v);
	assert_non_null(s);
	o = json_tokener_parse(s);
	assert_int_equal(json_object_array_length(get(o, "interfaces")), 0);
	json_object_put(o);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_fault_and_durations),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_resigned),
		cmocka_unit_test(test_vip_faults),
		cmocka_unit_test(test_interfaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
