/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the logger (agent/log.c): the key=value tail of event
 * lines (log_kv, log_kvf) and the level filter behind [global] log_level. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* kv_of(value): " k=" followed by how log_kv() writes value. */
static const char *kv_of(const char *value, char *buf, size_t size)
{
	buf[0] = '\0';
	assert_true(log_kv(buf, size, "k", value));
	return buf;
}

static void test_bare_values(void **state)
{
	char buf[128];
	(void)state;
	assert_string_equal(kv_of("MASTER", buf, sizeof(buf)), " k=MASTER");
	assert_string_equal(kv_of("master-down", buf, sizeof(buf)), " k=master-down");
	assert_string_equal(kv_of("198.18.0.11", buf, sizeof(buf)), " k=198.18.0.11");
	assert_string_equal(kv_of("a/b:c,d", buf, sizeof(buf)), " k=a/b:c,d");
	/* UTF-8 passes as it is: only ASCII blanks and controls force quotes */
	assert_string_equal(kv_of("d\xc3\xa9j\xc3\xa0", buf, sizeof(buf)), " k=d\xc3\xa9j\xc3\xa0");
}

static void test_quoted_values(void **state)
{
	char buf[128];
	(void)state;
	assert_string_equal(kv_of("SELECT 1 in 0.10 ms", buf, sizeof(buf)),
			    " k=\"SELECT 1 in 0.10 ms\"");
	assert_string_equal(kv_of("", buf, sizeof(buf)), " k=\"\"");
	assert_string_equal(kv_of(NULL, buf, sizeof(buf)), " k=\"\"");
	assert_string_equal(kv_of("a=b", buf, sizeof(buf)), " k=\"a=b\"");
	assert_string_equal(kv_of("say \"hi\"", buf, sizeof(buf)), " k=\"say \\\"hi\\\"\"");
	assert_string_equal(kv_of("C:\\x", buf, sizeof(buf)), " k=\"C:\\\\x\"");
	/* the line stays one line */
	assert_string_equal(kv_of("a\nb\tc\rd", buf, sizeof(buf)), " k=\"a\\nb\\tc\\rd\"");
	assert_string_equal(kv_of("x\x01y\x7f", buf, sizeof(buf)), " k=\"x\\x01y\\x7f\"");
}

static void test_appends(void **state)
{
	char buf[128] = "human text";
	(void)state;
	assert_true(log_kv(buf, sizeof(buf), "event", "transition"));
	assert_true(log_kvf(buf, sizeof(buf), "priority", "%u", 150u));
	assert_true(log_kv(buf, sizeof(buf), "reason", "ping failed"));
	assert_string_equal(buf, "human text event=transition priority=150 reason=\"ping failed\"");
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	/* " k=abc" is 6 bytes and needs a 7th for the NUL */
	char exact[7] = "";
	assert_true(log_kv(exact, sizeof(exact), "k", "abc"));
	assert_string_equal(exact, " k=abc");

	char small[6] = "";
	assert_false(log_kv(small, sizeof(small), "k", "abc"));
	assert_string_equal(small, "");

	/* a quoted value cut anywhere leaves the earlier pairs intact */
	for (size_t size = 1; size < 32; size++) {
		char buf[32] = "";
		bool first = log_kv(buf, size, "a", "1");
		bool second = log_kv(buf, size, "b", "x \"y\"");
		print_message("size %zu: '%s'\n", size, buf);
		assert_string_equal(buf, first ? (second ? " a=1 b=\"x \\\"y\\\"\"" : " a=1") : "");
		assert_true(strlen(buf) < size);
	}

	/* a buffer without a NUL is not a string: refused, not overrun */
	char full[4] = { 'a', 'b', 'c', 'd' };
	assert_false(log_kv(full, sizeof(full), "k", "v"));
	assert_memory_equal(full, "abcd", 4);
	assert_false(log_kv(NULL, 10, "k", "v"));
	assert_false(log_kv(full, 0, "k", "v"));
}

static void test_kvf_long_value(void **state)
{
	char buf[512] = "", big[300];
	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* log_kvf keeps values up to 255 bytes */
	assert_true(log_kvf(buf, sizeof(buf), "k", "%s", big));
	assert_int_equal(strlen(buf), strlen(" k=") + 255);
}

/* Capture what log_msg writes to stderr at max_level. */
static void capture(enum log_level max_level, char *out, size_t size)
{
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);

	struct logger lg;
	log_open(&lg, max_level, true, false);
	log_err(&lg, "an error");
	log_warn(&lg, "a warning");
	log_info(&lg, "an info");
	log_debug(&lg, "a debug");
	log_close(&lg);
	fflush(stderr);

	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	size_t n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void test_levels(void **state)
{
	char out[1024];
	(void)state;
	capture(LOG_LVL_WARN, out, sizeof(out));
	assert_non_null(strstr(out, " vigild error: an error\n"));
	assert_non_null(strstr(out, " vigild warning: a warning\n"));
	assert_null(strstr(out, "an info"));
	assert_null(strstr(out, "a debug"));

	capture(LOG_LVL_DEBUG, out, sizeof(out));
	assert_non_null(strstr(out, " vigild info: an info\n"));
	assert_non_null(strstr(out, " vigild debug: a debug\n"));

	capture(LOG_LVL_ERR, out, sizeof(out));
	assert_non_null(strstr(out, "an error"));
	assert_null(strstr(out, "a warning"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_values),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_kvf_long_value),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
