// SPDX-License-Identifier: GPL-2.0-or-later
// `vigild -t`'s effective-priority table: what each check's failure does
// to an instance's priority, and whether that can ever move the VIP.
#include "priority_table.h"

#include <stdbool.h>
#include <stdlib.h>

#include "score.h"

/*
 * Would a healthy peer of priority peer take the VIP from this instance
 * while it advertises prio? The rules of docs/design.md "Health takeover" and
 * of RFC 5798 6.4.2 (a preempting backup ignores a lower master and its
 * Master_Down_Timer runs out).
 */
static bool peer_takes_over(const struct config_instance *in, uint8_t prio, uint8_t peer)
{
	if (prio >= peer)
		return false;
	if (in->preempt)
		return true;
	/* preempt = no: only the health takeover below resign_below. */
	return in->health_takeover && in->resign_below && prio < in->resign_below &&
	       peer >= in->resign_below;
}

static const char *verdict(const struct config_instance *in, uint8_t prio, bool fault,
			   uint8_t peer)
{
	if (fault)
		return "FAULT: the VIP leaves this node";
	if (in->priority == 255)
		return "address owner: never changes";
	return peer_takes_over(in, prio, peer) ? "the peer takes the VIP"
					       : "the VIP stays here";
}

static unsigned print_instance(const struct vigil_config *cfg, const struct config_instance *in,
			       uint8_t peer, FILE *out, FILE *err)
{
	struct score_check_conf *sc = calloc(in->n_track ? in->n_track : 1, sizeof(*sc));
	if (!sc)
		return 0;
	for (size_t i = 0; i < in->n_track; i++) {
		const struct config_check *c = &cfg->checks[in->track_index[i]];
		sc[i] = (struct score_check_conf){
			.name = c->name, .penalty = c->penalty,
			.degraded_penalty = c->degraded_penalty,
			.rise = c->rise, .fall = c->fall, .fatal = c->fatal,
		};
	}
	fprintf(out, "instance %s: effective priority against a healthy peer of priority %u "
		"configured alike (preempt %s, resign_below %u, health_takeover %s)\n",
		in->name, peer, in->preempt ? "yes" : "no", in->resign_below,
		in->health_takeover ? "yes" : "no");
	bool fault = false;
	uint8_t p = score_what_if(in->priority, sc, in->n_track, in->n_track, CHECK_OK, &fault);
	fprintf(out, "  %-28s %3u  %s\n", "all checks ok", p,
		p < peer ? "below the peer: the peer would hold the VIP when healthy"
			 : "this node is preferred");
	unsigned warnings = 0;
	for (size_t i = 0; i < in->n_track; i++) {
		for (int lvl = CHECK_FAILED; lvl >= CHECK_DEGRADED; lvl--) {
			char label[64];
			snprintf(label, sizeof(label), "%s %s", sc[i].name,
				 check_status_name((enum check_status)lvl));
			p = score_what_if(in->priority, sc, in->n_track, i, (enum check_status)lvl,
					  &fault);
			fprintf(out, "  %-28s %3u  %s\n", label, p, verdict(in, p, fault, peer));
			if (lvl == CHECK_FAILED && !fault && in->priority != 255 &&
			    !peer_takes_over(in, p, peer)) {
				const struct config_check *c = &cfg->checks[in->track_index[i]];
				fprintf(err,
					"%s:%u: warning: instance %s: with check %s failed the priority is "
					"%u, which a healthy peer of priority %u does not take over from "
					"(raise penalty%s, or pass --peer-priority)\n",
					cfg->source, config_key_line(&c->origin, "penalty"), in->name,
					c->name, p, peer, in->preempt ? "" : ", or set resign_below");
				warnings++;
			}
		}
	}
	free(sc);
	return warnings;
}

unsigned priority_table_print(const struct vigil_config *cfg, uint8_t peer_priority,
			      FILE *out, FILE *err)
{
	unsigned warnings = 0;
	for (size_t i = 0; i < cfg->n_instances; i++)
		warnings += print_instance(cfg, &cfg->instances[i], peer_priority, out, err);
	return warnings;
}
