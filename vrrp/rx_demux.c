// SPDX-License-Identifier: GPL-2.0-or-later
// The receive demultiplexer of one interface and address family: each
// datagram read once, checked once, handed to the instances of its VRID.
#include "rx_demux.h"

#include <string.h>

void vrrp_demux_init(struct vrrp_demux *d, int ifindex)
{
	memset(d, 0, sizeof(*d));
	d->ifindex = ifindex;
}

void vrrp_demux_add(struct vrrp_demux *d, struct vrrp_demux_member *m)
{
	m->next = d->by_vrid[m->vrid];
	d->by_vrid[m->vrid] = m;
	d->n_members++;
}

void vrrp_demux_remove(struct vrrp_demux *d, struct vrrp_demux_member *m)
{
	for (struct vrrp_demux_member **p = &d->by_vrid[m->vrid]; *p; p = &(*p)->next) {
		if (*p != m)
			continue;
		/* A dispatch about to visit m goes on with the one after it. */
		if (d->cursor == m)
			d->cursor = m->next;
		*p = m->next;
		m->next = NULL;
		d->n_members--;
		return;
	}
}

/* Hand pkt to every member of vrid; returns how many got it. The cursor
 * lets a member leave (or another one leave) from inside deliver(). */
static size_t dispatch(struct vrrp_demux *d, uint8_t vrid, const struct vrrp_demux_packet *pkt)
{
	struct vrrp_demux_member *saved = d->cursor;
	size_t n = 0;
	for (struct vrrp_demux_member *m = d->by_vrid[vrid]; m; m = d->cursor) {
		d->cursor = m->next;
		m->deliver(m->ctx, pkt);
		n++;
	}
	d->cursor = saved;
	return n;
}

/* The common part once the addresses are known: interface, the
 * per-packet checks, dispatch by VRID. ip holds family, TTL and addresses. */
static void demux_payload(struct vrrp_demux *d, struct vrrp_rx_info *info,
			  const struct vrrp_pkt_ip *ip, int ifindex, uint64_t now_ms,
			  struct vrrp_demux_result *res)
{
	struct vrrp_demux_packet pkt = { .info = info, .now_ms = now_ms };
	struct vrrp_advert adv;
	/* The VRID as the bytes say, to tell the instance it concerns about
	 * a packet refused below (byte 1 in both versions). */
	int vrid = info->payload_len >= 2 ? info->payload[1] : -1;
	if (ifindex && ifindex != d->ifindex) {
		/* SO_BINDTODEVICE should make this impossible; checked anyway,
		 * as each instance did on its own socket. */
		d->stats.rx_wrong_if++;
		pkt.verdict = VRRP_DEMUX_WRONG_IF;
	} else {
		enum vrrp_drop drop = vrrp_pkt_decode_any(info->payload, info->payload_len, ip, &adv);
		if (drop != VRRP_DROP_NONE) {
			d->stats.rx_drops[drop]++;
			pkt.verdict = VRRP_DEMUX_DROPPED;
			pkt.drop = drop;
		} else {
			pkt.verdict = VRRP_DEMUX_ADVERT;
			pkt.adv = &adv;
			vrid = adv.vrid;
		}
	}
	res->verdict = pkt.verdict;
	res->drop = pkt.drop;
	res->delivered = vrid >= 0 ? dispatch(d, (uint8_t)vrid, &pkt) : 0;
	if (pkt.verdict != VRRP_DEMUX_ADVERT)
		return;
	if (res->delivered) {
		d->stats.rx_dispatched++;
	} else {
		/* Other VRIDs on the same link are normal: counted here once. */
		d->stats.rx_drops[VRRP_DROP_VRID]++;
		res->drop = VRRP_DROP_VRID;
	}
}

void vrrp_demux_input(struct vrrp_demux *d, const uint8_t *buf, size_t len, int ifindex,
		      bool truncated, uint64_t now_ms, struct vrrp_demux_result *res)
{
	struct vrrp_rx_info info = { .family = AF_INET, .ifindex = ifindex };
	*res = (struct vrrp_demux_result){ .sock_drop = VRRP_SOCK_OK, .family = AF_INET };
	d->stats.rx_packets++;

	/* A datagram longer than the buffer was cut: its IP total length no
	 * longer matches what was read. */
	enum vrrp_sock_drop sdrop = truncated ? VRRP_SOCK_DROP_IPHDR
					      : vrrp_sock_parse_ipv4(buf, len, &info);
	if (sdrop != VRRP_SOCK_OK) {
		/* Where the payload starts is not known: nobody's packet. */
		d->stats.rx_sock_drops[sdrop]++;
		res->sock_drop = sdrop;
		return;
	}
	res->src = info.src;
	struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = info.ttl };
	memcpy(ip.src, &info.src.s_addr, 4);
	memcpy(ip.dst, &info.dst.s_addr, 4);
	demux_payload(d, &info, &ip, ifindex, now_ms, res);
}

void vrrp_demux_input6(struct vrrp_demux *d, const uint8_t *buf, size_t len,
		       const struct in6_addr *src, const struct in6_addr *dst, int hoplimit,
		       int ifindex, bool truncated, uint64_t now_ms, struct vrrp_demux_result *res)
{
	struct vrrp_rx_info info = {
		.family = AF_INET6, .src6 = *src, .dst6 = *dst, .ifindex = ifindex,
		/* No hop limit told: 0, which the TTL check refuses. */
		.ttl = hoplimit >= 0 && hoplimit <= 255 ? (uint8_t)hoplimit : 0,
		.payload = buf, .payload_len = len,
	};
	*res = (struct vrrp_demux_result){ .sock_drop = VRRP_SOCK_OK, .family = AF_INET6,
					   .src6 = *src };
	d->stats.rx_packets++;

	enum vrrp_sock_drop sdrop = VRRP_SOCK_OK;
	if (truncated)
		sdrop = VRRP_SOCK_DROP_IPHDR; /* cut short: as for IPv4 */
	else if (IN6_IS_ADDR_MULTICAST(dst) && !IN6_IS_ADDR_LINKLOCAL(src))
		sdrop = VRRP_SOCK_DROP_SOURCE;
	if (sdrop != VRRP_SOCK_OK) {
		d->stats.rx_sock_drops[sdrop]++;
		res->sock_drop = sdrop;
		return;
	}
	struct vrrp_pkt_ip ip = { .family = AF_INET6, .ttl = info.ttl };
	memcpy(ip.src, src, 16);
	memcpy(ip.dst, dst, 16);
	demux_payload(d, &info, &ip, ifindex, now_ms, res);
}
