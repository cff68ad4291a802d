/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gtid: pure MariaDB GTID list arithmetic (parse, format, compare, gaps; no I/O, no malloc). */
#ifndef VIGIL_GTID_H
#define VIGIL_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A MariaDB GTID is DOMAIN-SERVER-SEQ: replication domain (u32), server_id
 * of the server that wrote the transaction (u32) and sequence number (u64).
 * The server prints lists of them as "D-S-N,D-S-N,...":
 *
 *   @@gtid_binlog_pos, @@gtid_slave_pos, Gtid_IO_Pos   one entry per domain:
 *       a position, the last transaction written/applied/received there;
 *   @@gtid_binlog_state                                one entry per
 *       (domain, server_id): the last transaction each server wrote there.
 *
 * Positions are compared per domain: inside one domain sequence numbers
 * grow whatever server wrote them, which is what MASTER_GTID_WAIT() and
 * CHANGE MASTER ... master_use_gtid rely on. A domain missing from a list
 * counts as sequence number 0 (nothing received there yet). When a state
 * list is used as a position, the highest sequence number of each domain
 * counts.
 *
 * Fixed-size lists (no malloc): a list holds at most GTID_MAX entries,
 * far more than the domains and server ids a real topology uses, so a
 * longer one is refused as junk rather than truncated: a truncated
 * position would claim less than the server has.
 */
#define GTID_MAX 64

struct gtid {
	uint32_t domain, server;
	uint64_t seq;
};

/* Entries in the order they were written; n <= GTID_MAX. */
struct gtid_list {
	size_t n;
	struct gtid e[GTID_MAX];
};

/*
 * Parse a GTID list as the server prints it: "D-S-N[,D-S-N...]".
 * Blanks, tabs, CR and newlines are allowed around entries and commas
 * (SHOW output wraps long lists); nothing else is. Each number is plain
 * decimal digits (no sign, no blank inside an entry) within range: domain
 * and server_id up to 4294967295, seq up to 18446744073709551615. An empty
 * or all-blank text is the empty list. Refused: a missing part ("0-1"),
 * an empty entry (",", "0-1-5,", "0-1-5,,1-2-3"), junk after a number,
 * more than GTID_MAX entries, and the same (domain, server_id) twice (the
 * server never prints that; it would make the list ambiguous).
 *
 * text:   NUL-terminated list; NULL is refused.
 * out:    filled on success; on error out->n is 0 (never half a list).
 * err:    on error, a one-line message naming the byte offset of the
 *         problem; for "0-1-5,2x": "offset 7: expected '-' after the
 *         domain, found 'x'". May be NULL (then errlen is ignored).
 * Returns 0, or -EINVAL.
 */
int gtid_parse(const char *text, struct gtid_list *out, char *err, size_t errlen);

/*
 * Format l as "D-S-N,D-S-N" in list order ("" for the empty list), the
 * form gtid_parse() reads back and the server accepts in
 * SET GLOBAL gtid_slave_pos.
 *
 * buf/len: destination and its size, NUL included.
 * Returns 0; -ENOSPC if it does not fit (buf is then "" when len > 0, never
 * a shorter list that would parse as a smaller position); -EINVAL if
 * l->n > GTID_MAX.
 */
int gtid_format(const struct gtid_list *l, char *buf, size_t len);

/*
 * Whether position have contains everything position want names: for every
 * domain of want, have's sequence number there is at least want's (a
 * domain absent from have counts as 0). The server_id is not compared.
 * An empty want is covered by anything.
 * Returns true if covered (exactly when gtid_missing(have, want) is 0).
 */
bool gtid_covers(const struct gtid_list *have, const struct gtid_list *want);

/*
 * How many transactions have lacks of want, by sequence numbers: the sum
 * over the domains of want of max(0, want.seq - have.seq). Exact when
 * sequence numbers have no holes, which is the normal case inside one
 * domain; used to report "waited for M transactions".
 * Returns the count, saturated at UINT64_MAX.
 */
uint64_t gtid_missing(const struct gtid_list *have, const struct gtid_list *want);

/*
 * Which of two positions received more (the freshest server wins):
 *   a covers b and b does not cover a ->  1
 *   b covers a and a does not cover b -> -1
 *   each covers the other (same)      ->  0
 *   neither (diverged: each has transactions the other lacks): the larger
 *   sum of sequence numbers over all domains wins, 1 or -1; equal sums, 0.
 * The sum comparison is done as gtid_missing(b, a) against
 * gtid_missing(a, b), which is the same difference without overflowing.
 * Returns 1, -1 or 0 as above.
 */
int gtid_compare(const struct gtid_list *a, const struct gtid_list *b);

/* Transactions written by server on domain with seq in from..to
 * (inclusive) that one state lacks. */
struct gtid_gap {
	uint32_t domain, server;
	uint64_t from, to;
};

/*
 * What have_state lacks of state, per (domain, server_id): both are
 * @@gtid_binlog_state lists. For each entry (D, S, N) of state, if
 * have_state has (D, S, M) with M < N the gap is (D, S, M + 1, N); if it
 * has no (D, S) entry at all, (D, S, 1, N). These are the writes a server
 * took that another never received (the window to name after a diverged
 * failover). Gaps come in the order of state's entries.
 *
 * out/max: where to write at most max gaps; out may be NULL when max is 0.
 * Returns the number of gaps found, which may exceed max (as snprintf
 * does) so the caller can tell the answer was cut short.
 */
size_t gtid_state_gaps(const struct gtid_list *have_state, const struct gtid_list *state,
		       struct gtid_gap *out, size_t max);

#endif
