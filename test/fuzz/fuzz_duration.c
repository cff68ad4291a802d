/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for agent/duration.c: a configured duration ("100ms", "1.5s", "2") parsed, and formatted back. */
/*
 * Every timing key of vigil.ini goes through duration_parse(); vigild -t
 * and the logs print durations with duration_format(). The input is the
 * value as inih hands it over (a C string).
 *
 * Checked beyond "no crash": a refusal is -EINVAL or -ERANGE and leaves
 * the output untouched; an accepted value formats to text that parses back
 * to the same milliseconds. The first four input bytes, read as a number
 * of milliseconds, must survive format then parse as well, so the
 * printed form of every uint32_t is one the parser takes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(uint32_t ms)
{
	char buf[16];
	uint32_t back = 0;

	duration_format(ms, buf, sizeof(buf));
	if (!memchr(buf, '\0', sizeof(buf)) || duration_parse(buf, &back) != 0 || back != ms)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t untouched = 0xdeadbeef;
	uint32_t ms = untouched, raw;
	char *text;
	int rc;

	if (size >= sizeof(raw)) {
		memcpy(&raw, data, sizeof(raw));
		round_trip(raw);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = duration_parse(text, &ms);
	if (rc == 0)
		round_trip(ms);
	else if ((rc != -EINVAL && rc != -ERANGE) || ms != untouched)
		abort();
	free(text);
	return 0;
}
