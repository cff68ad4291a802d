/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for netlink/linkmon.c: one rtnetlink datagram walked message by message with linkmon_parse. */
/*
 * The input is a datagram as recvfrom() returns it on linkmon's socket
 * (already known to come from the kernel). It is walked the way
 * linkmon.c's handle_datagram does: parse at an offset, stop when the
 * framing is broken (used 0), else skip used bytes. libFuzzer's buffer is
 * exactly the input's size, so any read past a message shows as a heap
 * overflow.
 *
 * Checked beyond "no crash": used never passes the datagram's end and is
 * non-zero for an accepted message (else the walk would spin); an
 * accepted link message has a non-empty, terminated name and an index
 * above 0; an accepted address message a prefix of at most 32 and an
 * index above 0; refused messages leave the struct zeroed.
 */
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linkmon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const struct linkmon_msg *m)
{
	switch (m->type) {
	case LINKMON_MSG_LINK_NEW:
	case LINKMON_MSG_LINK_DEL:
		if (m->ifindex <= 0 || memchr(m->ifname, '\0', sizeof(m->ifname)) == NULL ||
		    m->ifname[0] == '\0')
			abort();
		break;
	case LINKMON_MSG_ADDR_NEW:
	case LINKMON_MSG_ADDR_DEL:
		if (m->ifindex <= 0 || m->prefix > 32)
			abort();
		break;
	case LINKMON_MSG_IGNORED:
	case LINKMON_MSG_DONE:
	case LINKMON_MSG_ERROR:
	case LINKMON_MSG_OVERRUN:
		break;
	default:
		abort();
	}
	/* Names for the logs and counters exist for whatever came back. */
	if (!linkmon_msg_type_name(m->type))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct linkmon_msg zero;
	size_t off = 0;

	while (off < size) {
		struct linkmon_msg m;
		size_t used;
		enum linkmon_drop d = linkmon_parse(data + off, size - off, &used, &m);

		if ((unsigned)d >= LINKMON_DROP__COUNT || !linkmon_drop_name(d))
			abort();
		if (used > size - off)
			abort();
		if (d != LINKMON_DROP_NONE) {
			if (memcmp(&m, &zero, sizeof(m)) != 0)
				abort();
			if (used == 0)
				break; /* framing broken: linkmon drops the rest */
		} else {
			if (used == 0)
				abort();
			check_msg(&m);
		}
		off += used;
	}
	return 0;
}
