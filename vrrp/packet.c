/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VRRP advert codec: pure encode/decode/validate of VRRPv3 and VRRPv2 messages. */
#include "packet.h"

#include <errno.h>
#include <string.h>

/*
 * Wire layout, both versions (RFC 5798 5.1 / RFC 3768 5.1):
 *   0: version << 4 | type      1: VRID        2: priority   3: count
 *   4: v3: rsvd(4) | Max Adver Int(12, centiseconds)
 *      v2: Auth Type (byte 4), Adver Int (byte 5, seconds)
 *   6: checksum                 8: addresses   v2: + 8 bytes auth data
 */
#define OFF_VERTYPE  0
#define OFF_VRID     1
#define OFF_PRIO     2
#define OFF_COUNT    3
#define OFF_V2_AUTH  4
#define OFF_V2_INT   5
#define OFF_V3_INT   4
#define OFF_CSUM     6
#define V3_INT_MASK  0x0fff /* RFC 5798 5.2.6: the 4 rsvd bits are ignored on receive */

static const char *const drop_names[VRRP_DROP__COUNT] = {
	[VRRP_DROP_NONE] = "none",
	[VRRP_DROP_FAMILY] = "family",
	[VRRP_DROP_TTL] = "ttl",
	[VRRP_DROP_SHORT] = "short",
	[VRRP_DROP_VERSION] = "version",
	[VRRP_DROP_TYPE] = "type",
	[VRRP_DROP_COUNT] = "count",
	[VRRP_DROP_LENGTH] = "length",
	[VRRP_DROP_CSUM] = "csum",
	[VRRP_DROP_AUTH_TYPE] = "auth-type",
	[VRRP_DROP_AUTH_DATA] = "auth-data",
	[VRRP_DROP_INTERVAL] = "interval",
	[VRRP_DROP_VRID] = "vrid",
	[VRRP_DROP_OWNER] = "owner",
	[VRRP_DROP_ADDR_MISMATCH] = "addr-mismatch",
	[VRRP_DROP_INTERVAL_MISMATCH] = "interval-mismatch",
};

const char *vrrp_drop_name(enum vrrp_drop reason)
{
	if ((unsigned)reason >= VRRP_DROP__COUNT || !drop_names[reason])
		return "unknown";
	return drop_names[reason];
}

static const char *const csum_mode_names[VRRP_CSUM__MODE_COUNT] = {
	[VRRP_CSUM_AUTO] = "auto",
	[VRRP_CSUM_PSEUDO_HEADER] = "pseudo-header",
	[VRRP_CSUM_RFC9568] = "rfc9568",
};

const char *vrrp_csum_mode_name(enum vrrp_csum_mode mode)
{
	if ((unsigned)mode >= VRRP_CSUM__MODE_COUNT)
		return "unknown";
	return csum_mode_names[mode];
}

int vrrp_csum_mode_parse(const char *word, enum vrrp_csum_mode *out)
{
	if (!word || !out)
		return -EINVAL;
	for (unsigned m = 0; m < VRRP_CSUM__MODE_COUNT; m++) {
		if (strcmp(word, csum_mode_names[m]) == 0) {
			*out = (enum vrrp_csum_mode)m;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vrrp_csum_kind_name(enum vrrp_csum_kind kind)
{
	switch (kind) {
	case VRRP_CSUM_KIND_PSEUDO_HEADER:
		return "pseudo-header";
	case VRRP_CSUM_KIND_MESSAGE_ONLY:
		return "message-only";
	default:
		return "unknown";
	}
}

const char *vrrp_notice_name(enum vrrp_notice notice)
{
	switch (notice) {
	case VRRP_NOTICE_ADDR_MISMATCH:
		return "addr-mismatch";
	case VRRP_NOTICE_INTERVAL_MISMATCH:
		return "interval-mismatch";
	default:
		return "unknown";
	}
}

const char *vrrp_csum_event_name(enum vrrp_csum_event ev)
{
	switch (ev) {
	case VRRP_CSUM_EV_NONE:
		return "none";
	case VRRP_CSUM_EV_SWITCHED:
		return "switched";
	case VRRP_CSUM_EV_DISAGREE:
		return "disagree";
	case VRRP_CSUM_EV_AGREE:
		return "agree";
	default:
		return "unknown";
	}
}

/* ---- checksum ---------------------------------------------------------- */

/* Adds data as big-endian 16-bit words to a 32-bit partial sum (RFC 1071 4.1). */
static uint32_t csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)data[i] << 8 | data[i + 1];
		/* Fold early so a long buffer can never overflow 32 bits. */
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < len)
		sum += (uint32_t)data[i] << 8;
	return sum;
}

