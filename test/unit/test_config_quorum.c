/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the [quorum] section: keys, defaults, every refusal with its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_expect.h"

/* An instance with data safety (lines 1-12, its section last), then
 * [quorum] at line 13. */
#define DS "[global]\nmysql_defaults_file = /etc/vigil/my.cnf\n" \
	   "[check p]\ntype = mysql_ping\nhost = 127.0.0.1\n" \
	   "[instance db]\ninterface = eth0\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n" \
	   "track = p\nmanage_read_only = yes\ndatabase_peers = 198.18.0.12\n"
#define EPS "etcd_endpoints = http://198.18.0.11:2379, http://198.18.0.12:2379/, http://198.18.0.13:2379\n"
#define Q DS "[quorum]\n" EPS

static void test_defaults(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, Q);
	if (l.rc != 0 || l.diag.count)
		dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.count, 0);
	const struct config_quorum *q = &l.cfg->quorum;
	assert_true(q->enabled);
	assert_int_equal(q->n_endpoints, 3);
	assert_string_equal(q->endpoints[0], "http://198.18.0.11:2379");
	assert_string_equal(q->endpoints[1], "http://198.18.0.12:2379");
	assert_int_equal(q->lease_ttl_ms, 6000);
	assert_string_equal(q->prefix, "/vigil/");
	assert_int_equal(q->quorum_lost, CONFIG_QUORUM_LOST_DEMOTE);
	assert_int_equal(q->etcd_election_timeout_ms, 1000);
	assert_int_equal(q->request_timeout_ms, 1000);
	assert_true(l.cfg->instances[0].quorum);
	/* role_timeout's default under [quorum]: 1 s, not 2 s. */
	assert_int_equal(l.cfg->instances[0].role_timeout_ms, 1000);
	assert_int_equal(config_quorum_demote_budget_ms(&l.cfg->instances[0]), 1500);
	unload(&l);
}

static void test_absent(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, DS);
	assert_int_equal(l.rc, 0);
	assert_false(l.cfg->quorum.enabled);
	assert_false(l.cfg->instances[0].quorum);
	assert_int_equal(l.cfg->instances[0].role_timeout_ms, 2000);
	unload(&l);
}

static void test_every_key(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, DS "[quorum]\n" EPS "lease_ttl = 10s\nprefix = /db/ha/\nquorum_lost = hold\n"
		    "etcd_election_timeout = 500ms\nrequest_timeout = 800ms\n");
	if (l.rc != 0)
		dump(&l.diag);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.cfg->quorum.lease_ttl_ms, 10000);
	assert_string_equal(l.cfg->quorum.prefix, "/db/ha/");
	assert_int_equal(l.cfg->quorum.quorum_lost, CONFIG_QUORUM_LOST_HOLD);
	assert_int_equal(l.cfg->quorum.etcd_election_timeout_ms, 500);
	assert_int_equal(l.cfg->quorum.request_timeout_ms, 800);
	assert_string_equal(config_quorum_lost_name(CONFIG_QUORUM_LOST_HOLD), "hold");
	unload(&l);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_error(DS "[quorum]\nlease_ttl = 6s\n", 13, "missing required key 'etcd_endpoints'");
	expect_error(DS "[quorum]\netcd_endpoints = http://etcd.example:2379\n", 14,
		     "etcd.example");
	expect_error(DS "[quorum]\netcd_endpoints = https://198.18.0.11:2379\n", 14, "https");
	expect_error(DS "[quorum]\netcd_endpoints = http://198.18.0.11:2379, http://198.18.0.11:2379\n",
		     14, "listed twice");
	expect_error(DS "[quorum]\netcd_endpoints = ,\n", 14, "no endpoint");
	expect_error(Q "lease_ttl = 2500ms\n", 15, "whole seconds");
	expect_error(Q "lease_ttl = 1s\n", 15, "lease_ttl");
	expect_error(Q "prefix = vigil\n", 15, "must start and end with '/'");
	expect_error(Q "prefix = /vigil\n", 15, "must start and end with '/'");
	expect_error(Q "quorum_lost = maybe\n", 15, "not one of demote | hold");
	expect_error(Q "request_timeout = 2s\n", 15, "below a third of lease_ttl");
	expect_error(Q "bogus = 1\n", 15, "unknown key 'bogus' in [quorum]");
	expect_error(Q "[quorum]\n", 15, "duplicate section [quorum] (first at line 13)");
	expect_error("[quorum x]\n" EPS DS, 1, "unknown section [quorum x]");
	/* role_timeout given: 2 s + 500 ms is not less than half of 4 s. */
	expect_error(DS "role_timeout = 2s\n[quorum]\n" EPS "lease_ttl = 4s\n", 16,
		     "too short for instance db's role_timeout (2s)");
	/* The lease decides who may write: only a managed server can wait. */
	expect_error("[instance web]\ninterface = eth0\nvrid = 2\nvirtual_ip = 198.18.0.20/24\n"
		     "[quorum]\n" EPS, 1, "needs manage_read_only = yes");
}

static void test_warnings(void **state)
{
	(void)state;
	/* 5 s: 5000 - 1666 - 1500 = 1834 ms to renew, below two elections. */
	expect_warning(Q "lease_ttl = 5s\n", 15, "less than two election timeouts");
	/* role_timeout 2 s at the default lease: 1500 ms. */
	expect_warning(DS "role_timeout = 2s\n[quorum]\n" EPS, 14, "raise lease_ttl or lower role_timeout");
	expect_warning(DS "[quorum]\netcd_endpoints = http://198.18.0.11:2379\n", 14,
		       "list every member");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
