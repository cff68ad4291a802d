// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of agent/restart_state: what a vigild hands to the vigild it
// re-executes. Encode -> decode round trips, every refusal with its exact
// "line N: why", nothing left allocated after a refusal (the ASan/LSan
// build proves it), lookups by name, and the names add_* refuses.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restart_state.h"

/* ---- helpers ------------------------------------------------------------- */

static struct restart_instance inst(const char *name, enum vrrp_state st, uint8_t prio,
				    bool has_role, enum dbrole_mode role, uint64_t epoch)
{
	struct restart_instance ri = { .state = st, .priority = prio, .has_role = has_role,
				       .role = role, .epoch = epoch };
	snprintf(ri.name, sizeof(ri.name), "%s", name);
	ri.resigned = epoch % 2 == 1; /* both values appear in the round trips */
	return ri;
}

static struct restart_check chk(const char *name, enum check_status level)
{
	struct restart_check rc = { .level = level };
	snprintf(rc.name, sizeof(rc.name), "%s", name);
	return rc;
}

/* The struct a refused decode must leave: nothing at all. */
static void expect_empty(const struct restart_state *s)
{
	assert_int_equal(s->generation, 0);
	assert_null(s->inst);
	assert_int_equal(s->n_inst, 0);
	assert_null(s->chk);
	assert_int_equal(s->n_chk, 0);
}

/* Decode a NUL-terminated text; on success the state is freed again. */
static int decode_str(const char *text, char *err, size_t errlen)
{
	struct restart_state s;
	memset(&s, 0x5a, sizeof(s)); /* decode must not read what was there */
	err[0] = '\0';
	int rc = restart_state_decode(text, strlen(text), &s, err, errlen);
	if (rc != 0)
		expect_empty(&s);
	restart_state_free(&s);
	return rc;
}

/* text must be refused with -EINVAL and exactly this message. */
static void expect_refused(const char *text, const char *want)
{
	char err[128];
	int rc = decode_str(text, err, sizeof(err));
	if (rc != -EINVAL || strcmp(err, want) != 0)
		fail_msg("decoding \"%s\": rc %d \"%s\", want -EINVAL \"%s\"", text, rc, err, want);
}

#define HDR RESTART_STATE_MAGIC "\ngeneration 3\n"

/* ---- round trip ---------------------------------------------------------- */

