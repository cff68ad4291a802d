/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the configuration loader and validator (agent/config*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_host.h"
#include "config_expect.h"
#include "test_util.h"

/* The first four lines of most test texts: a valid minimal instance. */
#define BASE "[instance a]\ninterface = eth0\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n"
/* A tracked tcp check, to append to BASE. */
#define TRACKED_TCP "track = c\n[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 3306\n"
/* BASE tracking a mysql_ping check p (line 5); instance keys follow from
 * line 6, then PING closes the text with the check's section. */
#define BASE_P BASE "track = p\n"
#define PING "[check p]\ntype = mysql_ping\nhost = 127.0.0.1\n"

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- good configurations ------------------------------------------- */

static void test_defaults(void **state)
{
	struct loaded l;
	char host[256] = "";

	(void)state;
	load(&l, BASE "track = p\n[check p]\ntype = mysql_ping\nhost = 127.0.0.1\n"
		 "[check r]\ntype = mysql_replication\nsocket = /run/mysqld/mysqld.sock\n"
		 "[check s]\ntype = script\ncommand = /bin/true\n");
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_non_null(l.cfg);
	const struct vigil_config *c = l.cfg;

	gethostname(host, sizeof(host) - 1);
	assert_string_equal(c->source, "t.ini");
	assert_string_equal(c->global.router_id, host);
	assert_string_equal(c->global.control_socket, "/run/vigil/vigil.sock");
	assert_null(c->global.mysql_defaults_file);
	assert_int_equal(c->global.log_level, CONFIG_LOG_INFO);
	assert_int_equal(c->n_instances, 1);
	const struct config_instance *in = &c->instances[0];
	assert_string_equal(in->name, "a");
	assert_string_equal(in->interface, "eth0");
	assert_int_equal(in->vrid, 1);
	assert_int_equal(in->priority, 100);
	assert_int_equal(in->version, 3);
	assert_int_equal(in->advert_interval_ms, 200);
	assert_int_equal(in->checksum, CONFIG_CHECKSUM_AUTO);
	assert_int_equal(in->n_vips, 1);
	assert_int_equal(in->vips[0].prefix_len, 24);
	assert_int_equal(in->vips[0].line, 4);
	assert_true(in->preempt);
	assert_int_equal(in->preempt_delay_ms, 0);
	assert_int_equal(in->resign_below, 0);
	assert_true(in->health_takeover);
	assert_int_equal(in->n_peers, 0);
	assert_int_equal(in->n_track, 1);
	assert_int_equal(in->track_index[0], 0);
	assert_null(in->notify.argv);
	assert_null(in->notify_master.argv);
	assert_null(in->notify_stop.raw);
	assert_null(in->notify_alarm.raw);
	assert_int_equal(in->notify_timeout_ms, 10000);
	assert_int_equal(in->auth_type, CONFIG_AUTH_NONE);
	assert_int_equal(in->garp_master_repeat, 5);
	assert_int_equal(in->garp_master_delay_ms, 5000);
	assert_int_equal(in->garp_master_refresh_ms, 0);
	assert_int_equal(in->garp_master_refresh_repeat, 1);
	assert_int_equal(in->garp_interval_ms, 100);
	assert_int_equal(in->origin.section_line, 1);
	assert_int_equal(config_key_line(&in->origin, "vrid"), 3);
	assert_int_equal(config_key_line(&in->origin, "priority"), 1);  /* default: header */

	assert_int_equal(c->n_checks, 3);
	const struct config_check *p = &c->checks[0];
	assert_string_equal(p->name, "p");
	assert_int_equal(p->type, CONFIG_CHECK_MYSQL_PING);
	assert_string_equal(p->host, "127.0.0.1");
	assert_int_equal(p->host_family, AF_INET);
	assert_int_equal(p->port, 3306);
	assert_null(p->socket);
	assert_int_equal(p->interval_ms, 200);
	assert_int_equal(p->timeout_ms, 500);
	assert_int_equal(p->rise, 2);
	assert_int_equal(p->fall, 2);
	assert_int_equal(p->penalty, 100);
	assert_int_equal(p->degraded_penalty, 10);
	assert_false(p->fatal);
	assert_int_equal(p->slow_ms, 50);
	assert_string_equal(p->query, "SELECT 1");
	assert_int_equal(p->connect_interval_ms, 5000);
	assert_int_equal(p->n_tracked_by, 1);
	const struct config_check *r = &c->checks[1];
	assert_int_equal(r->type, CONFIG_CHECK_MYSQL_REPLICATION);
	assert_null(r->host);
	assert_string_equal(r->socket, "/run/mysqld/mysqld.sock");
	assert_int_equal(r->warn_lag_ms, 5000);
	assert_int_equal(r->crit_lag_ms, 30000);
	assert_null(r->heartbeat_table);
	const struct config_check *s = &c->checks[2];
	assert_int_equal(s->type, CONFIG_CHECK_SCRIPT);
	assert_int_equal(s->command.argc, 1);
	assert_string_equal(s->command.argv[0], "/bin/true");
	assert_null(s->command.argv[1]);
	/* r and s are tracked by nobody: warnings, not errors */
	assert_true(has(&l.diag, CONFIG_WARNING, 9, "check 'r' is not tracked"));
	assert_true(has(&l.diag, CONFIG_WARNING, 12, "check 's' is not tracked"));
	assert_int_equal(l.diag.errors, 0);
	unload(&l);
}

static void test_full_roundtrip(void **state)
{
	static const char text[] =
		"; a comment\n"
		"# another\n"
		"[global]\n"
		"router_id = db1 ; inline comment\n"
		"control_socket = /tmp/v.sock\n"
		"mysql_defaults_file = /etc/vigil/client.cnf\n"
		"[instance writer]\n"
		"interface = veth0\n"
		"vrid = 51\n"                                            /* 9 */
		"priority = 150\n"
		"version = 3\n"
		"advert_interval = 1s\n"
		"checksum = rfc9568\n"
		"virtual_ip = 198.18.0.100/24, 198.18.0.101/32\n"
		"virtual_ip = 198.18.0.102/16\n"                         /* 15 */
		"preempt = no\n"
		"preempt_delay = 1.5s\n"
		"resign_below = 90\n"
		"health_takeover = no\n"
		"unicast_peer = 198.18.0.2,198.18.0.3\n"                 /* 20 */
		"track = ping\n"
		"track = lag\n"
		"notify = /etc/vigil/notify.sh \"two words\" x\"y z\"w\n"
		"notify_master = /bin/echo master\n"
		"notify_backup = /bin/echo backup\n"
		"notify_fault = /bin/echo fault\n"
		"notify_stop = /bin/echo stop\n"
		"notify_timeout = 3s\n"
		"garp_master_repeat = 3\n"
		"garp_interval = 0\n"                                    /* 30 */
		"garp_master_delay = 0s\n"
		"garp_master_refresh = 60s\n"
		"garp_master_refresh_repeat = 2\n"
		"[instance v2]\n"
		"interface = veth0\n"
		"vrid = 52\n"
		"priority = 255\n"
		"version = 2\n"
		"advert_interval = 3\n"
		"auth_type = pass\n"                                     /* 40 */
		"auth_pass = 12345678\n"
		"virtual_ip = 198.18.0.200/24\n"
		"[check ping]\n"
		"type = mysql_ping\n"
		"host = ::1\n"
		"port = 3307\n"
		"interval = 100ms\n"
		"timeout = 300ms\n"
		"rise = 3\n"
		"fall = 1\n"                                             /* 50 */
		"penalty = 60\n"
		"degraded_penalty = 20\n"
		"fatal = yes\n"
		"slow = 20ms\n"
		"query = SELECT 1 FROM dual\n"
		"connect_interval = 1s\n"
		"[check lag]\n"
		"type = mysql_replication\n"
		"host = 127.0.0.1\n"
		"warn_lag = 2s\n"                                        /* 60 */
		"crit_lag = 10s\n"
		"heartbeat_table = percona.heartbeat\n"
		"penalty = 5\n";
	struct loaded l;
	char buf[INET_ADDRSTRLEN];

	(void)state;
	load(&l, text);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	const struct vigil_config *c = l.cfg;
	assert_string_equal(c->global.router_id, "db1");
	assert_string_equal(c->global.control_socket, "/tmp/v.sock");
	assert_string_equal(c->global.mysql_defaults_file, "/etc/vigil/client.cnf");
	assert_int_equal(config_key_line(&c->global.origin, "router_id"), 4);
	assert_int_equal(c->n_instances, 2);
	const struct config_instance *w = &c->instances[0];
	assert_int_equal(w->vrid, 51);
	assert_int_equal(w->priority, 150);
	assert_int_equal(w->advert_interval_ms, 1000);
	assert_int_equal(w->checksum, CONFIG_CHECKSUM_RFC9568);
	assert_int_equal(w->n_vips, 3);
	assert_string_equal(ip(w->vips[0].addr, buf), "198.18.0.100");
	assert_int_equal(w->vips[0].prefix_len, 24);
	assert_string_equal(ip(w->vips[1].addr, buf), "198.18.0.101");
	assert_int_equal(w->vips[1].prefix_len, 32);
	assert_string_equal(ip(w->vips[2].addr, buf), "198.18.0.102");
	assert_int_equal(w->vips[2].prefix_len, 16);
	assert_int_equal(w->vips[2].line, 15);
	assert_false(w->preempt);
	assert_int_equal(w->preempt_delay_ms, 1500);
	assert_int_equal(w->resign_below, 90);
	assert_false(w->health_takeover);
	assert_int_equal(w->n_peers, 2);
	assert_string_equal(ip(w->peers[1].addr, buf), "198.18.0.3");
	assert_int_equal(w->peers[1].line, 20);
	assert_int_equal(w->n_track, 2);
	assert_string_equal(w->track[1], "lag");
	assert_int_equal(w->track_index[1], 1);
	assert_int_equal(w->track_lines[1], 22);
	assert_string_equal(w->notify.raw, "/etc/vigil/notify.sh \"two words\" x\"y z\"w");
	assert_int_equal(w->notify.argc, 3);
	assert_string_equal(w->notify.argv[0], "/etc/vigil/notify.sh");
	assert_string_equal(w->notify.argv[1], "two words");
	assert_string_equal(w->notify.argv[2], "xy zw");
	assert_null(w->notify.argv[3]);
	assert_int_equal(w->notify.line, 23);
	assert_string_equal(w->notify_master.argv[1], "master");
	assert_string_equal(w->notify_backup.argv[1], "backup");
	assert_string_equal(w->notify_fault.argv[1], "fault");
	assert_string_equal(w->notify_stop.argv[1], "stop");
	assert_int_equal(w->notify_timeout_ms, 3000);
	assert_int_equal(w->garp_master_repeat, 3);
	assert_int_equal(w->garp_interval_ms, 0);
	assert_int_equal(w->garp_master_delay_ms, 0);
	assert_int_equal(w->garp_master_refresh_ms, 60000);
	assert_int_equal(w->garp_master_refresh_repeat, 2);
	const struct config_instance *v2 = &c->instances[1];
	assert_int_equal(v2->priority, 255);
	assert_int_equal(v2->version, 2);
	assert_int_equal(v2->advert_interval_ms, 3000);
	assert_int_equal(v2->auth_type, CONFIG_AUTH_PASS);
	assert_string_equal(v2->auth_pass, "12345678");
	const struct config_check *p = &c->checks[0];
	assert_string_equal(p->host, "::1");
	assert_int_equal(p->host_family, AF_INET6);
	assert_int_equal(p->port, 3307);
	assert_int_equal(p->interval_ms, 100);
	assert_int_equal(p->timeout_ms, 300);
	assert_int_equal(p->rise, 3);
	assert_int_equal(p->fall, 1);
	assert_int_equal(p->penalty, 60);
	assert_int_equal(p->degraded_penalty, 20);
	assert_true(p->fatal);
	assert_int_equal(p->slow_ms, 20);
	assert_string_equal(p->query, "SELECT 1 FROM dual");
	assert_int_equal(p->connect_interval_ms, 1000);
	const struct config_check *g = &c->checks[1];
	assert_int_equal(g->warn_lag_ms, 2000);
	assert_int_equal(g->crit_lag_ms, 10000);
	assert_string_equal(g->heartbeat_table, "percona.heartbeat");
	assert_int_equal(g->penalty, 5);
	assert_int_equal(g->degraded_penalty, 5);  /* default 10 capped at penalty */
	assert_int_equal(config_find_check(c, "lag"), 1);
	assert_int_equal(config_find_check(c, "nope"), -1);
	assert_int_equal(l.diag.errors, 0);
	unload(&l);
}

static void test_v2_default_interval(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, BASE "version = 2\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.cfg->instances[0].advert_interval_ms, 1000);
	unload(&l);
}

/* ---- syntax errors ------------------------------------------------- */

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error(BASE "[foo]\n", 5, "unknown section [foo]");
	expect_error(BASE "[instance]\n", 5, "is not a valid name");
	expect_error(BASE "[global x]\n", 5, "unknown section [global x]");
	expect_error(BASE "[check bad/name]\n", 5, "is not a valid name");
	expect_error(BASE "[instance b\n", 5, "section header without ']'");
	expect_error(BASE "[instance b] junk\n", 5, "unexpected text after ']'");
	expect_error(BASE "garbage line\n", 5, "expected 'key = value'");
	{
		/* keys under a bad header are not blamed on the section above */
		struct loaded l;

		load(&l, BASE "[instance b\nvrid = 2\n[instance c] x\nvrid = 3\n");
		dump(&l.diag);
		assert_int_equal(l.rc, -EINVAL);
		assert_true(has(&l.diag, CONFIG_ERROR, 5, "section header without ']'"));
		assert_true(has(&l.diag, CONFIG_ERROR, 7, "unexpected text after ']'"));
		assert_int_equal(l.diag.errors, 2);
		unload(&l);
	}
	expect_error("x = 1\n" BASE, 1, "key 'x' is outside any section");
	expect_error(BASE "bogus = 1\n", 5, "unknown key 'bogus' in [instance a]");
	expect_error("[global]\nvrid = 1\n" BASE, 2, "unknown key 'vrid' in [global]");
	expect_error(BASE "vrid = 2\n", 5, "key 'vrid' given twice in [instance a] (first at line 3)");
	expect_error(BASE "interface = eth1\n", 5, "key 'interface' given twice");
	expect_error(BASE "[instance a]\n", 5, "duplicate section [instance a] (first at line 1)");
	expect_error("[global]\n[global]\n" BASE, 2, "duplicate section [global] (first at line 1)");
	expect_error(BASE "[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n[check c]\n", 9,
		     "duplicate section [check c] (first at line 5)");
	expect_error("", 1, "no [instance NAME] section");
	expect_error("[global]\nrouter_id = x\n", 1, "no [instance NAME] section");
}

