/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VRRP advert codec: pure encode/decode/validate of VRRPv3 and VRRPv2 messages. */
#ifndef VIGIL_VRRP_PACKET_H
#define VIGIL_VRRP_PACKET_H

/*
 * Everything here is a pure function of its arguments: no I/O, no clock,
 * no allocation, no logging, no global state. The socket layer hands in the
 * IP payload plus what the kernel told it (family, TTL/hop limit, source,
 * destination) and gets back either a decoded advert or a typed drop reason
 * it counts.
 *
 * Syntax and semantics are separate:
 *   vrrp_pkt_decode()          is this a well-formed advert we may accept
 *                              on this socket? (RFC 5798 7.1 / RFC 3768 7.1
 *                              checks that need only bytes + IP header)
 *   vrrp_pkt_check_instance()  is it acceptable for this local instance?
 *                              (VRID, owner, address list, interval)
 *
 * Addresses are kept as raw network-order bytes with a family (AF_INET or
 * AF_INET6) so IPv6 needs no new types.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 */

#define VRRP_PROTO              112     /* IP protocol number */
#define VRRP_TTL                255     /* RFC 5798 5.1.1.3 / RFC 3768 5.2.3 */
#define VRRP_TYPE_ADVERT        1       /* RFC 5798 5.2.2: the only type */
#define VRRP_HDR_LEN            8       /* fixed part, both versions */
#define VRRP_AUTH_LEN           8       /* v2 authentication data (RFC 3768 5.3.10) */
#define VRRP_ADDR_MAX           16      /* bytes of the largest address (IPv6) */
#define VRRP_PRIO_OWNER         255     /* address owner */
#define VRRP_PRIO_STOP          0       /* "master is leaving" */
#define VRRP_V3_INTERVAL_MAX_CS 4095    /* 12-bit Max Adver Int (RFC 5798 5.2.7) */
#define VRRP_V2_INTERVAL_MAX_S  255     /* 8-bit Adver Int (RFC 3768 5.3.7) */
/* Largest message: v3 IPv6 with 255 addresses (v2 is IPv4-only, smaller). */
#define VRRP_PKT_MAX_LEN        (VRRP_HDR_LEN + 255 * 16)

/* v2 Auth Type (RFC 2338 5.3.6; RFC 3768 keeps only 0 and reserves 1, 2). */
enum vrrp_auth_type {
	VRRP_AUTH_NONE = 0,
	VRRP_AUTH_PASS = 1,     /* simple text password, keepalived auth_type PASS */
	VRRP_AUTH_AH   = 2,     /* IPsec AH (RFC 2338); never accepted by vigil */
};

/*
 * Why a packet was dropped. VRRP_DROP_NONE (0) means accepted. The order of
 * the syntax reasons is the order vrrp_pkt_decode() checks them. Callers
 * keep `uint64_t counters[VRRP_DROP__COUNT]`.
 */
enum vrrp_drop {
	VRRP_DROP_NONE = 0,
	VRRP_DROP_FAMILY,            /* rx family not AF_INET/AF_INET6, or v2 over IPv6 */
	VRRP_DROP_TTL,               /* TTL / hop limit != 255 */
	VRRP_DROP_SHORT,             /* fewer bytes than the 8-byte fixed header */
	VRRP_DROP_VERSION,           /* version != the instance's version */
	VRRP_DROP_TYPE,              /* type != 1 (advertisement) */
	VRRP_DROP_COUNT,             /* v3 Count IPvX Addrs == 0 */
	VRRP_DROP_LENGTH,            /* shorter than header + addresses (+ auth) */
	VRRP_DROP_CSUM,              /* checksum does not verify (in the allowed forms) */
	VRRP_DROP_AUTH_TYPE,         /* v2 auth type != configured */
	VRRP_DROP_AUTH_DATA,         /* v2 PASS: password differs */
	VRRP_DROP_INTERVAL,          /* advert interval 0 */
	/* semantic, from vrrp_pkt_check_instance(): */
	VRRP_DROP_VRID,              /* VRID not ours */
	VRRP_DROP_OWNER,             /* we own the addresses (prio 255): ignore others */
	VRRP_DROP_ADDR_MISMATCH,     /* v2 only, opt-in: address list differs */
	VRRP_DROP_INTERVAL_MISMATCH, /* v2: Adver Int != ours (RFC 3768 7.1) */
	VRRP_DROP__COUNT
};

/* Returns a stable lower-case name ("ttl", "csum", ...), "unknown" if out of range. */
const char *vrrp_drop_name(enum vrrp_drop reason);