static void test_encode_format(void **state)
{
	(void)state;
	struct restart_state s = { .generation = 3 };
	struct restart_instance ri = inst("db", VRRP_STATE_MASTER, 150, true, DBROLE_WRITABLE, 12);
	struct restart_check rc = chk("ping", CHECK_OK);
	assert_int_equal(restart_state_add_instance(&s, &ri), 0);
	ri = inst("web", VRRP_STATE_BACKUP, 100, false, DBROLE_UNKNOWN, 1);
	assert_int_equal(restart_state_add_instance(&s, &ri), 0);
	assert_int_equal(restart_state_add_check(&s, &rc), 0);
	char *text = restart_state_encode(&s);
	assert_non_null(text);
	/* The header's example, line for line. */
	assert_string_equal(text, "vigil-restart 1\n"
				  "generation 3\n"
				  "instance db MASTER 150 writable 12 active\n"
				  "instance web BACKUP 100 none 1 resigned\n"
				  "check ping ok\n");
	free(text);
	restart_state_free(&s);
	expect_empty(&s);
	restart_state_free(&s); /* twice is fine */
	restart_state_free(NULL);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct restart_state s = { .generation = UINT64_MAX };
	/* Every VRRP state and every role, plus one without a role. */
	for (int st = 0; st < VRRP_STATE_COUNT; st++) {
		char name[RESTART_NAME_MAX + 1];
		snprintf(name, sizeof(name), "s-%s", vrrp_state_name((enum vrrp_state)st));
		struct restart_instance ri =
			inst(name, (enum vrrp_state)st, (uint8_t)(1 + st * 84), false, DBROLE_UNKNOWN, 0);
		assert_int_equal(restart_state_add_instance(&s, &ri), 0);
	}
	for (int m = 0; m < DBROLE_MODE__COUNT; m++) {
		char name[RESTART_NAME_MAX + 1];
		snprintf(name, sizeof(name), "r-%s", dbrole_mode_name((enum dbrole_mode)m));
		struct restart_instance ri = inst(name, m % 2 ? VRRP_STATE_MASTER : VRRP_STATE_BACKUP,
						  (uint8_t)(100 + m), true, (enum dbrole_mode)m,
						  m == 0 ? UINT64_MAX : (uint64_t)m * 1000);
		assert_int_equal(restart_state_add_instance(&s, &ri), 0);
	}
	/* The longest name allowed, and every check level. */
	struct restart_instance longest = inst("abcdefghijklmnopqrstuvwxyz012345", VRRP_STATE_MASTER,
					       255, false, DBROLE_UNKNOWN, 7);
	assert_int_equal(strlen(longest.name), RESTART_NAME_MAX);
	assert_int_equal(restart_state_add_instance(&s, &longest), 0);
	for (int l = 0; l < CHECK_STATUS__COUNT; l++) {
		char name[RESTART_NAME_MAX + 1];
		snprintf(name, sizeof(name), "c-%s", check_status_name((enum check_status)l));
		struct restart_check rc = chk(name, (enum check_status)l);
		assert_int_equal(restart_state_add_check(&s, &rc), 0);
	}
	size_t n_inst = (size_t)VRRP_STATE_COUNT + DBROLE_MODE__COUNT + 1;
	assert_int_equal(s.n_inst, n_inst);
	assert_int_equal(s.n_chk, CHECK_STATUS__COUNT);

	char *text = restart_state_encode(&s);
	assert_non_null(text);
	struct restart_state d;
	char err[128] = "";
	assert_int_equal(restart_state_decode(text, strlen(text), &d, err, sizeof(err)), 0);
	assert_int_equal(d.generation, UINT64_MAX);
	assert_int_equal(d.n_inst, s.n_inst);
	assert_int_equal(d.n_chk, s.n_chk);
	for (size_t i = 0; i < s.n_inst; i++) {
		const struct restart_instance *a = &s.inst[i], *b = &d.inst[i];
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->state, b->state);
		assert_int_equal(a->priority, b->priority);
		assert_int_equal(a->has_role, b->has_role);
		if (a->has_role)
			assert_int_equal(a->role, b->role);
		assert_int_equal(a->epoch, b->epoch);
		assert_int_equal(a->resigned, b->resigned);
	}
	for (size_t i = 0; i < s.n_chk; i++) {
		assert_string_equal(s.chk[i].name, d.chk[i].name);
		assert_int_equal(s.chk[i].level, d.chk[i].level);
	}
	/* Encoding what was decoded gives the same text. */
	char *again = restart_state_encode(&d);
	assert_non_null(again);
	assert_string_equal(again, text);
	free(again);
	free(text);
	restart_state_free(&d);
	restart_state_free(&s);
}

static void test_round_trip_empty(void **state)
{
	(void)state;
	struct restart_state s = { .generation = 0 };
	char *text = restart_state_encode(&s);
	assert_non_null(text);
	assert_string_equal(text, "vigil-restart 1\ngeneration 0\n");
	struct restart_state d;
	char err[64];
	assert_int_equal(restart_state_decode(text, strlen(text), &d, err, sizeof(err)), 0);
	expect_empty(&d);
	free(text);
}

/* The text need not be NUL-terminated, nor end with a newline; only len
 * bytes are read. */
