// SPDX-License-Identifier: GPL-2.0-or-later
// The tcp checker: can a TCP connection to host:port be opened, and how fast.
#ifndef VIGIL_TCP_H
#define VIGIL_TCP_H

#include "check.h"

/*
 * type = tcp; params: host (an IPv4 or IPv6 literal, "fe80::1%eth0" allowed;
 * never a name, so nothing resolves on the event loop) and port (1..65535).
 *
 * One probe is one non-blocking connect, closed as soon as it completes
 * (overlapping probes each have their own socket):
 *   - connected: CHECK_OK, value = connect latency in microseconds,
 *     detail "connected to 127.0.0.1:3306 in 85 us";
 *   - refused (ECONNREFUSED: nothing listens): CHECK_FAILED with
 *     definite = true, since the answer cannot change by asking again,
 *     detail "connect to 127.0.0.1:3306: Connection refused";
 *   - any other error (unreachable, reset, no buffer): CHECK_FAILED;
 *   - no answer: the scheduler's timeout reports CHECK_FAILED; cancel
 *     closes the socket.
 * A listening kernel completes the handshake even for a hung process, so
 * tcp says only "something listens"; against mysqld prefer mysql_ping
 * (each bare connect also counts in mysqld's Aborted_connects).
 */
extern const struct check_type check_tcp_type;

#endif