static void test_continuation_refused(void **state)
{
	(void)state;
	/* inih would append "eth1" to interface: refused, at the indented line */
	expect_error(BASE "notify = /bin/true\n  extra\n", 6,
		     "indented line continues the value of 'notify'");
	expect_error("[instance a]\ninterface = eth0\n\tvrid = 1\nvirtual_ip = 198.18.0.10/24\n", 3,
		     "indented line continues the value of 'interface'");
}

static void test_continuation_allowed_cases(void **state)
{
	struct loaded l;

	(void)state;
	/* an indented first key of a section and indented comments are fine */
	load(&l, "[instance a]\n  interface = eth0\n  ; comment\nvrid = 1\n"
		 "virtual_ip = 198.18.0.10/24 ; c;not\n");
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.cfg->instances[0].interface, "eth0");
	unload(&l);
	/* ';' without a blank before it is part of the value; so is '#' */
	load(&l, BASE "notify = /bin/echo a;b #c\n");
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.cfg->instances[0].notify.raw, "/bin/echo a;b #c");
	unload(&l);
}

static void test_long_line_string(void **state)
{
	char text[1024];
	char longval[300];

	(void)state;
	memset(longval, 'x', 250);
	longval[250] = '\0';
	snprintf(text, sizeof(text), BASE "notify = /bin/%s\nbogus = 1\n", longval);
	expect_error(text, 5, "line is 264 characters long; the limit is 197");
	/* exactly at the limit is fine: 197 characters */
	memset(longval, 'y', 183);
	longval[183] = '\0';
	snprintf(text, sizeof(text), BASE "notify = /bin/%s\n", longval);
	{
		struct loaded l;

		load(&l, text);
		assert_int_equal(strlen("notify = /bin/") + 183, 197);
		assert_int_equal(l.rc, 0);
		assert_int_equal(strlen(l.cfg->instances[0].notify.raw), 5 + 183);
		unload(&l);
	}
	/* 198 with CRLF endings is still too long (\r is not counted) */
	snprintf(text, sizeof(text), "[instance a]\r\nnotify = /bin/%sy\r\n", longval);
	expect_error(text, 2, "line is 198 characters long");
}

/* ---- values -------------------------------------------------------- */

