/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading a configuration text in a unit test and expecting its messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_expect.h"

void load(struct loaded *l, const char *text)
{
	config_diag_init(&l->diag);
	l->cfg = NULL;
	l->rc = config_load_string(text, "t.ini", &l->cfg, &l->diag);
}

void unload(struct loaded *l)
{
	config_free(l->cfg);
	config_diag_free(&l->diag);
}

void dump(const struct config_diag *d)
{
	for (size_t i = 0; i < d->count; i++)
		print_message("  diag: %s\n", d->entries[i].text);
}

/* True when diag holds a message of severity sev at line containing needle,
 * and its printable text has the "t.ini:LINE: " (warning: ) prefix. */
bool has(const struct config_diag *d, enum config_severity sev, unsigned line,
		const char *needle)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "t.ini:%u: %s", line,
		 sev == CONFIG_WARNING ? "warning: " : "");
	for (size_t i = 0; i < d->count; i++) {
		const struct config_diag_entry *e = &d->entries[i];

		if (e->severity == sev && e->line == line && strstr(e->message, needle) &&
		    strncmp(e->text, prefix, strlen(prefix)) == 0)
			return true;
	}
	return false;
}

/* Loading text must fail with an error at line whose message contains needle. */
void expect_error(const char *text, unsigned line, const char *needle)
{
	struct loaded l;

	load(&l, text);
	if (l.rc != -EINVAL || !has(&l.diag, CONFIG_ERROR, line, needle)) {
		print_message("expected error at line %u containing '%s' (rc %d) for:\n%s\n",
			      line, needle, l.rc, text);
		dump(&l.diag);
	}
	assert_int_equal(l.rc, -EINVAL);
	assert_null(l.cfg);
	assert_true(has(&l.diag, CONFIG_ERROR, line, needle));
	unload(&l);
}

/* Loading text must succeed with a warning at line containing needle. */
void expect_warning(const char *text, unsigned line, const char *needle)
{
	struct loaded l;

	load(&l, text);
	if (l.rc != 0 || !has(&l.diag, CONFIG_WARNING, line, needle)) {
		print_message("expected warning at line %u containing '%s' (rc %d)\n", line,
			      needle, l.rc);
		dump(&l.diag);
	}
	assert_int_equal(l.rc, 0);
	assert_non_null(l.cfg);
	assert_true(has(&l.diag, CONFIG_WARNING, line, needle));
	assert_int_equal(l.diag.errors, 0);
	unload(&l);
}