static void test_decode_len(void **state)
{
	(void)state;
	static const char buf[] = HDR "check a failed\ncheck b degraded\nGARBAGE";
	size_t len = sizeof(buf) - 1 - strlen("GARBAGE");
	char *copy = malloc(len); /* exactly len bytes: ASan sees any overread */
	assert_non_null(copy);
	memcpy(copy, buf, len);
	struct restart_state d;
	char err[64] = "";
	assert_int_equal(restart_state_decode(copy, len, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n_chk, 2);
	assert_int_equal(restart_state_check(&d, "b")->level, CHECK_DEGRADED);
	restart_state_free(&d);
	/* Without the last newline. */
	assert_int_equal(restart_state_decode(copy, len - 1, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n_chk, 2);
	assert_int_equal(d.generation, 3);
	restart_state_free(&d);
	/* Cut inside a word: "check a failed" -> "check a fail". */
	size_t cut = strlen(HDR "check a fail");
	assert_int_equal(restart_state_decode(copy, cut, &d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: unknown check level");
	expect_empty(&d);
	/* Cut inside the header. */
	assert_int_equal(restart_state_decode(copy, 5, &d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: not a vigil restart state");
	expect_empty(&d);
	free(copy);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_decode_header_errors(void **state)
{
	(void)state;
	char err[64];
	expect_refused("", "line 1: empty");
	expect_refused("vigil-restart 2\ngeneration 3\n", "line 1: not a vigil restart state");
	expect_refused("vigil-restart 1 \ngeneration 3\n", "line 1: not a vigil restart state");
	expect_refused("vigil-restart 1\r\ngeneration 3\n", "line 1: not a vigil restart state");
	expect_refused("\n", "line 1: not a vigil restart state");
	expect_refused("generation 3\nvigil-restart 1\n", "line 1: not a vigil restart state");
	expect_refused(RESTART_STATE_MAGIC "\n", "line 1: no generation line");
	expect_refused(RESTART_STATE_MAGIC, "line 1: no generation line");
	expect_refused(RESTART_STATE_MAGIC "\ninstance db MASTER 150 writable 12 active\ncheck a ok\n",
		       "line 3: no generation line");
	expect_refused(HDR "generation 3\n", "line 3: generation given twice");
	expect_refused(HDR "check a ok\ngeneration 4\n", "line 4: generation given twice");
	expect_refused(RESTART_STATE_MAGIC "\ngeneration x\n", "line 2: generation is not a number");
	expect_refused(RESTART_STATE_MAGIC "\ngeneration -1\n", "line 2: generation is not a number");
	expect_refused(RESTART_STATE_MAGIC "\ngeneration 3x\n", "line 2: generation is not a number");
	expect_refused(RESTART_STATE_MAGIC "\ngeneration 18446744073709551616\n",
		       "line 2: generation is not a number");
	/* UINT64_MAX itself is a number. */
	assert_int_equal(decode_str(RESTART_STATE_MAGIC "\ngeneration 18446744073709551615\n", err,
				    sizeof(err)),
			 0);
	/* The err buffer is cut, not overrun. */
	char small[8];
	assert_int_equal(decode_str("nope", small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "line 1:");
}

static void test_decode_instance_errors(void **state)
{
	(void)state;
	char err[64];
	expect_refused(HDR "instance db SLAVE 150 writable 12 active\n", "line 3: unknown state");
	expect_refused(HDR "instance db master 150 writable 12 active\n", "line 3: unknown state");
	expect_refused(HDR "instance db ? 150 writable 12 active\n", "line 3: unknown state");
	expect_refused(HDR "instance db MASTER 0 writable 12 active\n", "line 3: priority is not 1..255");
	expect_refused(HDR "instance db MASTER 256 writable 12 active\n", "line 3: priority is not 1..255");
	expect_refused(HDR "instance db MASTER -1 writable 12 active\n", "line 3: priority is not 1..255");
	expect_refused(HDR "instance db MASTER high writable 12 active\n",
		       "line 3: priority is not 1..255");
	expect_refused(HDR "instance db MASTER 150 master 12 active\n", "line 3: unknown role");
	expect_refused(HDR "instance db MASTER 150 read_only 12 active\n", "line 3: unknown role");
	expect_refused(HDR "instance db MASTER 150 ? 12 active\n", "line 3: unknown role");
	expect_refused(HDR "instance db MASTER 150 writable x active\n", "line 3: epoch is not a number");
	expect_refused(HDR "instance db MASTER 150 writable 1.5 active\n", "line 3: epoch is not a number");
	expect_refused(HDR "instance db MASTER 150 writable -3 active\n", "line 3: epoch is not a number");
	expect_refused(HDR "instance db MASTER 150 writable 12 active\ninstance db BACKUP 100 none 0 active\n",
		       "line 4: instance given twice");
	expect_refused(HDR "instance abcdefghijklmnopqrstuvwxyz0123456 MASTER 150 none 0 active\n",
		       "line 3: instance name too long");
	/* A name the decoder's splitting lets through but add_instance refuses. */
	expect_refused(HDR "instance d\tb MASTER 150 none 0 active\n", "line 3: bad instance name, or too many");
	/* Wrong word counts. */
	expect_refused(HDR "instance db MASTER 150 writable 12 extra\n",
		       "line 3: the last word is not resigned or active");
	expect_refused(HDR "instance db MASTER 150 writable 12 active extra\n",
		       "line 3: not an instance, check or generation line");
	expect_refused(HDR "instance db MASTER 150 writable\n",
		       "line 3: not an instance, check or generation line");
	/* The limits themselves are accepted; blanks around words are. */
	assert_int_equal(decode_str(HDR "instance abcdefghijklmnopqrstuvwxyz012345 MASTER 1 none 0 active\n"
					"instance b BACKUP 255 unknown 18446744073709551615 active\n"
					"  instance   c  FAULT 2 demoting  0 resigned  \n",
				    err, sizeof(err)),
			 0);
}

static void test_decode_check_errors(void **state)
{
	(void)state;
	expect_refused(HDR "check a fine\n", "line 3: unknown check level");
	expect_refused(HDR "check a OK\n", "line 3: unknown check level");
	expect_refused(HDR "check a ?\n", "line 3: unknown check level");
	expect_refused(HDR "check a ok\ncheck b failed\ncheck a degraded\n",
		       "line 5: check given twice");
	expect_refused(HDR "check abcdefghijklmnopqrstuvwxyz0123456 ok\n",
		       "line 3: check name too long");
	expect_refused(HDR "check a ok extra\n", "line 3: not an instance, check or generation line");
	expect_refused(HDR "check a\n", "line 3: not an instance, check or generation line");
	/* An instance and a check may share a name: they are different things. */
	char err[64];
	assert_int_equal(decode_str(HDR "instance a MASTER 9 none 0 active\ncheck a ok\n", err, sizeof(err)),
			 0);
}

static void test_decode_line_errors(void **state)
{
	(void)state;
	expect_refused(HDR "\ncheck a ok\n", "line 3: not an instance, check or generation line");
	expect_refused(HDR "bogus\n", "line 3: not an instance, check or generation line");
	expect_refused(HDR "check a ok\n\n", "line 4: not an instance, check or generation line");

	/* 255 bytes is the longest line taken (blanks pad it), 256 is too long. */
	char text[600];
	char line[300];
	size_t pad = 255 - strlen("check a ok");
	snprintf(line, sizeof(line), "check a%*s ok", (int)pad, "");
	assert_int_equal(strlen(line), 255);
	snprintf(text, sizeof(text), HDR "%s\n", line);
	char err[64];
	assert_int_equal(decode_str(text, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "check a%*s ok", (int)pad + 1, "");
	assert_int_equal(strlen(line), 256);
	snprintf(text, sizeof(text), HDR "%s\n", line);
	expect_refused(text, "line 3: line too long");
	/* Also as the last line without its newline, and as line 1. */
	snprintf(text, sizeof(text), HDR "%s", line);
	expect_refused(text, "line 3: line too long");
	snprintf(text, sizeof(text), "%s\n", line);
	expect_refused(text, "line 1: line too long");

	/* A NUL byte inside a line, in the header or later. */
	static const char nul3[] = HDR "check a\0b ok\n";
	struct restart_state s;
	assert_int_equal(restart_state_decode(nul3, sizeof(nul3) - 1, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: NUL byte");
	expect_empty(&s);
	static const char nul1[] = "vigil-restart 1\0\ngeneration 3\n";
	assert_int_equal(restart_state_decode(nul1, sizeof(nul1) - 1, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: NUL byte");
	expect_empty(&s);
	/* A NUL byte where a line ends is still inside the text. */
	static const char nul_end[] = HDR "check a ok\n\0";
	assert_int_equal(restart_state_decode(nul_end, sizeof(nul_end) - 1, &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 4: NUL byte");
	expect_empty(&s);
}

/* A refusal after entries were added frees them (LSan reports it otherwise)
 * and leaves the struct empty. */
static void test_decode_refusal_frees(void **state)
{
	(void)state;
	static const char *const late[] = {
		HDR "instance a MASTER 150 writable 12 active\ninstance b BACKUP 100 none 0 active\n"
		    "check x ok\ncheck y failed\ncheck x ok\n",
		HDR "instance a MASTER 150 writable 12 active\ncheck x ok\ninstance b BOGUS 100 none 0 active\n",
		HDR "instance a MASTER 150 writable 12 active\ncheck x ok\ngeneration 1\n",
		RESTART_STATE_MAGIC "\ninstance a MASTER 150 writable 12 active\ncheck x ok\n",
	};
	for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
		struct restart_state s;
		char err[64];
		assert_int_equal(restart_state_decode(late[i], strlen(late[i]), &s, err, sizeof(err)),
				 -EINVAL);
		expect_empty(&s);
	}
}

/* ---- lookups and adding -------------------------------------------------- */

static void test_lookup(void **state)
{
	(void)state;
	static const char text[] = HDR "instance db MASTER 150 writable 12 active\n"
				       "instance web BACKUP 90 none 3 active\n"
				       "check ping ok\n"
				       "check lag degraded\n"
				       "check disk failed\n";
	struct restart_state s;
	char err[64];
	assert_int_equal(restart_state_decode(text, sizeof(text) - 1, &s, err, sizeof(err)), 0);
	assert_int_equal(s.generation, 3);
	const struct restart_instance *db = restart_state_instance(&s, "db");
	assert_non_null(db);
	assert_string_equal(db->name, "db");
	assert_int_equal(db->state, VRRP_STATE_MASTER);
	assert_int_equal(db->priority, 150);
	assert_true(db->has_role);
	assert_int_equal(db->role, DBROLE_WRITABLE);
	assert_int_equal(db->epoch, 12);
	const struct restart_instance *web = restart_state_instance(&s, "web");
	assert_non_null(web);
	assert_int_equal(web->state, VRRP_STATE_BACKUP);
	assert_int_equal(web->priority, 90);
	assert_false(web->has_role);
	assert_int_equal(web->epoch, 3);
	assert_null(restart_state_instance(&s, "ping"));
	assert_null(restart_state_instance(&s, "d"));
	assert_null(restart_state_instance(&s, "dbx"));
	assert_null(restart_state_instance(&s, ""));
	assert_int_equal(restart_state_check(&s, "ping")->level, CHECK_OK);
	assert_int_equal(restart_state_check(&s, "lag")->level, CHECK_DEGRADED);
	assert_int_equal(restart_state_check(&s, "disk")->level, CHECK_FAILED);
	assert_null(restart_state_check(&s, "db"));
	assert_null(restart_state_check(&s, "Ping"));
	restart_state_free(&s);
	/* An empty state finds nothing. */
	assert_null(restart_state_instance(&s, "db"));
	assert_null(restart_state_check(&s, "ping"));
}

static void test_add_refuses_names(void **state)
{
	(void)state;
	struct restart_state s = { 0 };
	static const char *const bad[] = { "", "a b", " a", "a ", "a\tb", "a\nb", "caf\xc3\xa9",
					   "del\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct restart_instance ri = inst(bad[i], VRRP_STATE_MASTER, 100, false,
						  DBROLE_UNKNOWN, 0);
		struct restart_check rc = chk(bad[i], CHECK_OK);
		if (restart_state_add_instance(&s, &ri) != -EINVAL)
			fail_msg("instance name \"%s\" accepted", bad[i]);
		if (restart_state_add_check(&s, &rc) != -EINVAL)
			fail_msg("check name \"%s\" accepted", bad[i]);
	}
	expect_empty(&s);

	/*
	 * Too long: the struct's name holds at most RESTART_NAME_MAX bytes
	 * and its NUL, so a longer one can only come unterminated. The union
	 * gives the string room to end inside one object.
	 */
	union {
		struct restart_instance ri;
		struct restart_check rc;
		char raw[sizeof(struct restart_instance) + sizeof(struct restart_check) + 8];
	} u;
	memset(u.raw, 'a', sizeof(u.raw) - 1);
	u.raw[sizeof(u.raw) - 1] = '\0';
	assert_int_equal(restart_state_add_instance(&s, &u.ri), -EINVAL);
	memset(u.raw, 'a', sizeof(u.raw) - 1);
	assert_int_equal(restart_state_add_check(&s, &u.rc), -EINVAL);
	expect_empty(&s);

	/* 32 printable bytes is fine, and the entry is a copy. */
	struct restart_instance ri = inst("abcdefghijklmnopqrstuvwxyz!#$%&+", VRRP_STATE_BACKUP, 5,
					  true, DBROLE_READ_ONLY, 44);
	assert_int_equal(restart_state_add_instance(&s, &ri), 0);
	struct restart_check rc = chk("x~", CHECK_DEGRADED);
	assert_int_equal(restart_state_add_check(&s, &rc), 0);
	ri.name[0] = 'Z';
	ri.priority = 9;
	rc.level = CHECK_FAILED;
	const struct restart_instance *got = restart_state_instance(&s, "abcdefghijklmnopqrstuvwxyz!#$%&+");
	assert_non_null(got);
	assert_int_equal(got->priority, 5);
	assert_int_equal(got->role, DBROLE_READ_ONLY);
	assert_int_equal(restart_state_check(&s, "x~")->level, CHECK_DEGRADED);
	/* add_* itself does not refuse duplicates: decode does. */
	rc.level = CHECK_OK;
	assert_int_equal(restart_state_add_check(&s, &rc), 0);
	assert_int_equal(s.n_chk, 2);
	restart_state_free(&s);
}

/* More entries than any configuration allows are refused. */
static void test_add_limit(void **state)
{
	(void)state;
	struct restart_state s = { 0 };
	size_t n = 0;
	for (;; n++) {
		struct restart_check rc = { .level = CHECK_OK };
		snprintf(rc.name, sizeof(rc.name), "c%zu", n);
		int rc2 = restart_state_add_check(&s, &rc);
		if (rc2 != 0) {
			assert_int_equal(rc2, -EINVAL);
			break;
		}
		assert_true(n < 100000);
	}
	assert_int_equal(n, 4096);
	assert_int_equal(s.n_chk, 4096);
	/* The encoded form of a full state still decodes. */
	char *text = restart_state_encode(&s);
	assert_non_null(text);
	struct restart_state d;
	char err[64];
	assert_int_equal(restart_state_decode(text, strlen(text), &d, err, sizeof(err)), 0);
	assert_int_equal(d.n_chk, 4096);
	assert_int_equal(restart_state_check(&d, "c4095")->level, CHECK_OK);
	restart_state_free(&d);
	free(text);
	restart_state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_decode_len),
		cmocka_unit_test(test_decode_header_errors),
		cmocka_unit_test(test_decode_instance_errors),
		cmocka_unit_test(test_decode_check_errors),
		cmocka_unit_test(test_decode_line_errors),
		cmocka_unit_test(test_decode_refusal_frees),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_add_refuses_names),
		cmocka_unit_test(test_add_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