static void test_value_errors(void **state)
{
	(void)state;
	expect_error(BASE "priority = 0\n", 5, "priority: 0 is out of range 1..255");
	expect_error(BASE "priority = 256\n", 5, "priority: 256 is out of range 1..255");
	expect_error(BASE "priority = -1\n", 5, "priority: '-1' is not a number (expected 1..255)");
	expect_error("[instance a]\ninterface = eth0\nvrid = 0\nvirtual_ip = 198.18.0.10/24\n", 3,
		     "vrid: 0 is out of range 1..255");
	expect_error(BASE "version = 4\n", 5, "version: 4 is out of range 2..3");
	expect_error(BASE "resign_below = 255\n", 5, "resign_below: 255 is out of range 0..254");
	expect_error(BASE "preempt_delay = 1001s\n", 5, "preempt_delay: 1001s is out of range 0s..1000s");
	expect_error(BASE "preempt_delay = soon\n", 5, "preempt_delay: 'soon' is not a duration");
	expect_error(BASE "preempt_delay = -1s\n", 5, "is not a duration");
	expect_error(BASE "preempt = maybe\n", 5, "preempt: 'maybe' is not yes or no");
	expect_error(BASE "health_takeover = true\n", 5, "'true' is not yes or no");
	expect_error(BASE "checksum = sometimes\n", 5,
		     "checksum: 'sometimes' is not one of auto | pseudo-header | rfc9568");
	expect_error(BASE "interface = \n", 5, "given twice");
	expect_error("[instance a]\ninterface =\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n", 2,
		     "interface: empty value");
	expect_error("[instance a]\ninterface = averyveryverylongname\nvrid = 1\n"
		     "virtual_ip = 198.18.0.10/24\n", 2, "not a valid interface name");
	expect_error("[global]\ncontrol_socket = run/v.sock\n" BASE, 2, "is not an absolute path");
	expect_error(BASE "garp_master_repeat = 0\n", 5, "garp_master_repeat: 0 is out of range 1..100");
	expect_error(BASE "notify_timeout = 0\n", 5, "notify_timeout: 0 is out of range 100ms..3600s");
}

static void test_log_level(void **state)
{
	static const struct { const char *name; enum config_log_level level; } cases[] = {
		{ "error", CONFIG_LOG_ERROR }, { "warning", CONFIG_LOG_WARNING },
		{ "info", CONFIG_LOG_INFO }, { "debug", CONFIG_LOG_DEBUG },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l;

		snprintf(text, sizeof(text), "[global]\nlog_level = %s\n" BASE, cases[i].name);
		load(&l, text);
		dump(&l.diag);
		assert_int_equal(l.rc, 0);
		assert_int_equal(l.cfg->global.log_level, cases[i].level);
		assert_string_equal(config_log_level_name(l.cfg->global.log_level), cases[i].name);
		assert_int_equal(config_key_line(&l.cfg->global.origin, "log_level"), 2);
		unload(&l);
	}
	expect_error("[global]\nrouter_id = x\nlog_level = verbose\n" BASE, 3,
		     "log_level: 'verbose' is not one of error | warning | info | debug");
	/* names as the levels print, not syslog's or keepalived's spellings */
	expect_error("[global]\nlog_level = warn\n" BASE, 2, "is not one of error | warning");
	expect_error("[global]\nlog_level = INFO\n" BASE, 2, "is not one of error | warning");
	expect_error("[global]\nlog_level =\n" BASE, 2, "log_level");
	expect_error("[global]\nlog_level = info\nlog_level = debug\n" BASE, 3,
		     "key 'log_level' given twice in [global]");
	expect_error(BASE "log_level = debug\n", 5, "unknown key 'log_level' in [instance a]");
}

static void test_metrics_listen(void **state)
{
	struct loaded l;
	char a[INET6_ADDRSTRLEN];

	(void)state;
	/* Off by default. */
	load(&l, BASE);
	assert_int_equal(l.rc, 0);
	assert_null(l.cfg->global.metrics_listen);
	assert_int_equal(l.cfg->global.metrics_addrlen, 0);
	unload(&l);

	load(&l, "[global]\nmetrics_listen = 127.0.0.1:9717\n" BASE);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.cfg->global.metrics_listen, "127.0.0.1:9717");
	assert_int_equal(l.cfg->global.metrics_addrlen, sizeof(struct sockaddr_in));
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&l.cfg->global.metrics_addr;
	assert_int_equal(in4->sin_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 9717);
	assert_string_equal(inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a)), "127.0.0.1");
	unload(&l);

	load(&l, "[global]\nmetrics_listen = [::1]:65535\n" BASE);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.cfg->global.metrics_addrlen, sizeof(struct sockaddr_in6));
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&l.cfg->global.metrics_addr;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 65535);
	assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)), "::1");
	unload(&l);

	load(&l, "[global]\nmetrics_listen = 0.0.0.0:1\n" BASE);
	assert_int_equal(l.rc, 0);
	unload(&l);

	expect_error("[global]\nrouter_id = x\nmetrics_listen = 127.0.0.1\n" BASE, 3,
		     "metrics_listen: '127.0.0.1' has no port (write ADDRESS:PORT, e.g. 127.0.0.1:9717)");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:0\n" BASE, 2,
		     "metrics_listen: '127.0.0.1:0': port must be 1..65535");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:65536\n" BASE, 2, "port must be 1..65535");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:\n" BASE, 2, "port must be 1..65535");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:http\n" BASE, 2, "port must be 1..65535");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:+80\n" BASE, 2, "port must be 1..65535");
	expect_error("[global]\nmetrics_listen = localhost:9717\n" BASE, 2,
		     "metrics_listen: 'localhost' is not an IPv4 address (vigil does no name lookups");
	expect_error("[global]\nmetrics_listen = 300.0.0.1:9717\n" BASE, 2,
		     "'300.0.0.1' is not an IPv4 address");
	expect_error("[global]\nmetrics_listen = ::1:9717\n" BASE, 2,
		     "looks like an IPv6 address without brackets (write e.g. [::1]:9717)");
	expect_error("[global]\nmetrics_listen = [::1]9717\n" BASE, 2,
		     "'[::1]9717' is not [IPV6-ADDRESS]:PORT");
	expect_error("[global]\nmetrics_listen = [::1\n" BASE, 2, "is not [IPV6-ADDRESS]:PORT");
	expect_error("[global]\nmetrics_listen = [127.0.0.1]:9717\n" BASE, 2,
		     "'127.0.0.1' is not an IPv6 address");
	expect_error("[global]\nmetrics_listen = [0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:"
		     "0000:0000]:1\n" BASE,
		     2, "is not an IP address and port");
	expect_error("[global]\nmetrics_listen =\n" BASE, 2, "metrics_listen");
	expect_error("[global]\nmetrics_listen = 127.0.0.1:1\nmetrics_listen = 127.0.0.1:2\n" BASE, 3,
		     "key 'metrics_listen' given twice in [global]");
	expect_error(BASE "metrics_listen = 127.0.0.1:9717\n", 5,
		     "unknown key 'metrics_listen' in [instance a]");
}

static void test_vip_errors(void **state)
{
	(void)state;
	expect_error(BASE "virtual_ip = 198.18.0.11\n", 5, "has no prefix length (write e.g. 198.18.0.11/24)");
	expect_error(BASE "virtual_ip = 198.18.0.11/33\n", 5, "prefix length must be 1..32");
	expect_error(BASE "virtual_ip = 198.18.0.11/0\n", 5, "prefix length must be 1..32");
	expect_error(BASE "virtual_ip = 198.18.0.11/x\n", 5, "prefix length must be 1..32");
	expect_error(BASE "virtual_ip = 300.18.0.11/24\n", 5, "'300.18.0.11' is not an IPv4 or IPv6 address");
	expect_error(BASE "virtual_ip = 198.18.0.11/24,,198.18.0.12/24\n", 5, "empty item in list");
	expect_error(BASE "virtual_ip = 198.18.0.11/24,\n", 5, "empty item in list");
	expect_error(BASE "virtual_ip = 198.18.0.10/32\n", 5, "198.18.0.10 is listed twice (first at line 4)");
	expect_error(BASE "[instance b]\ninterface = eth1\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n", 8,
		     "virtual_ip 198.18.0.10 is also in instance 'a' (line 4)");
	expect_error(BASE "unicast_peer = 198.18.0.2, 198.18.0.2\n", 5, "198.18.0.2 is listed twice");
	expect_error(BASE "unicast_peer = peer1\n", 5, "unicast_peer: 'peer1' is not an IPv4 or IPv6 address");
}

#define BASE6 "[instance a]\ninterface = eth0\nvrid = 1\nvirtual_ip = 2001:db8:1::100/64\n"

