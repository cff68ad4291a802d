/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading a configuration text in a unit test and expecting its messages. */
#ifndef VIGIL_TEST_CONFIG_EXPECT_H
#define VIGIL_TEST_CONFIG_EXPECT_H

#include <stdbool.h>

#include "config.h"

struct loaded {
	int rc;
	struct vigil_config *cfg;
	struct config_diag diag;
};

/* Load text as the file "t.ini". */
void load(struct loaded *l, const char *text);
void unload(struct loaded *l);
/* Print every message (a failing test shows why). */
void dump(const struct config_diag *d);
/* True when diag holds a message of severity sev at line containing
 * needle, and its printable text has the "t.ini:LINE: " (warning: ) prefix. */
bool has(const struct config_diag *d, enum config_severity sev, unsigned line, const char *needle);
/* Loading text must fail with an error at line whose message contains needle. */
void expect_error(const char *text, unsigned line, const char *needle);
/* Loading text must succeed with a warning at line containing needle. */
void expect_warning(const char *text, unsigned line, const char *needle);

#endif
