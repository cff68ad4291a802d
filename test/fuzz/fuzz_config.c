/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the configuration loader: a whole vigil.ini in, a validated config or its errors out, then vigild -t's summary. */
/*
 * The input is the file's text. config_load_file() refuses a file larger
 * than 1 MiB or with a NUL byte before it hands the text to
 * config_load_string(); the same is done here, so every input is one the
 * daemon could parse. Everything the loader allocates must be freed again
 * (LeakSanitizer runs after each input), on success and on error alike.
 *
 * Checked beyond "no crash": a load returns 0 with a config and no error,
 * or -EINVAL with no config and at least one error; every stored message
 * has its text; and a config that loaded prints (vigild -t) without
 * tripping a sanitizer, because -t is what an operator runs on a file
 * before trusting it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config.c's CONFIG_FILE_MAX: larger files never reach the parser. */
#define FILE_MAX (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct vigil_config *cfg = NULL;
	struct config_diag diag;
	char *text;
	int rc;

	if (size > FILE_MAX || memchr(data, '\0', size))
		return 0;
	/* The summary's text is not checked, only that printing it is sound:
	 * /dev/null keeps the run fast. */
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	config_diag_init(&diag);
	rc = config_load_string(text, "fuzz.ini", &cfg, &diag);
	if (rc == 0) {
		if (!cfg || diag.errors)
			abort();
		config_print_summary(cfg, sink);
		for (size_t i = 0; i < cfg->n_checks; i++)
			if (config_find_check(cfg, cfg->checks[i].name) < 0)
				abort();
	} else if (rc == -EINVAL) {
		if (cfg || diag.errors == 0)
			abort();
	} else if (rc != -ENOMEM) {
		abort();
	}
	if (diag.count > CONFIG_DIAG_MAX || diag.count + diag.dropped != diag.errors + diag.warnings)
		abort();
	for (size_t i = 0; i < diag.count; i++)
		if (!diag.entries[i].text || !diag.entries[i].message)
			abort();

	config_free(cfg);
	config_diag_free(&diag);
	free(text);
	return 0;
}
