// SPDX-License-Identifier: GPL-2.0-or-later
// Quorum on etcd: the lease rules, as a pure state machine (quorum_rules.h).
#include "quorum_rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* etcd refuses TTLs below its minimum (about 2 s with the default
 * election timeout of 1 s: heartbeat-interval * 3/2 + election timeout). */
#define QUORUM_TTL_MIN_MS 2000u

const char *quorum_state_name(enum quorum_state s)
{
	switch (s) {
	case QUORUM_IDLE: return "idle";
	case QUORUM_GRANTING: return "granting";
	case QUORUM_ACQUIRING: return "acquiring";
	case QUORUM_HELD: return "held";
	case QUORUM_LOST: return "lost";
	case QUORUM_STATE__COUNT: break;
	}
	return "?";
}

int quorum_init(struct quorum *q, const struct quorum_conf *conf)
{
	if (conf->ttl_ms < QUORUM_TTL_MIN_MS || conf->demote_budget_ms >= conf->ttl_ms / 2 ||
	    conf->retry_ms == 0)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->conf = *conf;
	return 0;
}

static void push(struct quorum_actions *out, enum quorum_action_type t, int64_t lease,
		 const char *why)
{
	if (out->n < QUORUM_ACTIONS_MAX)
		out->a[out->n++] = (struct quorum_action){ .type = t, .lease = lease, .why = why };
}

/* Send the request the state calls for (nothing is out). */
static void send_next(struct quorum *q, uint64_t now_ms, struct quorum_actions *out)
{
	q->retry_at_ms = 0;
	switch (q->state) {
	case QUORUM_GRANTING:
		push(out, QUORUM_ACT_GRANT, 0, NULL);
		break;
	case QUORUM_ACQUIRING:
		push(out, QUORUM_ACT_ACQUIRE, q->lease, NULL);
		break;
	case QUORUM_HELD:
		push(out, QUORUM_ACT_KEEPALIVE, q->lease, NULL);
		break;
	case QUORUM_IDLE:
	case QUORUM_LOST:
	case QUORUM_STATE__COUNT:
		return;
	}
	(void)now_ms;
	q->in_flight = true;
}

/* Give up the lease we hold (etcd then deletes the key it carries). */
static void drop_lease(struct quorum *q, struct quorum_actions *out)
{
	if (q->lease)
		push(out, QUORUM_ACT_REVOKE, q->lease, NULL);
	q->lease = 0;
	q->granted_ttl_ms = 0;
	q->acked_send_ms = 0;
}