/* RFC 5798: one virtual router per address family, its family the VIPs'. */
static void test_ipv6_instance(void **state)
{
	(void)state;
	struct loaded l;
	char ip[INET6_ADDRSTRLEN];
	load(&l, BASE6 "virtual_ip = fe80::100/64, 2001:db8:1::101/128\n"
		     "unicast_peer = fe80::2, 2001:db8:1::3\n"
		     "[instance b]\ninterface = eth0\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n");
	if (l.rc != 0)
		dump(&l.diag);
	assert_int_equal(l.rc, 0);
	const struct config_instance *a = &l.cfg->instances[0];
	assert_int_equal(a->family, AF_INET6);
	assert_int_equal(a->n_vips, 3);
	assert_int_equal(a->vips[0].family, AF_INET6);
	assert_int_equal(a->vips[0].prefix_len, 64);
	assert_string_equal(inet_ntop(AF_INET6, &a->vips[1].addr6, ip, sizeof(ip)), "fe80::100");
	assert_int_equal(a->vips[2].prefix_len, 128);
	assert_int_equal(a->n_peers, 2);
	assert_int_equal(a->peers[1].family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &a->peers[1].addr6, ip, sizeof(ip)), "2001:db8:1::3");
	/* An IPv4 and an IPv6 router may share a VRID on one link. */
	assert_int_equal(l.cfg->instances[1].family, AF_INET);
	/* No database peer comes from an IPv6 unicast peer. */
	assert_int_equal(a->n_db_peers, 0);
	unload(&l);

	expect_error(BASE6 "virtual_ip = 2001:db8:1::101\n", 5,
		     "'2001:db8:1::101' has no prefix length (write e.g. 2001:db8:1::101/64)");
	expect_error(BASE6 "virtual_ip = 2001:db8:1::101/129\n", 5, "prefix length must be 1..128");
	expect_error(BASE6 "virtual_ip = 2001:db8:1::100/128\n", 5,
		     "2001:db8:1::100 is listed twice (first at line 4)");
	expect_error(BASE6 "virtual_ip = ff02::1/64\n", 5, "'ff02::1' is not a unicast IPv6 address");
	expect_error(BASE6 "virtual_ip = ::1/128\n", 5, "'::1' is not a unicast IPv6 address");
	/* Mixing families in one instance. */
	expect_error(BASE6 "virtual_ip = 198.18.0.10/24\n", 5,
		     "instance a: virtual_ip 198.18.0.10 is IPv4 but 2001:db8:1::100 (line 4) is IPv6: "
		     "an instance serves one address family (RFC 5798)");
	expect_error(BASE "virtual_ip = 2001:db8:1::100/64\n", 5,
		     "virtual_ip 2001:db8:1::100 is IPv6 but 198.18.0.10 (line 4) is IPv4");
	expect_error(BASE "unicast_peer = 2001:db8:1::3\n", 5,
		     "instance a: unicast_peer 2001:db8:1::3 is IPv6 but the instance's virtual_ip are IPv4");
	expect_error(BASE6 "unicast_peer = 198.18.0.3\n", 5,
		     "unicast_peer 198.18.0.3 is IPv4 but the instance's virtual_ip are IPv6");
	/* VRRPv2 is IPv4 only. */
	expect_error(BASE6 "version = 2\n", 5,
		     "instance a: IPv6 virtual_ip needs version = 3 (VRRPv2, RFC 3768, is IPv4 only)");
	/* A link-local VIP alone serves nobody. */
	expect_error("[instance a]\ninterface = eth0\nvrid = 1\nvirtual_ip = fe80::100/64\n", 4,
		     "instance a: virtual_ip: only link-local IPv6 addresses; add a global one");
	expect_error(BASE6 "checksum = rfc9568\n", 5, "checksum applies to VRRPv3 over IPv4 only");
	/* Two IPv6 routers with one VRID on one link are one too many. */
	expect_error(BASE6 "[instance b]\ninterface = eth0\nvrid = 1\nvirtual_ip = 2001:db8:1::200/64\n",
		     7, "vrid 1 on eth0 is already used by instance 'a' (line 3) for IPv6");
	expect_error(BASE6 "[instance b]\ninterface = eth1\nvrid = 1\nvirtual_ip = 2001:db8:1::100/64\n",
		     8, "virtual_ip 2001:db8:1::100 is also in instance 'a' (line 4)");
}

/* Data safety over IPv6: database_peers by IPv6 address, bracketed with a
 * port or bare; never the unicast peers (link-local advert sources). */
#define PING6 "[check p]\ntype = mysql_ping\nhost = ::1\n"
static void test_data_safety_ipv6(void **state)
{
	static const char text[] =
		BASE6
		"unicast_peer = fe80::2\n"                            /* 5 */
		"track = p\n"
		"manage_read_only = yes\n"
		"database_peers = [2001:db8:1::12]:3307, 2001:DB8:1::13\n"
		"database_peers = [2001:db8:1::14]\n"
		"virtual_ip = fe80::100/64\n"                         /* 10 */
		PING6;
	struct loaded l;
	char buf[INET6_ADDRSTRLEN + 8];

	(void)state;
	load(&l, text);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.errors, 0);
	const struct config_instance *in = &l.cfg->instances[0];
	assert_int_equal(in->family, AF_INET6);
	assert_true(in->manage_read_only);
	assert_true(in->witness);
	assert_int_equal(in->n_db_peers, 3);  /* the unicast peer is not one */
	assert_int_equal(in->db_peers[0].family, AF_INET6);
	assert_string_equal(config_dbpeer_text(&in->db_peers[0], buf, sizeof(buf)),
			    "[2001:db8:1::12]:3307");
	assert_int_equal(in->db_peers[0].line, 8);
	assert_string_equal(config_dbpeer_text(&in->db_peers[1], buf, sizeof(buf)),
			    "[2001:db8:1::13]:3306");
	assert_string_equal(config_dbpeer_text(&in->db_peers[2], buf, sizeof(buf)),
			    "[2001:db8:1::14]:3306");
	assert_int_equal(in->db_peers[2].line, 9);
	unload(&l);

	/* witness alone needs no database_peers */
	load(&l, BASE6 "track = p\nwitness = yes\n" PING6);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_true(l.cfg->instances[0].witness);
	assert_int_equal(l.cfg->instances[0].n_db_peers, 0);
	unload(&l);

	/* manage_read_only over IPv6 names the servers by database_peers only */
	expect_error(BASE6 "unicast_peer = fe80::2\ntrack = p\nmanage_read_only = yes\n" PING6, 7,
		     "instance a: manage_read_only over IPv6 needs database_peers: adverts come "
		     "from link-local addresses");
	/* one family per instance: database_peers too */
	expect_error(BASE6 "track = p\nmanage_read_only = yes\n"
		     "database_peers = 2001:db8:1::12, 198.18.0.12:3306\n" PING6, 7,
		     "instance a: database_peers: 198.18.0.12 is IPv4 but the instance's virtual_ip "
		     "are IPv6");
	expect_error(BASE_P "manage_read_only = yes\ndatabase_peers = 198.18.0.2\n"
		     "database_peers = [2001:db8::12]:3306\n" PING, 8,
		     "instance a: database_peers: 2001:db8::12 is IPv6 but the instance's virtual_ip "
		     "are IPv4");
	/* the forms */
	expect_error(BASE6 "track = p\ndatabase_peers = [2001:db8::12\n" PING6, 6,
		     "instance a: database_peers: '[2001:db8::12' is not [IPV6] or [IPV6]:PORT");
	expect_error(BASE6 "track = p\ndatabase_peers = [2001:db8::12]3306\n" PING6, 6,
		     "'[2001:db8::12]3306' is not [IPV6] or [IPV6]:PORT");
	expect_error(BASE6 "track = p\ndatabase_peers = [198.18.0.12]:3306\n" PING6, 6,
		     "instance a: database_peers: '[198.18.0.12]' is not an IPv6 address");
	expect_error(BASE6 "track = p\ndatabase_peers = [2001:db8::12]:0\n" PING6, 6,
		     "instance a: database_peers: '[2001:db8::12]:0': port must be 1..65535");
	expect_error(BASE6 "track = p\ndatabase_peers = [2001:db8::12]:\n" PING6, 6,
		     "'[2001:db8::12]:': port must be 1..65535");
	expect_error(BASE6 "track = p\ndatabase_peers = 2001:db8::12:3306:x\n" PING6, 6,
		     "instance a: database_peers: '2001:db8::12:3306:x' is not ADDR or ADDR:PORT");
	expect_error(BASE6 "track = p\ndatabase_peers = fe80::12\n" PING6, 6,
		     "instance a: database_peers: fe80::12 is not a unicast IPv6 address a server "
		     "can be reached at");
	expect_error(BASE6 "track = p\ndatabase_peers = [ff02::12]:3306\n" PING6, 6,
		     "database_peers: ff02::12 is not a unicast IPv6 address");
	expect_error(BASE6 "track = p\ndatabase_peers = ::\n" PING6, 6,
		     "database_peers: :: is not a unicast IPv6 address");
	/* one server, two spellings */
	expect_error(BASE6 "track = p\ndatabase_peers = 2001:db8::12\n"
		     "database_peers = [2001:DB8:0::12]:3306\n" PING6, 7,
		     "instance a: database_peers: [2001:db8::12]:3306 is listed twice (first at line 6)");
}

