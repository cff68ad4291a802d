/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for checks/gtid.c: GTID lists as a server prints them, parsed, formatted back and compared. */
/*
 * The lists come from the servers (@@gtid_binlog_pos, @@gtid_slave_pos,
 * Gtid_IO_Pos, @@gtid_binlog_state of the local server and of its peers)
 * and decide promotions and contests, so the arithmetic must hold on
 * whatever parses, not just on tidy lists.
 *
 * Input: list A, then optionally a NUL byte and list B (each read as the
 * C string it would be).
 *
 * Checked beyond "no crash": a refused list comes back empty with an
 * "offset N: " message; an accepted one has no (domain, server) twice,
 * formats to text that parses back to the same entries, needs exactly
 * strlen + 1 bytes to format (one fewer gives -ENOSPC and ""), covers
 * itself and misses nothing of itself. For A and B: covers agrees with
 * missing, compare is antisymmetric, a state with no gaps covers, and each
 * gap runs forward.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gtid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "4294967295-4294967295-18446744073709551615," per entry, plus the NUL. */
#define FMT_MAX (GTID_MAX * 43 + 1)

static bool same(const struct gtid_list *x, const struct gtid_list *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].domain != y->e[i].domain || x->e[i].server != y->e[i].server ||
		    x->e[i].seq != y->e[i].seq)
			return false;
	return true;
}

/* Parse text; on success check the list on its own. Returns whether it parsed. */
static bool parse_checked(const char *text, struct gtid_list *l)
{
	char err[96], buf[FMT_MAX];
	struct gtid_list back;
	size_t len;

	err[0] = '\0';
	if (gtid_parse(text, l, err, sizeof(err)) < 0) {
		if (l->n != 0 || strncmp(err, "offset ", 7) != 0 ||
		    !memchr(err, '\0', sizeof(err)))
			abort();
		return false;
	}
	if (l->n > GTID_MAX)
		abort();
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < i; j++)
			if (l->e[i].domain == l->e[j].domain && l->e[i].server == l->e[j].server)
				abort();

	if (gtid_format(l, buf, sizeof(buf)) != 0)
		abort();
	if (gtid_parse(buf, &back, NULL, 0) != 0 || !same(l, &back))
		abort();
	len = strlen(buf);
	if (gtid_format(l, buf, len + 1) != 0 || strlen(buf) != len)
		abort();
	if (len > 0 && (gtid_format(l, buf, len) != -ENOSPC || buf[0] != '\0'))
		abort();

	if (!gtid_covers(l, l) || gtid_missing(l, l) != 0 || gtid_compare(l, l) != 0 ||
	    gtid_state_gaps(l, l, NULL, 0) != 0)
		abort();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gtid_list a, b; /* 1.5 KiB each: off the stack */
	struct gtid_gap gaps[GTID_MAX];
	const char *sa, *sb = NULL;
	char *text;
	size_t n;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sa = text;
	if (strlen(text) < size)
		sb = text + strlen(text) + 1; /* after the first NUL */

	if (!parse_checked(sa, &a) || !sb || !parse_checked(sb, &b)) {
		free(text);
		return 0;
	}

	if (gtid_covers(&a, &b) != (gtid_missing(&a, &b) == 0))
		abort();
	if (gtid_compare(&a, &b) != -gtid_compare(&b, &a))
		abort();
	if (gtid_covers(&a, &b) && !gtid_covers(&b, &a) && gtid_compare(&a, &b) != 1)
		abort();

	n = gtid_state_gaps(&a, &b, gaps, GTID_MAX);
	if (n > b.n)
		abort();
	if (n == 0 && !gtid_covers(&a, &b))
		abort();
	for (size_t i = 0; i < n; i++)
		if (gaps[i].from == 0 || gaps[i].from > gaps[i].to)
			abort();
	/* Counting without storing gives the same answer. */
	if (gtid_state_gaps(&a, &b, NULL, 0) != n)
		abort();

	free(text);
	return 0;
}
