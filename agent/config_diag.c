/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Collecting configuration errors and warnings as "FILE:LINE: message" lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* ---- diagnostics --------------------------------------------------- */

void config_diag_init(struct config_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
}

void config_diag_free(struct config_diag *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < diag->count; i++) {
		free(diag->entries[i].message);
		free(diag->entries[i].text);
	}
	free(diag->entries);
	config_diag_init(diag);
}

const char *config_severity_name(enum config_severity sev)
{
	switch (sev) {
	case CONFIG_ERROR: return "error";
	case CONFIG_WARNING: return "warning";
	}
	return "?";
}

void config_diag_add(struct config_diag *diag, enum config_severity sev,
		     const char *file, unsigned line, const char *fmt, ...)
{
	struct config_diag_entry *e;
	char msg[1024], text[1400];
	va_list ap;

	if (sev == CONFIG_ERROR)
		diag->errors++;
	else
		diag->warnings++;
	if (diag->count == CONFIG_DIAG_MAX) {
		diag->dropped++;
		return;
	}
	if (diag->count == diag->cap) {
		size_t cap = diag->cap ? diag->cap * 2 : 16;
		void *p = realloc(diag->entries, cap * sizeof(*diag->entries));

		if (!p) {
			diag->dropped++;
			return;
		}
		diag->entries = p;
		diag->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!file)
		file = "<config>";
	if (line)
		snprintf(text, sizeof(text), "%s:%u: %s%s", file, line,
			 sev == CONFIG_WARNING ? "warning: " : "", msg);
	else
		snprintf(text, sizeof(text), "%s: %s%s", file,
			 sev == CONFIG_WARNING ? "warning: " : "", msg);
	e = &diag->entries[diag->count];
	e->severity = sev;
	e->line = line;
	e->message = strdup(msg);
	e->text = strdup(text);
	if (!e->message || !e->text) {
		free(e->message);
		free(e->text);
		diag->dropped++;
		return;
	}
	diag->count++;
}