static void test_required_keys(void **state)
{
	(void)state;
	expect_error(BASE "[instance b]\ninterface = eth0\nvrid = 2\n", 5,
		     "instance 'b' is missing required key 'virtual_ip'");
	expect_error(BASE "[instance b]\nvrid = 2\nvirtual_ip = 198.18.0.20/24\n", 5,
		     "instance 'b' is missing required key 'interface'");
	expect_error(BASE "[instance b]\n", 5, "instance 'b' is missing required key 'vrid'");
	expect_error(BASE TRACKED_TCP "[check d]\nhost = 127.0.0.1\n", 10,
		     "check 'd' is missing required key 'type'");
}

/* ---- rules between keys -------------------------------------------- */

static void test_version_rules(void **state)
{
	(void)state;
	expect_error(BASE "version = 2\nadvert_interval = 1500ms\n", 6,
		     "advert_interval: 1.5s is not a whole number of seconds");
	expect_error(BASE "version = 2\nadvert_interval = 256\n", 6,
		     "advert_interval: 256s is out of range 1s..255s for version 2");
	expect_error(BASE "advert_interval = 15ms\nversion = 3\n", 5,
		     "advert_interval: 15ms is not a multiple of 10ms");
	expect_error(BASE "advert_interval = 41s\n", 5,
		     "advert_interval: 41s is out of range 10ms..40.95s for version 3");
	expect_error(BASE "advert_interval = 0\n", 5, "out of range 10ms..40.95s");
	/* order does not matter: checksum before version */
	expect_error(BASE "checksum = rfc9568\nversion = 2\n", 5,
		     "checksum is only valid with version = 3");
	expect_error(BASE "auth_type = pass\nauth_pass = x\n", 5,
		     "auth_type is only valid with version = 2");
	expect_error(BASE "auth_pass = x\n", 5, "auth_pass is only valid with version = 2");
	expect_error(BASE "version = 2\nauth_type = pass\n", 6, "auth_type = pass needs auth_pass");
	expect_error(BASE "version = 2\nauth_pass = secret\n", 6,
		     "auth_pass is only valid with auth_type = pass");
	expect_error(BASE "version = 2\nauth_type = pass\nauth_pass = 123456789\n", 7,
		     "auth_pass: must be 1..8 characters");
}

static void test_duplicate_vrid(void **state)
{
	struct loaded l;

	(void)state;
	expect_error(BASE "[instance b]\ninterface = eth0\nvrid = 1\nvirtual_ip = 198.18.0.11/24\n", 7,
		     "vrid 1 on eth0 is already used by instance 'a' (line 3)");
	/* the same VRID on another interface is fine */
	load(&l, BASE "[instance b]\ninterface = eth1\nvrid = 1\nvirtual_ip = 198.18.0.11/24\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.cfg->n_instances, 2);
	unload(&l);
}

static void test_track_rules(void **state)
{
	(void)state;
	expect_error(BASE "track = nope\n", 5, "track: no [check nope] section");
	expect_error(BASE "track = c\ntrack = nope\n[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n",
		     6, "track: no [check nope] section");
	expect_error(BASE "track = c, c\n[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n", 5,
		     "track: check 'c' is listed twice");
	expect_error(BASE "priority = 255\n" TRACKED_TCP, 6,
		     "priority 255 (address owner) never changes");
}

static void test_check_rules(void **state)
{
	(void)state;
	expect_error(BASE TRACKED_TCP "warn_lag = 5s\n", 10,
		     "key 'warn_lag' is not valid for a check of type tcp");
	expect_error(BASE TRACKED_TCP "socket = /run/x.sock\n", 10,
		     "key 'socket' is not valid for a check of type tcp");
	expect_error(BASE "track = c\n[check c]\nslow = 1ms\ntype = mysql_replication\nhost = 127.0.0.1\n",
		     7, "key 'slow' is not valid for a check of type mysql_replication");
	expect_error(BASE "track = c\n[check c]\ntype = script\ncommand = /bin/true\nhost = ::1\n", 9,
		     "key 'host' is not valid for a check of type script");
	expect_error(BASE "track = c\n[check c]\ntype = ping\n", 7,
		     "type: 'ping' is not one of tcp | mysql_ping | mysql_replication | script");
	expect_error(BASE "track = c\n[check c]\ntype = tcp\nport = 80\n", 6,
		     "check 'c' is missing required key 'host'");
	expect_error(BASE "track = c\n[check c]\ntype = tcp\nhost = 127.0.0.1\n", 6,
		     "check 'c' is missing required key 'port'");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = localhost\n", 8,
		     "'localhost' is not accepted");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = localhost\n", 8,
		     "write 'socket = PATH'");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = db.example.com\n", 8,
		     "host: 'db.example.com' is not an IP address (vigil does no name lookups");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\n", 6,
		     "check 'c' needs 'host' (an IP address) or 'socket'");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = 127.0.0.1\n"
		     "socket = /run/m.sock\n", 9, "host and socket are exclusive");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nsocket = /run/m.sock\nport = 3306\n",
		     9, "port has no meaning with socket");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nsocket = m.sock\n", 8,
		     "socket: 'm.sock' is not an absolute path");
	expect_error(BASE TRACKED_TCP "port = 0\n", 10, "key 'port' given twice");
	expect_error(BASE "track = c\n[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 65536\n", 9,
		     "port: 65536 is out of range 1..65535");
	expect_error(BASE TRACKED_TCP "rise = 0\n", 10, "rise: 0 is out of range 1..100");
	expect_error(BASE TRACKED_TCP "fall = 101\n", 10, "fall: 101 is out of range 1..100");
	expect_error(BASE TRACKED_TCP "penalty = 255\n", 10, "penalty: 255 is out of range 0..254");
	expect_error(BASE TRACKED_TCP "timeout = 0\n", 10, "timeout: 0 is out of range 1ms..3600s");
	expect_error(BASE TRACKED_TCP "interval = 5ms\n", 10, "interval: 5ms is out of range 10ms..3600s");
	expect_error(BASE TRACKED_TCP "fatal = 1\n", 10, "fatal: '1' is not yes or no");
	expect_error(BASE TRACKED_TCP "penalty = 20\ndegraded_penalty = 30\n", 11,
		     "degraded_penalty 30 is larger than penalty 20");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = 127.0.0.1\nslow = 500ms\n", 9,
		     "slow (500ms) must be below timeout (500ms)");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_replication\nhost = 127.0.0.1\n"
		     "warn_lag = 10s\ncrit_lag = 10s\n", 10, "crit_lag (10s) must be greater than warn_lag (10s)");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_replication\nhost = 127.0.0.1\n"
		     "warn_lag = 60s\n", 9, "crit_lag (30s) must be greater than warn_lag (60s)");
	expect_error(BASE "track = c\n[check c]\ntype = mysql_replication\nhost = 127.0.0.1\n"
		     "heartbeat_table = heartbeat\n", 9, "is not of the form database.table");
	expect_error(BASE "track = c\n[check c]\ntype = script\n", 6,
		     "check 'c' is missing required key 'command'");
	expect_error(BASE "track = c\n[check c]\ntype = script\ncommand = check.sh\n", 8,
		     "command: program 'check.sh' must be an absolute path");
	expect_error(BASE "notify = /bin/echo \"unterminated\n", 5, "notify: unterminated double quote");
}

