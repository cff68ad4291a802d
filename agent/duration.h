/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing of configuration durations ("100ms", "1.5s", "2") into milliseconds. */
#ifndef VIGIL_DURATION_H
#define VIGIL_DURATION_H

#include <stdint.h>

/* Largest duration accepted: about 49.7 days, the range of a uint32_t in ms. */
#define DURATION_MAX_MS UINT32_MAX

/*
 * Parse a duration written as a decimal number with an optional unit:
 * "ms" (milliseconds) or "s" (seconds); a bare number means seconds, as
 * docs/design.md "Configuration contract" says ("100ms", "1.5s", "2" =
 * 2000 ms). Blanks around the number are
 * not accepted (inih already trims values). A fraction is allowed with "s"
 * (and bare seconds) down to whole milliseconds: "1.5s" = 1500, "0.001" = 1;
 * "1.0005s" (a fraction of a millisecond) and "1.5ms" are refused rather
 * than rounded, so a value never silently means something else.
 *
 * text: the string to parse (NUL-terminated); must not be NULL.
 * out_ms: receives the value in milliseconds on success (untouched on error).
 * Returns 0 on success, -EINVAL for empty input, a sign, garbage, a missing
 * digit or an unknown unit, -ERANGE when the value exceeds DURATION_MAX_MS.
 */
int duration_parse(const char *text, uint32_t *out_ms);

/*
 * Format a duration the way a user would write it: "0s", "200ms", "1s",
 * "1.5s", "40.95s". Always fits in 16 bytes.
 *
 * ms: the duration. buf, len: destination (len >= 16 recommended).
 * Returns buf.
 */
char *duration_format(uint32_t ms, char *buf, unsigned len);

#endif /* VIGIL_DURATION_H */
