/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for agent/restart_state.c: the state a vigild hands to its re-executed self, decoded, encoded back and decoded again. */
/*
 * The new vigild reads this text from a memfd named in its environment
 * (agent/reexec.c) before anything else; whatever it holds must be either
 * taken whole or refused whole (then the daemon starts cold), never half
 * read. The input is the memfd's bytes (restart_state_decode takes a
 * length, no NUL needed).
 *
 * Checked beyond "no crash": a refusal leaves the struct empty and says
 * "line N: why"; an accepted state has no name twice (each lookup finds
 * its own entry), encodes to text that decodes to the same entries, and
 * that text encodes to itself (the hand-over is stable across restarts).
 * LeakSanitizer checks that neither path keeps memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "restart_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_state(const struct restart_state *x, const struct restart_state *y)
{
	if (x->generation != y->generation || x->n_inst != y->n_inst || x->n_chk != y->n_chk)
		return false;
	for (size_t i = 0; i < x->n_inst; i++) {
		const struct restart_instance *a = &x->inst[i], *b = &y->inst[i];
		if (strcmp(a->name, b->name) || a->state != b->state || a->priority != b->priority ||
		    a->has_role != b->has_role || (a->has_role && a->role != b->role) ||
		    a->epoch != b->epoch || a->resigned != b->resigned)
			return false;
	}
	for (size_t i = 0; i < x->n_chk; i++)
		if (strcmp(x->chk[i].name, y->chk[i].name) || x->chk[i].level != y->chk[i].level)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restart_state s, again;
	char err[128], *text, *text2;
	int rc;

	err[0] = '\0';
	rc = restart_state_decode((const char *)data, size, &s, err, sizeof(err));
	if (rc != 0) {
		if ((rc != -EINVAL && rc != -ENOMEM) || s.inst || s.chk || s.n_inst || s.n_chk ||
		    strncmp(err, "line ", 5) != 0)
			abort();
		return 0;
	}

	for (size_t i = 0; i < s.n_inst; i++)
		if (restart_state_instance(&s, s.inst[i].name) != &s.inst[i] ||
		    s.inst[i].priority == 0)
			abort();
	for (size_t i = 0; i < s.n_chk; i++)
		if (restart_state_check(&s, s.chk[i].name) != &s.chk[i])
			abort();

	text = restart_state_encode(&s);
	if (!text)
		abort();
	if (restart_state_decode(text, strlen(text), &again, err, sizeof(err)) != 0)
		abort();
	if (!same_state(&s, &again))
		abort();
	text2 = restart_state_encode(&again);
	if (!text2 || strcmp(text, text2) != 0)
		abort();

	free(text2);
	free(text);
	restart_state_free(&again);
	restart_state_free(&s);
	return 0;
}