/*
 * Checksum policy for v3 over IPv4 (config key `checksum`). See
 * docs/design.md "Checksums": RFC 5798 5.2.8 was read two ways; keepalived
 * and FRR include an IPv4 pseudo-header, RFC 9568 5.2.8 (and Cisco) do not.
 * Ignored for v2 (always message-only) and v3 IPv6 (always pseudo-header).
 */
enum vrrp_csum_mode {
	VRRP_CSUM_AUTO = 0,          /* rx: accept either; tx: see vrrp_csum_tracker */
	VRRP_CSUM_PSEUDO_HEADER,     /* only the pseudo-header form */
	VRRP_CSUM_RFC9568,           /* only the message-only form */
	VRRP_CSUM__MODE_COUNT
};

/* Returns the config word of a mode: "auto", "pseudo-header", "rfc9568". */
const char *vrrp_csum_mode_name(enum vrrp_csum_mode mode);

/*
 * Parses a config word ("auto", "pseudo-header", "rfc9568"; exact, lower
 * case) into *out. Returns 0, or -EINVAL (then *out is unchanged).
 */
int vrrp_csum_mode_parse(const char *word, enum vrrp_csum_mode *out);

/* Which checksum form a packet carries (or is to carry). */
enum vrrp_csum_kind {
	VRRP_CSUM_KIND_PSEUDO_HEADER = 0, /* pseudo-header + message */
	VRRP_CSUM_KIND_MESSAGE_ONLY,      /* message only: v2, RFC 9568 v3 IPv4 */
	VRRP_CSUM__KIND_COUNT
};

/* Returns "pseudo-header" or "message-only" ("unknown" if out of range). */
const char *vrrp_csum_kind_name(enum vrrp_csum_kind kind);

/*
 * The IP header facts around a VRRP message. src/dst hold network-order
 * bytes: 4 used for AF_INET, 16 for AF_INET6. ttl is the received TTL / hop
 * limit (ignored by the encoder: the socket sends 255).
 */
struct vrrp_pkt_ip {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t ttl;
	uint8_t src[VRRP_ADDR_MAX];
	uint8_t dst[VRRP_ADDR_MAX];
};

/*
 * How to judge received bytes: what the instance (or socket) expects. A
 * zero-initialised struct plus .version is strict RFC behaviour with auto
 * checksum and no v2 authentication.
 */
struct vrrp_pkt_rx_policy {
	uint8_t version;             /* 2 or 3; anything else drops all as VERSION */
	enum vrrp_csum_mode csum;    /* v3 IPv4 only */
	bool skip_ttl_check;         /* keepalived skips it for unicast; default false */
	uint8_t auth_type;           /* v2: enum vrrp_auth_type, 0 or 1 */
	uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS: password, zero-padded */
};

/*
 * A decoded advert. `addrs` points INTO the caller's buffer (count *
 * addr_len bytes), so it lives as long as that buffer.
 */
struct vrrp_advert {
	uint8_t version;             /* 2 or 3 */
	uint8_t vrid;
	uint8_t priority;
	uint8_t count;               /* number of addresses */
	uint16_t interval_raw;       /* as on the wire: v3 centiseconds, v2 seconds */
	uint16_t interval_cs;        /* centiseconds (v2: seconds * 100) */
	uint8_t auth_type;           /* v2 only; 0 for v3 */
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t addr_len;            /* 4 or 16 */
	const uint8_t *addrs;        /* count * addr_len bytes inside the buffer */
	enum vrrp_csum_kind csum_kind; /* the form that verified */
	uint8_t csum_forms;          /* every form that verified: bits 1u << enum vrrp_csum_kind */
	const uint8_t *auth_data;    /* v2: the 8 auth bytes inside the buffer; NULL for v3 */
	uint16_t length;             /* bytes of the VRRP message proper */
	uint16_t trailing;           /* bytes after it, ignored (see decode) */
};

/*
 * Decodes and validates one received VRRP message.
 *
 * buf/len: the IP payload (IPv4 header or IPv6 extension headers already
 * stripped). ip: family, TTL, source and destination from the kernel.
 * policy: what this socket/instance accepts. out: filled only on success.
 *
 * Checks, in RFC 5798 7.1 / RFC 3768 7.1 order, first failure wins:
 * family, TTL == 255 (unless policy->skip_ttl_check), at least the fixed
 * header, version == policy->version, type == 1, v3 count >= 1 (RFC 5798
 * 5.2.5), length >= header + count * addr_len (+ 8 auth bytes for v2),
 * checksum (v3 IPv4 in the form(s) policy->csum allows, auto trying the
 * pseudo-header first), v2 auth type, v2 PASS password, interval != 0.
 *
 * Trailing bytes: RFC 7.1 asks that the packet "contains the complete"
 * message, so bytes after it (count-delimited) are accepted but ignored:
 * not checksummed, not interpreted, reported in out->trailing so the
 * caller may count them.
 *
 * v2 PASS: auth_data is ignored when the type is 0 (RFC 3768 5.3.10) and
 * compared byte for byte when it is 1, as keepalived does.
 *
 * Returns VRRP_DROP_NONE (0) and fills *out, or the drop reason.
 */
