// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket's protocol: one request line in, one answer out.
#include "control_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What a malformed request is told to try. */
#define USAGE_HINT "try: status"
/* An offending word is quoted back at most this long. */
#define WORD_SHOWN_MAX 32

const char *control_cmd_name(enum control_cmd cmd)
{
	switch (cmd) {
	case CONTROL_CMD_STATUS: return "status";
	case CONTROL_CMD__COUNT: break;
	}
	return "?";
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Up to max words of line into start/len; returns how many there are
 * (more than max are counted, not stored). */
static size_t split(const char *line, size_t len, const char **start, size_t *wlen, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && blank(line[i]))
			i++;
		if (i == len)
			break;
		size_t b = i;
		while (i < len && !blank(line[i]))
			i++;
		if (n < max) {
			start[n] = line + b;
			wlen[n] = i - b;
		}
		n++;
	}
	return n;
}

/* A word as it may be quoted back: printable ASCII only, cut short. */
static void shown(const char *w, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < cap && i < WORD_SHOWN_MAX; i++)
		out[n++] = (w[i] >= 0x20 && w[i] < 0x7f && w[i] != '\'') ? w[i] : '?';
	if (len > WORD_SHOWN_MAX && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(w, s, len) == 0;
}

int control_parse_request(const char *line, size_t len, struct control_request *req,
			  char *err, size_t errlen)
{
	const char *w[3];
	size_t wl[3], n;
	char word[WORD_SHOWN_MAX + 8];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "error: request contains a NUL byte; " USAGE_HINT "\n");
		return -EINVAL;
	}
	n = split(line, len, w, wl, 3);
	if (n == 0) {
		snprintf(err, errlen, "error: empty request; " USAGE_HINT "\n");
		return -EINVAL;
	}
	if (!word_is(w[0], wl[0], "status")) {
		shown(w[0], wl[0], word, sizeof(word));
		snprintf(err, errlen, "error: unknown command '%s'; " USAGE_HINT "\n", word);
		return -EINVAL;
	}
	*req = (struct control_request){ .cmd = CONTROL_CMD_STATUS };
	if (n == 1)
		return 0;
	if (n == 2 && word_is(w[1], wl[1], "json")) {
		req->json = true;
		return 0;
	}
	size_t bad = word_is(w[1], wl[1], "json") ? 2 : 1;
	shown(w[bad], wl[bad], word, sizeof(word));
	snprintf(err, errlen,
		 "error: status: unexpected argument '%s'; try: status, or status json\n", word);
	return -EINVAL;
}