uint64_t quorum_deadline_ms(const struct quorum *q)
{
	if (!q->lease || !q->granted_ttl_ms)
		return 0;
	uint64_t end = q->acked_send_ms + q->granted_ttl_ms;
	return end > q->conf.demote_budget_ms ? end - q->conf.demote_budget_ms : 0;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void set_wakeup(const struct quorum *q, struct quorum_actions *out)
{
	uint64_t w = q->retry_at_ms;
	if (q->state == QUORUM_HELD) {
		if (!q->in_flight)
			w = min_nonzero(w, q->next_renew_ms);
		if (!q->demoted)
			w = min_nonzero(w, quorum_deadline_ms(q));
	}
	out->wakeup_ms = w;
}

static void begin(struct quorum_actions *out)
{
	out->n = 0;
	out->wakeup_ms = 0;
}

void quorum_want(struct quorum *q, bool want, uint64_t now_ms, struct quorum_actions *out)
{
	begin(out);
	if (want == q->wanted) {
		set_wakeup(q, out);
		return;
	}
	q->wanted = want;
	if (!want) {
		/* Every demotion revokes: the peer takes the key at once
		 * instead of waiting for our lease to run out. */
		drop_lease(q, out);
		q->state = QUORUM_IDLE;
		q->in_flight = false;
		q->retry_at_ms = 0;
		q->demoted = false;
		q->holder[0] = '\0';
		set_wakeup(q, out);
		return;
	}
	q->state = QUORUM_GRANTING;
	q->demoted = false;
	if (!q->in_flight)
		send_next(q, now_ms, out);
	set_wakeup(q, out);
}

/* A request failed: try it again after retry_ms. */
static void retry_later(struct quorum *q, uint64_t now_ms)
{
	q->retry_at_ms = now_ms + q->conf.retry_ms;
	/* A renewal that failed is the next renewal, not one due at once. */
	if (q->state == QUORUM_HELD)
		q->next_renew_ms = q->retry_at_ms;
}

void quorum_granted(struct quorum *q, bool ok, int64_t lease, uint32_t ttl_ms, uint64_t sent_ms,
		    uint64_t now_ms, struct quorum_actions *out)
{
	begin(out);
	if (q->state != QUORUM_GRANTING || !q->in_flight) {
		/* Not asked for any more (no longer wanted): give it back. */
		if (ok && lease > 0)
			push(out, QUORUM_ACT_REVOKE, lease, NULL);
		if (q->state == QUORUM_IDLE)
			q->in_flight = false;
		set_wakeup(q, out);
		return;
	}
	q->in_flight = false;
	if (!ok || lease <= 0 || ttl_ms == 0) {
		q->counters.grant_failures++;
		retry_later(q, now_ms);
		set_wakeup(q, out);
		return;
	}
	q->counters.grants++;
	q->lease = lease;
	/* etcd may grant another TTL than asked; the answer is what counts. */
	q->granted_ttl_ms = ttl_ms;
	q->acked_send_ms = sent_ms;
	q->state = QUORUM_ACQUIRING;
	send_next(q, now_ms, out);
	set_wakeup(q, out);
}

void quorum_acquired(struct quorum *q, bool ok, bool won, const char *holder, uint64_t now_ms,
		     struct quorum_actions *out)
{
	begin(out);
	if (q->state != QUORUM_ACQUIRING || !q->in_flight) {
		set_wakeup(q, out);
		return;
	}
	q->in_flight = false;
	if (!ok) {
		q->counters.acquire_failures++;
		retry_later(q, now_ms);
		set_wakeup(q, out);
		return;
	}
	if (!won) {
		/* Another node holds the key: it is the master etcd knows.
		 * Our lease is of no use; ask again later (its lease may
		 * expire, or it may revoke it when it demotes). */
		q->counters.lost_to_other++;
		snprintf(q->holder, sizeof(q->holder), "%s", holder ? holder : "");
		drop_lease(q, out);
		q->state = QUORUM_LOST;
		retry_later(q, now_ms);
		set_wakeup(q, out);
		return;
	}
	q->counters.acquired++;
	q->state = QUORUM_HELD;
	q->demoted = false;
	q->holder[0] = '\0';
	q->next_renew_ms = now_ms + q->granted_ttl_ms / 3;
	push(out, QUORUM_ACT_ALLOW, q->lease, NULL);
	set_wakeup(q, out);
}

void quorum_renewed(struct quorum *q, bool ok, uint32_t ttl_left_ms, bool ours, uint64_t sent_ms,
		    uint64_t now_ms, struct quorum_actions *out)
{
	begin(out);
	if (q->state != QUORUM_HELD || !q->in_flight) {
		set_wakeup(q, out);
		return;
	}
	q->in_flight = false;
	if (!ok) {
		q->counters.renewal_failures++;
		retry_later(q, now_ms);
		set_wakeup(q, out);
		return;
	}
	if (ttl_left_ms == 0 || !ours) {
		/* etcd says so: another node may hold the key. Close now,
		 * whatever quorum_lost says. */
		q->counters.not_ours++;
		drop_lease(q, out);
		q->state = QUORUM_LOST;
		if (!q->demoted)
			push(out, QUORUM_ACT_DEMOTE, 0,
			     ttl_left_ms == 0 ? "etcd says our lease expired"
					      : "the key no longer carries our lease");
		q->demoted = true;
		retry_later(q, now_ms);
		set_wakeup(q, out);
		return;
	}
	q->counters.renewals++;
	q->demoted = false; /* (hold) a later loss is reported again */
	if (sent_ms > q->acked_send_ms)
		q->acked_send_ms = sent_ms;
	q->next_renew_ms = now_ms + q->granted_ttl_ms / 3;
	set_wakeup(q, out);
}

void quorum_tick(struct quorum *q, uint64_t now_ms, struct quorum_actions *out)
{
	begin(out);
	if (q->state == QUORUM_HELD && !q->demoted) {
		uint64_t deadline = quorum_deadline_ms(q);
		if (deadline && now_ms >= deadline) {
			if (q->conf.hold) {
				/* Availability over safety, as configured: say it
				 * once per holding and keep trying to renew. */
				q->counters.held_through_loss++;
				q->demoted = true; /* the deadline is reported once */
			} else {
				q->counters.deadline_demotions++;
				push(out, QUORUM_ACT_DEMOTE, 0,
				     "could not renew the lease before the safety deadline");
				q->demoted = true;
				/* Stop renewing: if the demotion could not be
				 * confirmed, the lease must run out by itself. */
				q->state = QUORUM_LOST;
				q->lease = 0;
				q->granted_ttl_ms = 0;
				q->retry_at_ms = now_ms + q->conf.retry_ms;
				set_wakeup(q, out);
				return;
			}
		}
	}
	if (q->state == QUORUM_LOST && q->wanted && !q->in_flight && q->retry_at_ms &&
	    now_ms >= q->retry_at_ms) {
		q->state = QUORUM_GRANTING;
		send_next(q, now_ms, out);
	} else if (!q->in_flight && q->retry_at_ms && now_ms >= q->retry_at_ms) {
		send_next(q, now_ms, out);
	} else if (q->state == QUORUM_HELD && !q->in_flight && now_ms >= q->next_renew_ms) {
		send_next(q, now_ms, out);
	}
	set_wakeup(q, out);
}

bool quorum_may_write(const struct quorum *q, uint64_t now_ms)
{
	if (q->state != QUORUM_HELD)
		return false;
	uint64_t deadline = quorum_deadline_ms(q);
	return q->conf.hold || !deadline || now_ms < deadline;
}