uint16_t vrrp_pkt_inet_csum(uint32_t seed, const uint8_t *data, size_t len)
{
	uint32_t sum = csum_add(seed, data, len);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t family_addr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

/*
 * Partial sum of the pseudo-header for a message of `len` bytes.
 * IPv4 (keepalived/FRR reading of RFC 5798 5.2.8, as TCP/UDP, RFC 793):
 *   src(4) dst(4) zero(1) proto(1) length(2)
 * IPv6 (RFC 5798 5.2.8 -> RFC 8200 8.1):
 *   src(16) dst(16) upper-layer length(4) zero(3) next header(1)
 * Both reduce to: src + dst + len + 112 as 16-bit words (len < 64 KiB).
 */
static uint32_t pseudo_sum(const struct vrrp_pkt_ip *ip, size_t len)
{
	size_t alen = family_addr_len(ip->family);
	uint32_t sum = 0;

	sum = csum_add(sum, ip->src, alen);
	sum = csum_add(sum, ip->dst, alen);
	sum += VRRP_PROTO;
	sum += (uint32_t)(len & 0xffff);
	return sum;
}

static bool csum_ok(const struct vrrp_pkt_ip *ip, const uint8_t *msg, size_t len,
		    enum vrrp_csum_kind kind)
{
	uint32_t seed = kind == VRRP_CSUM_KIND_PSEUDO_HEADER ? pseudo_sum(ip, len) : 0;

	return vrrp_pkt_inet_csum(seed, msg, len) == 0;
}

/* ---- decode ------------------------------------------------------------ */

/*
 * RFC 5798 5.2.8: v3 IPv4 checksum in the form(s) the policy allows; in
 * auto mode the pseudo-header form is tried first (what keepalived 2.2.7
 * and FRR send), then RFC 9568's message-only form. Returns false if none
 * verifies, else sets *kind.
 */
static bool v3_ipv4_csum(const struct vrrp_pkt_ip *ip, const uint8_t *msg, size_t len,
			 enum vrrp_csum_mode mode, enum vrrp_csum_kind *kind)
{
	if (mode != VRRP_CSUM_RFC9568 &&
	    csum_ok(ip, msg, len, VRRP_CSUM_KIND_PSEUDO_HEADER)) {
		*kind = VRRP_CSUM_KIND_PSEUDO_HEADER;
		return true;
	}
	if (mode != VRRP_CSUM_PSEUDO_HEADER &&
	    csum_ok(ip, msg, len, VRRP_CSUM_KIND_MESSAGE_ONLY)) {
		*kind = VRRP_CSUM_KIND_MESSAGE_ONLY;
		return true;
	}
	return false;
}


/* The fields every decoder fills alike from a message already checked
 * (its header, length and interval); the checksum fields are the
 * caller's. */
static void fill_advert(struct vrrp_advert *out, const uint8_t *buf, size_t len,
			const struct vrrp_pkt_ip *ip, size_t alen, size_t need, uint16_t interval)
{
	uint8_t version = buf[OFF_VERTYPE] >> 4, count = buf[OFF_COUNT];
	*out = (struct vrrp_advert){
		.version = version,
		.vrid = buf[OFF_VRID],
		.priority = buf[OFF_PRIO],
		.count = count,
		.interval_raw = interval,
		.interval_cs = (uint16_t)(version == 2 ? interval * 100 : interval),
		.auth_type = version == 2 ? buf[OFF_V2_AUTH] : 0,
		.family = ip->family,
		.addr_len = (uint8_t)alen,
		.addrs = buf + VRRP_HDR_LEN,
		.auth_data = version == 2 ? buf + VRRP_HDR_LEN + (size_t)count * alen : NULL,
		.length = (uint16_t)need,
		.trailing = (uint16_t)(len - need > UINT16_MAX ? UINT16_MAX : len - need),
	};
}

/* Checksum of a whole message for its version/family; sets *kind on success. */
static bool verify_csum(const struct vrrp_pkt_ip *ip, const struct vrrp_pkt_rx_policy *policy,
			const uint8_t *msg, size_t len, enum vrrp_csum_kind *kind)
{
	if (policy->version == 2) {
		/* RFC 3768 5.3.8: over the VRRP message only, auth data included. */
		*kind = VRRP_CSUM_KIND_MESSAGE_ONLY;
		return csum_ok(ip, msg, len, *kind);
	}
	if (ip->family == AF_INET6) {
		/* RFC 5798 5.2.8: IPv6 always includes the pseudo-header. */
		*kind = VRRP_CSUM_KIND_PSEUDO_HEADER;
		return csum_ok(ip, msg, len, *kind);
	}
	return v3_ipv4_csum(ip, msg, len, policy->csum, kind);
}

enum vrrp_drop vrrp_pkt_decode(const uint8_t *buf, size_t len,
			       const struct vrrp_pkt_ip *ip,
			       const struct vrrp_pkt_rx_policy *policy,
			       struct vrrp_advert *out)
{
	size_t alen, need;
	uint8_t version, count;
	uint16_t interval;
	enum vrrp_csum_kind kind;

	alen = family_addr_len(ip->family);
	if (alen == 0 || (policy->version == 2 && ip->family != AF_INET))
		return VRRP_DROP_FAMILY; /* RFC 3768 is IPv4 only */

	/* RFC 5798 7.1 / RFC 3768 7.1: TTL (hop limit) MUST be 255. */
	if (!policy->skip_ttl_check && ip->ttl != VRRP_TTL)
		return VRRP_DROP_TTL;

	if (!buf || len < VRRP_HDR_LEN)
		return VRRP_DROP_SHORT;

	/* 7.1: version MUST match the instance's. */
	version = buf[OFF_VERTYPE] >> 4;
	if (version != policy->version || (version != 2 && version != 3))
		return VRRP_DROP_VERSION;

	/* RFC 5798 5.2.2 / RFC 3768 5.3.2: unknown type MUST be discarded. */
	if ((buf[OFF_VERTYPE] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_DROP_TYPE;

	/* RFC 5798 5.2.5: "the minimum value is 1". RFC 3768 sets no minimum. */
	count = buf[OFF_COUNT];
	if (version == 3 && count == 0)
		return VRRP_DROP_COUNT;

	/* 7.1: the packet holds the complete message (+ auth data for v2). */
	need = VRRP_HDR_LEN + (size_t)count * alen + (version == 2 ? VRRP_AUTH_LEN : 0);
	if (len < need)
		return VRRP_DROP_LENGTH;

	/* 7.1: checksum, over exactly the count-delimited message. */
	if (!verify_csum(ip, policy, buf, need, &kind))
		return VRRP_DROP_CSUM;

	if (version == 2) {
		const uint8_t *auth = buf + VRRP_HDR_LEN + (size_t)count * alen;

		/* RFC 3768 7.1: Auth Type MUST match the configured method. */
		if (buf[OFF_V2_AUTH] != policy->auth_type ||
		    policy->auth_type > VRRP_AUTH_PASS)
			return VRRP_DROP_AUTH_TYPE;
		/* ...and the method is performed: RFC 2338 5.3.6.1 simple password. */
		if (policy->auth_type == VRRP_AUTH_PASS &&
		    memcmp(auth, policy->auth_data, VRRP_AUTH_LEN) != 0)
			return VRRP_DROP_AUTH_DATA;
		interval = buf[OFF_V2_INT];
	} else {
		interval = (uint16_t)((buf[OFF_V3_INT] << 8 | buf[OFF_V3_INT + 1]) & V3_INT_MASK);
	}

	/* A zero interval would make every timer zero: never valid. */
	if (interval == 0)
		return VRRP_DROP_INTERVAL;

	fill_advert(out, buf, len, ip, alen, need, interval);
	out->csum_kind = kind;
	out->csum_forms = (uint8_t)(1u << kind);
	return VRRP_DROP_NONE;
}

/* ---- decode in two halves: per packet, then per instance --------------- */

/* Folds a 32-bit partial sum to 16 bits with end-around carry (RFC 1071). */
static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Every checksum form that verifies for this version and family, as bits
 * 1u << enum vrrp_csum_kind. One pass over the message: the pseudo-header
 * is a separate partial sum, and ones' complement addition does not care
 * in which order the words come, so this agrees with csum_ok() for both
 * forms (the pseudo-header sum is never zero: it holds the protocol).
 */
static unsigned verified_forms(const struct vrrp_pkt_ip *ip, unsigned version,
			       const uint8_t *msg, size_t len)
{
	uint32_t msg_sum = csum_add(0, msg, len);
	unsigned forms = 0;

	/* v2 (RFC 3768 5.3.8) and v3 IPv4 in RFC 9568's reading. */
	if ((version == 2 || ip->family == AF_INET) && csum_fold(msg_sum) == 0xffff)
		forms |= 1u << VRRP_CSUM_KIND_MESSAGE_ONLY;
	/* v3: IPv6 always, IPv4 in keepalived's and FRR's reading. */
	if (version == 3 && csum_fold(msg_sum + pseudo_sum(ip, len)) == 0xffff)
		forms |= 1u << VRRP_CSUM_KIND_PSEUDO_HEADER;
	return forms;
}

enum vrrp_drop vrrp_pkt_decode_any(const uint8_t *buf, size_t len,
				   const struct vrrp_pkt_ip *ip,
				   struct vrrp_advert *out)
{
	size_t alen, need;
	uint8_t version, count;
	uint16_t interval;
	unsigned forms;

	alen = family_addr_len(ip->family);
	if (alen == 0)
		return VRRP_DROP_FAMILY;
	/* RFC 5798 7.1 / RFC 3768 7.1: TTL (hop limit) MUST be 255. */
	if (ip->ttl != VRRP_TTL)
		return VRRP_DROP_TTL;
	if (!buf || len < VRRP_HDR_LEN)
		return VRRP_DROP_SHORT;
	/* A version some instance could speak; which one is the instance's. */
	version = buf[OFF_VERTYPE] >> 4;
	if (version != 2 && version != 3)
		return VRRP_DROP_VERSION;
	if (version == 2 && ip->family != AF_INET)
		return VRRP_DROP_FAMILY; /* RFC 3768 is IPv4 only */
	if ((buf[OFF_VERTYPE] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_DROP_TYPE;
	count = buf[OFF_COUNT];
	if (version == 3 && count == 0)
		return VRRP_DROP_COUNT;
	need = VRRP_HDR_LEN + (size_t)count * alen + (version == 2 ? VRRP_AUTH_LEN : 0);
	if (len < need)
		return VRRP_DROP_LENGTH;
	forms = verified_forms(ip, version, buf, need);
	if (forms == 0)
		return VRRP_DROP_CSUM;
	if (version == 2)
		interval = buf[OFF_V2_INT];
	else
		interval = (uint16_t)((buf[OFF_V3_INT] << 8 | buf[OFF_V3_INT + 1]) & V3_INT_MASK);
	if (interval == 0)
		return VRRP_DROP_INTERVAL;

	fill_advert(out, buf, len, ip, alen, need, interval);
	/* What auto mode picks: the pseudo-header form first. */
	out->csum_kind = (forms & (1u << VRRP_CSUM_KIND_PSEUDO_HEADER))
				 ? VRRP_CSUM_KIND_PSEUDO_HEADER
				 : VRRP_CSUM_KIND_MESSAGE_ONLY;
	out->csum_forms = (uint8_t)forms;
	return VRRP_DROP_NONE;
}

enum vrrp_drop vrrp_pkt_check_policy(const struct vrrp_advert *adv,
				     const struct vrrp_pkt_rx_policy *policy,
				     enum vrrp_csum_kind *kind)
{
	unsigned forms = adv->csum_forms;

	/* 7.1: version MUST match the instance's. */
	if (adv->version != policy->version)
		return VRRP_DROP_VERSION;
	if (adv->version == 3 && adv->family == AF_INET) {
		/* The forms this instance's checksum mode allows, in
		 * v3_ipv4_csum()'s order. */
		if (policy->csum != VRRP_CSUM_RFC9568 &&
		    (forms & (1u << VRRP_CSUM_KIND_PSEUDO_HEADER)))
			*kind = VRRP_CSUM_KIND_PSEUDO_HEADER;
		else if (policy->csum != VRRP_CSUM_PSEUDO_HEADER &&
			 (forms & (1u << VRRP_CSUM_KIND_MESSAGE_ONLY)))
			*kind = VRRP_CSUM_KIND_MESSAGE_ONLY;
		else
			return VRRP_DROP_CSUM;
	} else {
		/* v2 and v3 IPv6 have one form, checked by decode_any. */
		*kind = adv->csum_kind;
	}
	if (adv->version == 2) {
		/* RFC 3768 7.1: Auth Type MUST match the configured method... */
		if (adv->auth_type != policy->auth_type || policy->auth_type > VRRP_AUTH_PASS)
			return VRRP_DROP_AUTH_TYPE;
		/* ...and the method is performed: RFC 2338 5.3.6.1 simple password. */
		if (policy->auth_type == VRRP_AUTH_PASS &&
		    (!adv->auth_data || memcmp(adv->auth_data, policy->auth_data, VRRP_AUTH_LEN) != 0))
			return VRRP_DROP_AUTH_DATA;
	}
	return VRRP_DROP_NONE;
}

/* ---- semantic check ---------------------------------------------------- */

/* True if the advert's addresses are the configured set (order-insensitive). */
static bool addrs_match(const struct vrrp_advert *adv, const struct vrrp_pkt_instance_view *view)
{
	size_t alen = adv->addr_len;

	if (adv->count != view->count)
		return false;
	/* A peer configured alike lists them in our order: one comparison
	 * instead of count * count on every advert a BACKUP receives. */
	if (memcmp(adv->addrs, view->addrs, (size_t)adv->count * alen) == 0)
		return true;
	for (size_t i = 0; i < adv->count; i++) {
		bool found = false;

		for (size_t j = 0; j < view->count && !found; j++)
			found = memcmp(adv->addrs + i * alen, view->addrs + j * alen, alen) == 0;
		if (!found)
			return false;
	}
	return true;
}

enum vrrp_drop vrrp_pkt_check_instance(const struct vrrp_advert *adv,
				       const struct vrrp_pkt_instance_view *view,
				       unsigned *notices)
{
	unsigned n = 0;

	if (notices)
		*notices = 0;

	/* RFC 5798 7.1 / RFC 3768 7.1: VRID configured on this interface... */
	if (adv->vrid != view->vrid)
		return VRRP_DROP_VRID;
	/* ...and the local router is not the address owner. */
	if (view->priority == VRRP_PRIO_OWNER)
		return VRRP_DROP_OWNER;

	/* RFC 5798 7.1: MAY compare the address list; a mismatch is only logged. */
	if (!addrs_match(adv, view)) {
		/* RFC 3768 7.1: v2 MUST drop a mismatch from a non-owner if it checks. */
		if (adv->version == 2 && view->v2_drop_addr_mismatch &&
		    adv->priority != VRRP_PRIO_OWNER)
			return VRRP_DROP_ADDR_MISMATCH;
		n |= VRRP_NOTICE_ADDR_MISMATCH;
	}

	if (adv->interval_cs != view->interval_cs) {
		/* RFC 3768 7.1: Adver Interval MUST equal the local one. */
		if (adv->version == 2)
			return VRRP_DROP_INTERVAL_MISMATCH;
		/* RFC 9568 7.1: v3 learns the master's interval; only log. */
		n |= VRRP_NOTICE_INTERVAL_MISMATCH;
	}

	if (notices)
		*notices = n;
	return VRRP_DROP_NONE;
}

/* ---- encode ------------------------------------------------------------ */

static int check_out(const struct vrrp_advert_out *adv, const struct vrrp_pkt_ip *ip,
		     enum vrrp_csum_kind kind)
{
	if (family_addr_len(ip->family) == 0 || (unsigned)kind >= VRRP_CSUM__KIND_COUNT)
		return -EINVAL;
	if (adv->vrid == 0 || adv->count == 0 || !adv->addrs)
		return -EINVAL;
	if (adv->version == 3) {
		if (adv->interval_cs < 1 || adv->interval_cs > VRRP_V3_INTERVAL_MAX_CS ||
		    adv->auth_type != VRRP_AUTH_NONE)
			return -EINVAL;
		return 0;
	}
	if (adv->version == 2) {
		/* RFC 3768 5.3.7: whole seconds 1..255. */
		if (ip->family != AF_INET || adv->interval_cs % 100 != 0 ||
		    adv->interval_cs < 100 || adv->interval_cs > VRRP_V2_INTERVAL_MAX_S * 100 ||
		    adv->auth_type > VRRP_AUTH_PASS)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int vrrp_pkt_encode(const struct vrrp_advert_out *adv, const struct vrrp_pkt_ip *ip,
		    enum vrrp_csum_kind kind, uint8_t *buf, size_t cap)
{
	size_t alen, len;
	uint16_t csum;
	uint32_t seed;
	int rc;

	if (!adv || !ip || !buf)
		return -EINVAL;
	rc = check_out(adv, ip, kind);
	if (rc < 0)
		return rc;

	alen = family_addr_len(ip->family);
	len = VRRP_HDR_LEN + (size_t)adv->count * alen +
	      (adv->version == 2 ? VRRP_AUTH_LEN : 0);
	if (cap < len)
		return -ENOSPC;

	buf[OFF_VERTYPE] = (uint8_t)(adv->version << 4 | VRRP_TYPE_ADVERT);
	buf[OFF_VRID] = adv->vrid;
	buf[OFF_PRIO] = adv->priority;
	buf[OFF_COUNT] = adv->count;
	if (adv->version == 2) {
		buf[OFF_V2_AUTH] = adv->auth_type;
		buf[OFF_V2_INT] = (uint8_t)(adv->interval_cs / 100);
		kind = VRRP_CSUM_KIND_MESSAGE_ONLY; /* RFC 3768 5.3.8 */
	} else {
		/* RFC 5798 5.2.6: rsvd bits zero. */
		buf[OFF_V3_INT] = (uint8_t)(adv->interval_cs >> 8);
		buf[OFF_V3_INT + 1] = (uint8_t)(adv->interval_cs & 0xff);
		if (ip->family == AF_INET6)
			kind = VRRP_CSUM_KIND_PSEUDO_HEADER; /* RFC 5798 5.2.8 */
	}
	buf[OFF_CSUM] = 0;
	buf[OFF_CSUM + 1] = 0;
	memcpy(buf + VRRP_HDR_LEN, adv->addrs, (size_t)adv->count * alen);
	if (adv->version == 2) {
		uint8_t *auth = buf + VRRP_HDR_LEN + (size_t)adv->count * alen;

		/* RFC 3768 5.3.10: zero on transmit unless a password is configured. */
		if (adv->auth_type == VRRP_AUTH_PASS)
			memcpy(auth, adv->auth_data, VRRP_AUTH_LEN);
		else
			memset(auth, 0, VRRP_AUTH_LEN);
	}

	seed = kind == VRRP_CSUM_KIND_PSEUDO_HEADER ? pseudo_sum(ip, len) : 0;
	csum = vrrp_pkt_inet_csum(seed, buf, len);
	buf[OFF_CSUM] = (uint8_t)(csum >> 8);
	buf[OFF_CSUM + 1] = (uint8_t)(csum & 0xff);
	return (int)len;
}

/* ---- auto-mode checksum tracker --------------------------------------- */

#define TRACK_ADDR_LEN 4 /* v3 IPv4 only: IPv6 has a single form */

void vrrp_csum_tracker_init(struct vrrp_csum_tracker *t, enum vrrp_csum_mode mode)
{
	*t = (struct vrrp_csum_tracker){
		.mode = mode,
		.tx = mode == VRRP_CSUM_RFC9568 ? VRRP_CSUM_KIND_MESSAGE_ONLY
						: VRRP_CSUM_KIND_PSEUDO_HEADER,
	};
}

enum vrrp_csum_event vrrp_csum_tracker_observe(struct vrrp_csum_tracker *t,
					       enum vrrp_csum_kind seen,
					       const uint8_t *src)
{
	enum vrrp_csum_kind other;
	bool was_disagree;

	if (t->mode != VRRP_CSUM_AUTO || (unsigned)seen >= VRRP_CSUM__KIND_COUNT)
		return VRRP_CSUM_EV_NONE;
	other = seen == VRRP_CSUM_KIND_PSEUDO_HEADER ? VRRP_CSUM_KIND_MESSAGE_ONLY
						     : VRRP_CSUM_KIND_PSEUDO_HEADER;

	/* The same peer changed its form: it no longer speaks the other one. */
	if (t->seen[other] && memcmp(t->peer[other], src, TRACK_ADDR_LEN) == 0)
		t->seen[other] = false;
	t->seen[seen] = true;
	memcpy(t->peer[seen], src, TRACK_ADDR_LEN);

	if (t->seen[other]) {
		/* Two peers, two forms: no form suits both; keep ours, warn once. */
		if (t->disagree)
			return VRRP_CSUM_EV_NONE;
		t->disagree = true;
		return VRRP_CSUM_EV_DISAGREE;
	}

	was_disagree = t->disagree;
	t->disagree = false;
	if (t->tx != seen) {
		/* Everyone we hear uses the other form: answer in it. */
		t->tx = seen;
		return VRRP_CSUM_EV_SWITCHED;
	}
	return was_disagree ? VRRP_CSUM_EV_AGREE : VRRP_CSUM_EV_NONE;
}

enum vrrp_csum_kind vrrp_csum_tracker_tx_kind(const struct vrrp_csum_tracker *t)
{
	return t->tx;
}