static void test_all_errors_collected(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, BASE "priority = 0\nbogus = 1\npreempt = x\n[nope]\n[instance b]\n");
	assert_int_equal(l.rc, -EINVAL);
	assert_true(has(&l.diag, CONFIG_ERROR, 5, "priority"));
	assert_true(has(&l.diag, CONFIG_ERROR, 6, "unknown key 'bogus'"));
	assert_true(has(&l.diag, CONFIG_ERROR, 7, "preempt"));
	assert_true(has(&l.diag, CONFIG_ERROR, 8, "unknown section [nope]"));
	assert_true(has(&l.diag, CONFIG_ERROR, 9, "missing required key 'interface'"));
	assert_true(has(&l.diag, CONFIG_ERROR, 9, "missing required key 'vrid'"));
	assert_true(has(&l.diag, CONFIG_ERROR, 9, "missing required key 'virtual_ip'"));
	assert_int_equal(l.diag.errors, 7);
	assert_int_equal(l.diag.count, 7);
	unload(&l);
}

static void test_warnings(void **state)
{
	(void)state;
	expect_warning(BASE "priority = 100\npreempt = no\nresign_below = 100\n" TRACKED_TCP, 7,
		       "resign_below 100 is not below this instance's priority 100");
	expect_warning(BASE "priority = 100\npreempt = no\nresign_below = 95\n" TRACKED_TCP, 7,
		       "above priority 100 minus the degraded penalties");
	expect_warning(BASE "resign_below = 50\n", 5, "resign_below has no effect with preempt = yes");
	expect_warning(BASE "[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n", 5,
		       "check 'c' is not tracked by any instance");
	expect_warning(BASE "track = c\n[check c]\ntype = mysql_ping\nhost = 127.0.0.1\n", 1,
		       "no mysql_defaults_file in [global]");
}

/* ---- data safety --------------------------------------------------- */

static void test_data_safety_defaults(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, BASE);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	const struct config_instance *in = &l.cfg->instances[0];
	assert_false(in->manage_read_only);
	assert_null(in->role_check);
	assert_int_equal(in->role_check_index, -1);
	assert_null(in->db_peers);
	assert_int_equal(in->n_db_peers, 0);
	assert_int_equal(in->promote_timeout_ms, 30000);
	assert_int_equal(in->promote_on_timeout, CONFIG_PROMOTE_STAY_READ_ONLY);
	assert_true(in->stop_replication_on_promote);
	assert_false(in->witness);
	assert_int_equal(in->witness_timeout_ms, 300);
	assert_int_equal(in->role_timeout_ms, 2000);
	unload(&l);

	/* manage_read_only alone: witness follows it, the role check is the
	 * first tracked mysql_* check (not the tcp one before it), the
	 * database peers are the unicast peers at 3306 */
	load(&l, BASE "unicast_peer = 198.18.0.2\nunicast_peer = 198.18.0.3\n"
		 "track = t, r, p\nmanage_read_only = yes\n"
		 "[check t]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n"
		 PING "[check r]\ntype = mysql_replication\nhost = 127.0.0.1\n");
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.errors, 0);
	in = &l.cfg->instances[0];
	char buf[INET_ADDRSTRLEN];
	assert_true(in->manage_read_only);
	assert_null(in->role_check);
	assert_int_equal(in->role_check_index, 2);
	assert_string_equal(l.cfg->checks[in->role_check_index].name, "r");
	assert_true(in->witness);
	assert_int_equal(in->n_db_peers, 2);
	assert_string_equal(ip(in->db_peers[0].addr, buf), "198.18.0.2");
	assert_int_equal(in->db_peers[0].port, 3306);
	assert_int_equal(in->db_peers[0].line, 5);
	assert_string_equal(ip(in->db_peers[1].addr, buf), "198.18.0.3");
	assert_int_equal(in->db_peers[1].port, 3306);
	assert_int_equal(in->db_peers[1].line, 6);
	unload(&l);

	/* without manage_read_only the role check is still found (the witness
	 * alone needs it) and the peers still default */
	load(&l, BASE "unicast_peer = 198.18.0.2\ntrack = p\n" PING);
	assert_int_equal(l.rc, 0);
	in = &l.cfg->instances[0];
	assert_false(in->manage_read_only);
	assert_false(in->witness);
	assert_int_equal(in->role_check_index, 0);
	assert_int_equal(in->n_db_peers, 1);
	unload(&l);
}