enum vrrp_drop vrrp_pkt_decode(const uint8_t *buf, size_t len,
			       const struct vrrp_pkt_ip *ip,
			       const struct vrrp_pkt_rx_policy *policy,
			       struct vrrp_advert *out);

/*
 * vrrp_pkt_decode() in two halves, for a receiver shared by every instance
 * on an interface (vrrp/rx_demux.c): the checks that depend only on the
 * packet run once per packet, the ones that depend on the instance's
 * settings once per instance the packet is for.
 *
 * vrrp_pkt_decode_any(): what no instance setting changes, in
 * vrrp_pkt_decode()'s order: family (v2 only over IPv4), TTL == 255
 * (always: no policy here), the fixed header, version 2 or 3, type,
 * v3 count >= 1, length, a checksum that verifies in at least one form
 * its version and family allow (v3 IPv4: both are tried, and
 * out->csum_forms says which verified; out->csum_kind is the one auto
 * mode would pick), interval != 0. Returns VRRP_DROP_NONE and fills
 * *out (out->vrid tells which instance it is for), or the drop reason.
 */
enum vrrp_drop vrrp_pkt_decode_any(const uint8_t *buf, size_t len,
				   const struct vrrp_pkt_ip *ip,
				   struct vrrp_advert *out);

/*
 * The rest of vrrp_pkt_decode() for an advert vrrp_pkt_decode_any()
 * accepted: version == policy->version, a checksum form policy->csum
 * allows among adv->csum_forms (auto prefers the pseudo-header form, as
 * vrrp_pkt_decode() does), v2 auth type and PASS password. Sets *kind to
 * the form this instance accepts it in. policy->skip_ttl_check is not
 * looked at (decode_any checked the TTL). Returns VRRP_DROP_NONE or the
 * reason. Together the two accept exactly what vrrp_pkt_decode() accepts;
 * for a packet with several faults the reason named may differ.
 */
enum vrrp_drop vrrp_pkt_check_policy(const struct vrrp_advert *adv,
				     const struct vrrp_pkt_rx_policy *policy,
				     enum vrrp_csum_kind *kind);

/* Notices from vrrp_pkt_check_instance(): worth a log line, not a drop. */
enum vrrp_notice {
	VRRP_NOTICE_ADDR_MISMATCH     = 1u << 0, /* count/list differ from config */
	VRRP_NOTICE_INTERVAL_MISMATCH = 1u << 1, /* v3: interval != configured */
};

/* Returns a stable name for ONE notice bit ("addr-mismatch", ...), "unknown" otherwise. */
const char *vrrp_notice_name(enum vrrp_notice notice);

/*
 * What vrrp_pkt_check_instance() needs to know of the local instance.
 * addrs: count * addr_len bytes (network order) of the configured VIPs,
 * addr_len from the decoded advert's family.
 */
struct vrrp_pkt_instance_view {
	uint8_t vrid;
	uint8_t priority;            /* local priority; 255 = address owner */
	uint16_t interval_cs;        /* configured advert interval */
	const uint8_t *addrs;
	uint8_t count;
	bool v2_drop_addr_mismatch;  /* RFC 3768 7.1 MAY; keepalived 2.2.7 drops */
};

/*
 * Judges a decoded advert against the local instance, in RFC order:
 * VRID is ours (else VRRP_DROP_VRID); we are not the owner (RFC 5798 7.1,
 * RFC 3768 7.1: an owner drops adverts for its VRID -> VRRP_DROP_OWNER);
 * address list (order-insensitive; count and every address must match):
 * v3 -> notice only (RFC 5798 7.1); v2 -> VRRP_DROP_ADDR_MISMATCH if
 * view->v2_drop_addr_mismatch and the sender is not the owner (RFC 3768
 * 7.1), else notice; interval: v2 must equal ours (RFC 3768 7.1 ->
 * VRRP_DROP_INTERVAL_MISMATCH), v3 -> notice (RFC 9568 7.1: log only).
 *
 * notices: if not NULL, set to the OR of enum vrrp_notice bits (0 when
 * none, also on a drop). Returns VRRP_DROP_NONE or a semantic drop reason.
 */
