/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the duration parser and formatter (agent/duration.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "duration.h"

static void test_accepted(void **state)
{
	static const struct { const char *in; uint32_t ms; } cases[] = {
		{ "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "1", 1000 }, { "2", 2000 },
		{ "100ms", 100 }, { "1.5s", 1500 }, { "1.5", 1500 }, { "0.001", 1 },
		{ "0.01s", 10 }, { "40.95s", 40950 }, { "1.500s", 1500 }, { ".5", 500 },
		{ "1.5000", 1500 }, { "007ms", 7 }, { "4294967295ms", 4294967295u },
		{ "4294967.295s", 4294967295u }, { "4294967s", 4294967000u },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ms = 12345;

		print_message("input '%s'\n", cases[i].in);
		assert_int_equal(duration_parse(cases[i].in, &ms), 0);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void test_refused(void **state)
{
	static const struct { const char *in; int rc; } cases[] = {
		{ "", -EINVAL }, { "s", -EINVAL }, { "ms", -EINVAL }, { "-1", -EINVAL },
		{ "-1s", -EINVAL }, { "+1", -EINVAL }, { "1x", -EINVAL }, { "1 s", -EINVAL },
		{ " 1", -EINVAL }, { "1.", -EINVAL }, { ".", -EINVAL }, { "1.5ms", -EINVAL },
		{ "1.0001s", -EINVAL }, { "abc", -EINVAL }, { "1m", -EINVAL }, { "1h", -EINVAL },
		{ "1sec", -EINVAL }, { "1S", -EINVAL }, { "0x10", -EINVAL }, { "1e3", -EINVAL },
		{ "1..5", -EINVAL }, { "4294967296ms", -ERANGE }, { "4294968s", -ERANGE },
		{ "4294967.296", -ERANGE }, { "99999999999999999999999999", -ERANGE },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ms = 777;

		print_message("input '%s'\n", cases[i].in);
		assert_int_equal(duration_parse(cases[i].in, &ms), cases[i].rc);
		assert_int_equal(ms, 777);  /* untouched on error */
	}
}

static void test_format(void **state)
{
	static const struct { uint32_t ms; const char *out; } cases[] = {
		{ 0, "0s" }, { 10, "10ms" }, { 999, "999ms" }, { 1000, "1s" }, { 1500, "1.5s" },
		{ 40950, "40.95s" }, { 1001, "1.001s" }, { 86400000, "86400s" },
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t back = 0;

		assert_string_equal(duration_format(cases[i].ms, buf, sizeof(buf)), cases[i].out);
		/* what we print, we parse back to the same value */
		assert_int_equal(duration_parse(buf, &back), 0);
		assert_int_equal(back, cases[i].ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