static void test_data_safety_values(void **state)
{
	static const char text[] =
		BASE
		"track = c, p, r\n"                                   /* 5 */
		"unicast_peer = 198.18.0.9\n"
		"manage_read_only = yes\n"
		"role_check = r\n"
		"database_peers = 198.18.0.2, 198.18.0.3:3307\n"
		"database_peers = 198.18.0.2:3308\n"                  /* 10 */
		"promote_timeout = 1.5s\n"
		"promote_on_timeout = writable\n"
		"stop_replication_on_promote = no\n"
		"witness = no\n"
		"witness_timeout = 10s\n"                             /* 15: witness off, no limit */
		"role_timeout = 100ms\n"
		"advert_interval = 1s\n"
		"[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n"
		PING
		"[check r]\ntype = mysql_replication\nhost = 127.0.0.1\n";
	struct loaded l;
	char buf[INET_ADDRSTRLEN];

	(void)state;
	load(&l, text);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.errors, 0);
	const struct config_instance *in = &l.cfg->instances[0];
	assert_true(in->manage_read_only);
	assert_string_equal(in->role_check, "r");
	assert_int_equal(in->role_check_index, 2);
	assert_int_equal(in->n_db_peers, 3);  /* given: unicast_peer is not added */
	assert_string_equal(ip(in->db_peers[0].addr, buf), "198.18.0.2");
	assert_int_equal(in->db_peers[0].port, 3306);
	assert_int_equal(in->db_peers[0].line, 9);
	assert_string_equal(ip(in->db_peers[1].addr, buf), "198.18.0.3");
	assert_int_equal(in->db_peers[1].port, 3307);
	assert_int_equal(in->db_peers[2].port, 3308);
	assert_int_equal(in->db_peers[2].line, 10);
	assert_int_equal(in->promote_timeout_ms, 1500);
	assert_int_equal(in->promote_on_timeout, CONFIG_PROMOTE_WRITABLE);
	assert_false(in->stop_replication_on_promote);
	assert_false(in->witness);
	assert_int_equal(in->witness_timeout_ms, 10000);
	assert_int_equal(in->role_timeout_ms, 100);
	assert_int_equal(config_key_line(&in->origin, "role_timeout"), 16);
	unload(&l);

	/* the witness alone, with the limits of the ranges */
	load(&l, BASE_P "witness = yes\nwitness_timeout = 10ms\npromote_timeout = 3600s\n"
		 "role_timeout = 60s\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	in = &l.cfg->instances[0];
	assert_false(in->manage_read_only);
	assert_true(in->witness);
	assert_int_equal(in->role_check_index, 0);
	assert_int_equal(in->witness_timeout_ms, 10);
	assert_int_equal(in->promote_timeout_ms, 3600000);
	assert_int_equal(in->role_timeout_ms, 60000);
	unload(&l);

	/* notify_alarm: a program with arguments, as the other notify keys */
	load(&l, BASE_P "manage_read_only = yes\nnotify_alarm = /bin/echo alarm \"two words\"\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.cfg->instances[0].notify_alarm.argv[0], "/bin/echo");
	assert_string_equal(l.cfg->instances[0].notify_alarm.argv[2], "two words");
	unload(&l);

	/* witness_timeout not given: two advert intervals when that is less
	 * than 300 ms, so fast adverts need no extra key */
	load(&l, BASE_P "manage_read_only = yes\nadvert_interval = 100ms\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.cfg->instances[0].witness_timeout_ms, 200);
	unload(&l);

	/* the witness can be turned off under manage_read_only; witness_timeout
	 * is then not held to the advert interval */
	load(&l, BASE_P "manage_read_only = yes\nwitness = no\nadvert_interval = 10ms\n"
		 "database_peers = 198.18.0.2\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_false(l.cfg->instances[0].witness);
	unload(&l);

	/* just below 3 * advert_interval is fine */
	load(&l, BASE_P "manage_read_only = yes\nwitness_timeout = 590ms\n"
		 "database_peers = 198.18.0.2\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.errors, 0);
	unload(&l);

	/* manage_read_only on two instances on different servers' configs is
	 * fine; here: one with yes, one with no */
	load(&l, BASE_P "manage_read_only = yes\ndatabase_peers = 198.18.0.2\n"
		 "[instance b]\ninterface = eth0\nvrid = 2\nvirtual_ip = 198.18.0.20/24\n"
		 "track = p\nmanage_read_only = no\n" PING);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_true(l.cfg->instances[0].manage_read_only);
	assert_false(l.cfg->instances[1].manage_read_only);
	assert_false(l.cfg->instances[1].witness);
	assert_int_equal(l.cfg->instances[1].role_check_index, 0);
	unload(&l);
}

static void test_data_safety_value_errors(void **state)
{
	(void)state;
	expect_error(BASE_P "manage_read_only = maybe\n" PING, 6,
		     "manage_read_only: 'maybe' is not yes or no");
	expect_error(BASE_P "manage_read_only = yes\nmanage_read_only = no\n" PING, 7,
		     "key 'manage_read_only' given twice in [instance a] (first at line 6)");
	expect_error(BASE_P "role_check = \n" PING, 6, "role_check: empty value");
	expect_error(BASE_P "promote_timeout = 500ms\n" PING, 6,
		     "promote_timeout: 500ms is out of range 1s..3600s");
	expect_error(BASE_P "promote_timeout = 3601\n" PING, 6,
		     "promote_timeout: 3601 is out of range 1s..3600s");
	expect_error(BASE_P "promote_timeout = later\n" PING, 6,
		     "promote_timeout: 'later' is not a duration");
	expect_error(BASE_P "promote_on_timeout = open\n" PING, 6,
		     "promote_on_timeout: 'open' is not one of stay_read_only | writable");
	expect_error(BASE_P "stop_replication_on_promote = 1\n" PING, 6,
		     "stop_replication_on_promote: '1' is not yes or no");
	expect_error(BASE_P "witness = sure\n" PING, 6, "witness: 'sure' is not yes or no");
	expect_error(BASE_P "witness_timeout = 5ms\n" PING, 6,
		     "witness_timeout: 5ms is out of range 10ms..10s");
	expect_error(BASE_P "witness_timeout = 11s\n" PING, 6,
		     "witness_timeout: 11s is out of range 10ms..10s");
	expect_error(BASE_P "role_timeout = 50ms\n" PING, 6,
		     "role_timeout: 50ms is out of range 100ms..60s");
	expect_error(BASE_P "role_timeout = 61s\n" PING, 6,
		     "role_timeout: 61s is out of range 100ms..60s");
}

static void test_database_peers_errors(void **state)
{
	(void)state;
	expect_error(BASE_P "database_peers = db2\n" PING, 6,
		     "instance a: database_peers: 'db2' is not an IP address (vigil does no name lookups");
	expect_error(BASE_P "database_peers = 300.1.1.1:3306\n" PING, 6,
		     "instance a: database_peers: '300.1.1.1' is not an IP address");
	expect_error(BASE_P "database_peers = 198.18.0.2:0\n" PING, 6,
		     "instance a: database_peers: '198.18.0.2:0': port must be 1..65535");
	expect_error(BASE_P "database_peers = 198.18.0.2:65536\n" PING, 6,
		     "'198.18.0.2:65536': port must be 1..65535");
	expect_error(BASE_P "database_peers = 198.18.0.2:\n" PING, 6,
		     "'198.18.0.2:': port must be 1..65535");
	expect_error(BASE_P "database_peers = 198.18.0.2:x\n" PING, 6,
		     "'198.18.0.2:x': port must be 1..65535");
	expect_error(BASE_P "database_peers = 2001:db8::2:x:y\n" PING, 6,
		     "database_peers: '2001:db8::2:x:y' is not ADDR or ADDR:PORT (an IPv4 address, "
		     "an IPv6 one, or [IPV6]:PORT");
	expect_error(BASE_P "database_peers = 198.18.0.2,,198.18.0.3\n" PING, 6,
		     "database_peers: empty item in list");
	expect_error(BASE_P "database_peers = 198.18.0.2\ndatabase_peers = 198.18.0.2:3306\n" PING,
		     7, "instance a: database_peers: 198.18.0.2:3306 is listed twice (first at line 6)");
}

static void test_data_safety_rules(void **state)
{
	(void)state;
	/* role_check */
	expect_error(BASE_P "role_check = nope\n" PING, 6,
		     "instance a: role_check: no [check nope] section");
	expect_error(BASE "track = c\nrole_check = c\n"
		     "[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n", 6,
		     "instance a: role_check: check 'c' is of type tcp; the role check must be "
		     "mysql_ping or mysql_replication");
	expect_error(BASE_P "role_check = r\n" PING
		     "[check r]\ntype = mysql_replication\nhost = 127.0.0.1\n", 6,
		     "instance a: role_check: check 'r' is not tracked by this instance");
	/* manage_read_only without a role check */
	expect_error(BASE "manage_read_only = yes\n", 5,
		     "instance a: manage_read_only needs a mysql_ping or mysql_replication check: "
		     "track one or set role_check");
	expect_error(BASE "manage_read_only = yes\n" TRACKED_TCP, 5,
		     "instance a: manage_read_only needs a mysql_ping or mysql_replication check");
	/* the witness alone needs one too */
	expect_error(BASE "witness = yes\n" TRACKED_TCP, 5,
		     "instance a: witness needs a mysql_ping or mysql_replication check (the "
		     "witness uses the role check's port and credentials): track one or set "
		     "role_check");
	/* at most one instance with manage_read_only: the second one's line */
	expect_error(BASE_P "manage_read_only = yes\n"
		     "[instance b]\ninterface = eth0\nvrid = 2\nvirtual_ip = 198.18.0.20/24\n"
		     "track = p\nmanage_read_only = yes\n" PING, 12,
		     "instance b: manage_read_only: instance 'a' (line 6) already manages "
		     "read_only; at most one instance per server may");
	/* witness_timeout below 3 * advert_interval: at witness_timeout when it
	 * was written, else at advert_interval */
	expect_error(BASE_P "manage_read_only = yes\nwitness_timeout = 600ms\n" PING, 7,
		     "instance a: witness_timeout (600ms) must be below 3 * advert_interval (600ms)");
	expect_error(BASE_P "manage_read_only = yes\nadvert_interval = 100ms\nwitness_timeout = 300ms\n" PING, 8,
		     "instance a: witness_timeout (300ms) must be below 3 * advert_interval (300ms)");
	expect_error(BASE_P "witness = yes\nversion = 2\nadvert_interval = 1\n"
		     "witness_timeout = 3s\n" PING, 9,
		     "witness_timeout (3s) must be below 3 * advert_interval (3s)");
	/* manage_read_only with no database peer at all: a warning */
	expect_warning(BASE_P "manage_read_only = yes\n" PING, 6,
		       "instance a: manage_read_only without database_peers (or unicast_peer)");
}

/* ---- files --------------------------------------------------------- */

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/vigil-test-config-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_file_long_line(void **state)
{
	char text[600], longval[400], want[512];
	struct config_diag d;
	struct vigil_config *cfg = (void *)1;
	char *path;

	(void)state;
	memset(longval, 'z', 300);
	longval[300] = '\0';
	snprintf(text, sizeof(text), BASE "\n; %s\n", longval);
	path = write_temp(text);
	config_diag_init(&d);
	assert_int_equal(config_load_file(path, &cfg, &d), -EINVAL);
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	snprintf(want, sizeof(want), "%s:6: line is 302 characters long; the limit is 197", path);
	assert_string_equal(d.entries[0].text, want);
	config_diag_free(&d);
	unlink(path);
	free(path);
}

static void test_file_name_in_messages(void **state)
{
	struct config_diag d;
	struct vigil_config *cfg;
	char want[256];
	char *path = write_temp(BASE "vrid = 9\n");

	(void)state;
	config_diag_init(&d);
	assert_int_equal(config_load_file(path, &cfg, &d), -EINVAL);
	snprintf(want, sizeof(want), "%s:5: key 'vrid' given twice in [instance a] (first at line 3)",
		 path);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.entries[0].text, want);
	config_diag_free(&d);
	unlink(path);
	free(path);

	config_diag_init(&d);
	assert_int_equal(config_load_file("/nonexistent/vigil.ini", &cfg, &d), -ENOENT);
	assert_null(cfg);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.entries[0].text,
			    "/nonexistent/vigil.ini: cannot open: No such file or directory");
	config_diag_free(&d);
}

static void test_sample_file(void **state)
{
	const char *dir = getenv("VIGIL_SOURCE_DIR");
	char path[1024];
	struct config_diag d;
	struct vigil_config *cfg;

	(void)state;
#ifdef VIGIL_SOURCE_DIR
	if (!dir)
		dir = VIGIL_SOURCE_DIR;
#endif
	TU_REQUIRE(dir ? NULL : "the source tree is unknown (set VIGIL_SOURCE_DIR)");
	snprintf(path, sizeof(path), "%s/etc/vigil.ini", dir);
	config_diag_init(&d);
	int rc = config_load_file(path, &cfg, &d);
	dump(&d);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(cfg->n_instances, 2);
	assert_int_equal(cfg->global.log_level, CONFIG_LOG_INFO); /* commented out: the default */
	/* and the same service over IPv6 */
	assert_string_equal(cfg->instances[1].name, "writer6");
	assert_int_equal(cfg->instances[1].family, AF_INET6);
	assert_int_equal(cfg->instances[1].vrid, cfg->instances[0].vrid);
	assert_string_equal(cfg->instances[0].name, "writer");
	assert_string_equal(cfg->instances[0].interface, "eth0");
	assert_false(cfg->instances[0].preempt);
	assert_int_equal(cfg->n_checks, 2);
	assert_string_equal(cfg->checks[0].name, "ping");
	assert_string_equal(cfg->checks[1].name, "lag");
	/* the sample enables data safety, with the peer's server named */
	const struct config_instance *w = &cfg->instances[0];
	char buf[INET_ADDRSTRLEN];
	assert_true(w->manage_read_only);
	assert_true(w->witness);
	assert_int_equal(w->role_check_index, 0);
	assert_int_equal(w->n_db_peers, 1);
	assert_string_equal(ip(w->db_peers[0].addr, buf), "198.18.0.2");
	assert_int_equal(w->db_peers[0].port, 3306);
	assert_true(w->witness_timeout_ms < 3 * w->advert_interval_ms);
	/* host facts only warn */
	size_t before = d.errors;
	config_check_host(cfg, &d);
	assert_int_equal(d.errors, before);
	config_free(cfg);
	config_diag_free(&d);
}

static void test_host_checks(void **state)
{
	struct loaded l;
	char *defaults = write_temp("[client]\nuser = x\n");
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
		 "[global]\nmysql_defaults_file = %s\n"
		 "[instance a]\ninterface = vigil-nosuch0\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n"
		 "notify = /nonexistent/notify.sh\nnotify_master = %s\n", defaults, defaults);
	chmod(defaults, 0644);  /* neither private nor executable */
	load(&l, text);
	assert_int_equal(l.rc, 0);
	config_check_host(l.cfg, &l.diag);
	dump(&l.diag);
	assert_int_equal(l.diag.errors, 0);
	assert_true(has(&l.diag, CONFIG_WARNING, 4, "interface vigil-nosuch0 does not exist"));
	assert_true(has(&l.diag, CONFIG_WARNING, 7, "program /nonexistent/notify.sh"));
	snprintf(text, sizeof(text), "program %s is not executable", defaults);
	assert_true(has(&l.diag, CONFIG_WARNING, 8, text));
	assert_true(has(&l.diag, CONFIG_WARNING, 2, "the daemon will refuse it at start"));
	unload(&l);
	unlink(defaults);
	free(defaults);
}

/* script_user: a key of [global]; the user must exist on this host (an
 * error for -t too: no script could run); without it -t warns once that
 * scripts run as root. */
static void test_script_user(void **state)
{
	struct loaded l;
	const char *inst = "[instance a]\ninterface = lo\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n"
			   "notify = /bin/true\n";
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[global]\nscript_user = nobody\n%s", inst);
	load(&l, text);
	dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.cfg->global.script_user, "nobody");
	config_check_host(l.cfg, &l.diag);
	dump(&l.diag);
	assert_int_equal(l.diag.errors, 0);
	assert_false(has(&l.diag, CONFIG_WARNING, 7, "run as root"));
	unload(&l);

	snprintf(text, sizeof(text), "[global]\nscript_user = vigil-no-such-user\n%s", inst);
	load(&l, text);
	assert_int_equal(l.rc, 0);
	config_check_host(l.cfg, &l.diag);
	assert_true(has(&l.diag, CONFIG_ERROR, 2,
			"script_user: no user 'vigil-no-such-user' on this host"));
	unload(&l);

	load(&l, inst);
	assert_int_equal(l.rc, 0);
	assert_null(l.cfg->global.script_user);
	config_check_host(l.cfg, &l.diag);
	dump(&l.diag);
	assert_int_equal(l.diag.errors, 0);
	assert_true(has(&l.diag, CONFIG_WARNING, 5,
			"script checks and notify programs run as root"));
	unload(&l);
}

