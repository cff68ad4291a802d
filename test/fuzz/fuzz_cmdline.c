/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for agent/cmdline.c: a notify or script command as configured, split into argv without a shell. */
/*
 * The words become execve()'s argv for notify scripts and script checks
 * (config keys notify*, command), run as root: a word split differently
 * than the documented rules say would run another program or pass other
 * arguments. The input is the value as inih hands it over (a C string);
 * the word limit is the configuration's, CONFIG_ARGV_MAX.
 *
 * Checked beyond "no crash": an accepted command has 1..64 words, a NULL
 * after the last, and no word holds a '"' (quotes only group); written
 * back with each word in quotes and one blank between, it splits into
 * the same words. A refusal says why and allocates nothing (LeakSanitizer).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config.h's CONFIG_ARGV_MAX. */
#define WORDS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **argv = NULL, **back = NULL, *text, *joined, *q;
	size_t argc = 0, bargc = 0, total = 0;
	const char *why;
	int rc;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = cmdline_split(text, WORDS_MAX, &argv, &argc, &why);
	if (rc != 0) {
		if ((rc == -EINVAL) != (why != NULL) || (rc != -EINVAL && rc != -ENOMEM))
			abort();
		free(text);
		return 0;
	}
	if (why || argc == 0 || argc > WORDS_MAX || argv[argc] != NULL)
		abort();
	for (size_t i = 0; i < argc; i++) {
		if (strchr(argv[i], '"'))
			abort();
		total += strlen(argv[i]) + 3;
	}
	if (total - 3 * argc > strlen(text))
		abort(); /* words hold only bytes of the text */

	joined = malloc(total + 1);
	if (!joined)
		abort();
	q = joined;
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		*q++ = '"';
		memcpy(q, argv[i], n);
		q += n;
		*q++ = '"';
		*q++ = ' ';
	}
	*q = '\0';
	if (cmdline_split(joined, WORDS_MAX, &back, &bargc, &why) != 0 || bargc != argc)
		abort();
	for (size_t i = 0; i < argc; i++)
		if (strcmp(argv[i], back[i]) != 0)
			abort();

	cmdline_free(back);
	cmdline_free(argv);
	free(joined);
	free(text);
	return 0;
}
