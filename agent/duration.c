/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing of configuration durations ("100ms", "1.5s", "2") into milliseconds. */
#include "duration.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Digits before the decimal point; stops before overflowing uint64_t. */
static int parse_whole(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (uint64_t)(**p - '0');
		if (v > DURATION_MAX_MS)
			v = (uint64_t)DURATION_MAX_MS + 1; /* saturate: reported as -ERANGE */
		(*p)++;
		n++;
	}
	*out = v;
	return n;
}

int duration_parse(const char *text, uint32_t *out_ms)
{
	const char *p = text;
	uint64_t whole = 0, frac_ms = 0;
	int whole_digits, frac_digits = 0;
	uint64_t scale;

	whole_digits = parse_whole(&p, &whole);
	if (*p == '.') {
		p++;
		/* Up to three fractional digits are milliseconds; more non-zero
		 * digits would be a fraction of a millisecond. */
		while (*p >= '0' && *p <= '9') {
			if (frac_digits < 3)
				frac_ms = frac_ms * 10 + (uint64_t)(*p - '0');
			else if (*p != '0')
				return -EINVAL;
			frac_digits++;
			p++;
		}
		if (frac_digits == 0)
			return -EINVAL; /* "1." */
		for (int i = frac_digits; i < 3; i++)
			frac_ms *= 10;
	}
	if (whole_digits == 0 && frac_digits == 0)
		return -EINVAL; /* empty, sign, or no digit at all */

	if (strcmp(p, "ms") == 0) {
		if (frac_digits > 0)
			return -EINVAL; /* "1.5ms": below our resolution */
		scale = 1;
	} else if (strcmp(p, "s") == 0 || *p == '\0') {
		scale = 1000;
	} else {
		return -EINVAL;
	}

	if (whole > DURATION_MAX_MS / scale)
		return -ERANGE;
	whole = whole * scale + frac_ms;
	if (whole > DURATION_MAX_MS)
		return -ERANGE;
	*out_ms = (uint32_t)whole;
	return 0;
}

char *duration_format(uint32_t ms, char *buf, unsigned len)
{
	if (len == 0)
		return buf;
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms < 1000)
		snprintf(buf, len, "%ums", (unsigned)ms);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%us", (unsigned)(ms / 1000));
	else if (ms % 100 == 0)
		snprintf(buf, len, "%u.%01us", (unsigned)(ms / 1000), (unsigned)(ms % 1000 / 100));
	else if (ms % 10 == 0)
		snprintf(buf, len, "%u.%02us", (unsigned)(ms / 1000), (unsigned)(ms % 1000 / 10));
	else
		snprintf(buf, len, "%u.%03us", (unsigned)(ms / 1000), (unsigned)(ms % 1000));
	return buf;
}