/* A file vigild cannot trust: `vigild -t` warns, the daemon (start,
 * reload, restart) refuses, each message at its key's line. */
static void test_unsafe_files_refused_by_the_daemon(void **state)
{
	struct tu_dir d;
	struct loaded l;
	char text[1024], want[512];
	const char *prog, *defaults;

	(void)state;
	assert_int_equal(tu_dir_make(&d, "config-files"), 0);
	prog = tu_dir_script(&d, "ww.sh", "exit 0", 0757);
	snprintf(text, sizeof(text),
		 "[instance a]\ninterface = lo\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n"
		 "notify_master = %s\ntrack = s\n[check s]\ntype = script\ncommand = %s\n", prog,
		 prog);
	load(&l, text);
	assert_int_equal(l.rc, 0);
	config_check_host(l.cfg, &l.diag);
	dump(&l.diag);
	assert_int_equal(l.diag.errors, 0);
	snprintf(want, sizeof(want), "%s is writable by group or others (mode 0757, owner uid %u): "
		 "run chmod go-w %s (vigild will refuse to run it)", prog, (unsigned)geteuid(), prog);
	assert_true(has(&l.diag, CONFIG_WARNING, 5, want));
	assert_true(has(&l.diag, CONFIG_WARNING, 9, want));
	config_diag_free(&l.diag);
	config_diag_init(&l.diag);
	config_check_host_run(l.cfg, &l.diag);
	dump(&l.diag);
	assert_int_equal(l.diag.errors, 2);
	snprintf(want, sizeof(want), "notify_master: %s is writable by group or others (mode 0757, "
		 "owner uid %u): run chmod go-w %s", prog, (unsigned)geteuid(), prog);
	assert_true(has(&l.diag, CONFIG_ERROR, 5, want));
	snprintf(want, sizeof(want), "check s: command: %s is writable by group or others (mode "
		 "0757, owner uid %u): run chmod go-w %s", prog, (unsigned)geteuid(), prog);
	assert_true(has(&l.diag, CONFIG_ERROR, 9, want));
	unload(&l);

	defaults = tu_dir_write(&d, "client.cnf", "[client]\nuser = x\n", 0644);
	snprintf(text, sizeof(text), "[global]\nmysql_defaults_file = %s\n[instance a]\n"
		 "interface = lo\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n", defaults);
	load(&l, text);
	assert_int_equal(l.rc, 0);
	config_check_host_run(l.cfg, &l.diag);
	dump(&l.diag);
	snprintf(want, sizeof(want), "mysql_defaults_file %s is accessible by group or others "
		 "(mode 0644, owner uid %u) and holds a password: run chmod 600 %s", defaults,
		 (unsigned)geteuid(), defaults);
	assert_true(has(&l.diag, CONFIG_ERROR, 2, want));
	unload(&l);
	assert_int_equal(tu_dir_remove(&d), 0);
}

static void test_free_null(void **state)
{
	(void)state;
	config_free(NULL);
	config_diag_free(NULL);
	assert_string_equal(config_check_type_name(CONFIG_CHECK_MYSQL_REPLICATION),
			    "mysql_replication");
	assert_string_equal(config_checksum_name(CONFIG_CHECKSUM_PSEUDO_HEADER), "pseudo-header");
	assert_string_equal(config_auth_name(CONFIG_AUTH_PASS), "pass");
	assert_string_equal(config_promote_on_timeout_name(CONFIG_PROMOTE_STAY_READ_ONLY),
			    "stay_read_only");
	assert_string_equal(config_promote_on_timeout_name(CONFIG_PROMOTE_WRITABLE), "writable");
	assert_string_equal(config_severity_name(CONFIG_WARNING), "warning");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_roundtrip),
		cmocka_unit_test(test_v2_default_interval),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_continuation_refused),
		cmocka_unit_test(test_continuation_allowed_cases),
		cmocka_unit_test(test_long_line_string),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_vip_errors),
		cmocka_unit_test(test_ipv6_instance),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_version_rules),
		cmocka_unit_test(test_duplicate_vrid),
		cmocka_unit_test(test_track_rules),
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_data_safety_defaults),
		cmocka_unit_test(test_data_safety_values),
		cmocka_unit_test(test_data_safety_value_errors),
		cmocka_unit_test(test_database_peers_errors),
		cmocka_unit_test(test_data_safety_ipv6),
		cmocka_unit_test(test_data_safety_rules),
		cmocka_unit_test(test_file_long_line),
		cmocka_unit_test(test_file_name_in_messages),
		cmocka_unit_test(test_sample_file),
		cmocka_unit_test(test_host_checks),
		cmocka_unit_test(test_script_user),
		cmocka_unit_test(test_unsafe_files_refused_by_the_daemon),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