enum vrrp_drop vrrp_pkt_check_instance(const struct vrrp_advert *adv,
				       const struct vrrp_pkt_instance_view *view,
				       unsigned *notices);

/*
 * An advert to send. addrs: count * addr_len bytes, network order; the
 * address size comes from ip->family given to vrrp_pkt_encode().
 */
struct vrrp_advert_out {
	uint8_t version;             /* 2 or 3 */
	uint8_t vrid;                /* 1..255 */
	uint8_t priority;            /* 0..255 */
	uint8_t count;               /* 1..255 */
	uint16_t interval_cs;        /* v3: 1..4095; v2: 100..25500, a multiple of 100 */
	uint8_t auth_type;           /* v2: 0 or 1; must be 0 for v3 */
	uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS: password, zero-padded */
	const uint8_t *addrs;
};

/*
 * Encodes an advert into buf (cap bytes).
 *
 * ip: family and the src/dst the packet will carry (used for the
 * pseudo-header; keepalived uses the real destination, e.g. the unicast
 * peer). kind: checksum form for v3 IPv4; v2 always uses message-only and
 * v3 IPv6 always the pseudo-header, whatever kind says. v2 with
 * auth_type 0 sends 8 zero bytes (RFC 3768 5.3.10).
 *
 * Returns the message length (> 0), -EINVAL for a field out of range
 * (version, vrid 0, count 0, interval, auth type, v2 over IPv6, unknown
 * family or kind), or -ENOSPC if cap is too small (buf untouched then).
 */
int vrrp_pkt_encode(const struct vrrp_advert_out *adv, const struct vrrp_pkt_ip *ip,
		    enum vrrp_csum_kind kind, uint8_t *buf, size_t cap);

/*
 * RFC 1071 Internet checksum: the ones' complement of the ones' complement
 * sum of `seed` plus data read as big-endian 16-bit words (an odd last byte
 * is padded with zero). seed is a partial sum (e.g. of a pseudo-header), 0
 * if none. Returns the value to store in network order; over data that
 * already holds a correct checksum it returns 0.
 */
uint16_t vrrp_pkt_inet_csum(uint32_t seed, const uint8_t *data, size_t len);

/*
 * Auto-mode checksum tracker for one v3 IPv4 instance (pure, no clock).
 * It starts sending the pseudo-header form (what keepalived 2.2.7 and FRR
 * send by default). When every peer it has heard uses the other form, it
 * switches to that form; when two different peers use different forms it
 * reports the disagreement once (and keeps its current form: there is no
 * form both can read). Explicit modes never switch and report nothing.
 * Peers are remembered by source address, one per form (the last seen);
 * vrrp_csum_tracker_init() forgets them.
 */
struct vrrp_csum_tracker {
	enum vrrp_csum_mode mode;
	enum vrrp_csum_kind tx;
	bool seen[VRRP_CSUM__KIND_COUNT];
	uint8_t peer[VRRP_CSUM__KIND_COUNT][VRRP_ADDR_MAX]; /* last sender per form */
	bool disagree;               /* disagreement already reported */
};

enum vrrp_csum_event {
	VRRP_CSUM_EV_NONE = 0,
	VRRP_CSUM_EV_SWITCHED,       /* tx form changed to the peer's */
	VRRP_CSUM_EV_DISAGREE,       /* peers of this VRID use both forms */
	VRRP_CSUM_EV_AGREE,          /* disagreement over: all heard peers agree again */
	VRRP_CSUM__EV_COUNT
};

/* Returns "none", "switched", "disagree", "agree" ("unknown" if out of range). */
const char *vrrp_csum_event_name(enum vrrp_csum_event ev);

/* Resets t for `mode`: tx form = pseudo-header unless mode is RFC9568. */
void vrrp_csum_tracker_init(struct vrrp_csum_tracker *t, enum vrrp_csum_mode mode);

/*
 * Records that an advert from `src` (IPv4, 4 network-order bytes; only the
 * first 4 are read) verified with form `seen` (vrrp_advert.csum_kind).
 * Returns the event the caller should log (at most one per call).
 */
enum vrrp_csum_event vrrp_csum_tracker_observe(struct vrrp_csum_tracker *t,
					       enum vrrp_csum_kind seen,
					       const uint8_t *src);

/* Returns the checksum form to send now. */
enum vrrp_csum_kind vrrp_csum_tracker_tx_kind(const struct vrrp_csum_tracker *t);

#endif /* VIGIL_VRRP_PACKET_H */
