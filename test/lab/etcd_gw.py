#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Client of etcd's v3 HTTP/JSON gateway, and a fake member, for the lab.

Used by test/lab/etcd.sh (run inside a lab namespace with `ip netns exec`);
standard library only. Every wait is bounded in time and in count.

Subcommands (URL = http://ADDR:2379; ENDPOINTS = comma list of URLs, tried
in order while a member does not answer at the transport level):

  health [--want N] [--wait-ms MS] [--t0-us T] URL...
      GET /health of every URL (in parallel, 300 ms each) until N (default:
      all) say {"health":"true"}; prints "ELAPSED_MS HEALTHY URL=STATE...".
      Exit 0, or 1 when MS (default 0: one round) ran out.
  leader [--wait-ms MS] [--not URL] [--t0-us T] URL...
      POST /v3/maintenance/status to every URL until one member reports
      itself leader (leader == its own member_id; the highest raft term
      wins), other than --not; prints "ELAPSED_MS URL TERM". Exit 0 or 1.
  With --t0-us (epoch microseconds, e.g. bash's EPOCHREALTIME when the
  caller killed a member), ELAPSED_MS and MS count from T, not from the
  start of this program (which takes ~150 ms to start).
  call [--timeout-ms MS] URL PATH [JSON]
      one POST (GET without JSON) on PATH; prints the body, or the error.
  put [--lease ID] ENDPOINTS KEY VALUE     prints the revision
  get ENDPOINTS KEY                        prints the value; exit 1 if absent
  lease-of ENDPOINTS KEY                   prints the lease id (0: none);
                                           exit 1 if absent
  grant ENDPOINTS TTL                      prints the new lease id
  bench [--n N] URL                        median/min/max of the gateway
                                           calls a lease holder makes
  fake --mode MODE --addr A [--port P] [--lifetime S]
      a fake member on A:P (default 2379) for at most S seconds (default
      120). MODE: stall (accepts, reads, never answers), garbage (200 with
      a body that is not JSON), gwerror (503 with the gateway's error body),
      close (reads the request, closes without a byte), reset (closes with
      a TCP RST). Prints "fake: listening ..." once it accepts.

Errors print one line "ERR CLASS detail" on stdout and exit 2; CLASS is one
of refused, timeout, closed, reset, unreachable, oserror (transport: the next
endpoint is tried), http (a status other than 200 with a body that is not
the gateway's error JSON), gateway (the gateway's error JSON: {"error",
"code", "message"}), badjson (200 with a body that is not JSON).
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import socket
import statistics
import struct
import sys
import threading
import time
import urllib.parse

TRANSPORT = ("refused", "timeout", "closed", "reset", "unreachable", "oserror")


class GwError(Exception):
    def __init__(self, cls, detail):
        super().__init__(detail)
        self.cls = cls
        self.detail = detail

    def line(self):
        return "ERR %s %s" % (self.cls, " ".join(str(self.detail).split())[:300])


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s or "").decode(errors="replace")


def _split(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 2379


def _classify(exc):
    if isinstance(exc, ConnectionRefusedError):
        return GwError("refused", exc)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return GwError("timeout", exc)
    if isinstance(exc, http.client.RemoteDisconnected):
        return GwError("closed", exc)
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return GwError("reset", exc)
    if isinstance(exc, http.client.BadStatusLine):
        return GwError("closed", "bad status line %r" % (exc,))
    if isinstance(exc, OSError) and exc.errno in (113, 101, 99):
        return GwError("unreachable", exc)
    return GwError("oserror", "%s: %s" % (type(exc).__name__, exc))


def _decode(status, body):
    """The JSON of a gateway answer, or GwError."""
    text = body.decode(errors="replace")
    try:
        doc = json.loads(text) if text.strip() else None
    except ValueError:
        doc = None
    # Two error shapes: a unary call's {"error": "...", "message": "...",
    # "code": N}; a streaming call's (lease/keepalive, whose results come
    # as {"result": {...}}) {"error": {"grpc_code": N, "http_code": N,
    # "message": "...", "http_status": "..."}}.
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, dict):
        raise GwError("gateway", "http=%d code=%s message=%s" % (
            status, err.get("grpc_code", err.get("code")), err.get("message")))
    if status != 200:
        if isinstance(doc, dict) and ("error" in doc or "message" in doc):
            raise GwError("gateway", "http=%d code=%s message=%s" % (
                status, doc.get("code"), doc.get("message") or doc.get("error")))
        raise GwError("http", "http=%d body=%s" % (status, text[:120]))
    if doc is None:
        raise GwError("badjson", "body=%r" % text[:80])
    return doc


class Conn:
    """One keep-alive HTTP/1.1 connection to one member."""

    def __init__(self, url, timeout):
        self.host, self.port = _split(url)
        self.timeout = timeout
        self.c = None

    def call(self, path, body=None):
        payload = None if body is None else json.dumps(body).encode()
        for _ in (0, 1):
            fresh = self.c is None
            if fresh:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                if payload is None:
                    self.c.request("GET", path)
                else:
                    self.c.request("POST", path, payload, {"Content-Type": "application/json"})
                r = self.c.getresponse()
                data = r.read()
                if r.will_close:
                    self.close()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                if fresh:
                    raise _classify(e) from None
                continue  # a kept-alive connection the server closed: once more, fresh
            except (OSError, http.client.HTTPException) as e:
                self.close()
                raise _classify(e) from None
            return _decode(r.status, data)
        raise GwError("closed", "closed on a fresh connection too")

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def call_once(url, path, body=None, timeout=2.0):
    c = Conn(url, timeout)
    try:
        return c.call(path, body)
    finally:
        c.close()


def call_any(endpoints, path, body=None, timeout=2.0):
    """Try each endpoint in order while the failure is a transport one."""
    last = None
    for url in endpoints:
        try:
            return call_once(url, path, body, timeout)
        except GwError as e:
            if e.cls not in TRANSPORT:
                raise
            last = e
    raise last


def _now_ms():
    return time.monotonic() * 1000.0


def _parallel(fn, urls):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(urls))) as ex:
        return list(ex.map(fn, urls))


def _t0(a):
    """The start of the measured interval: --t0-us (epoch us, the caller's
    clock, e.g. bash's EPOCHREALTIME when it sent a signal) or now."""
    if a.t0_us:
        return _now_ms() - max(0.0, time.time() * 1000.0 - a.t0_us / 1000.0)
    return _now_ms()


def cmd_health(a):
    want = a.want if a.want is not None else len(a.urls)
    t0 = _t0(a)
    rounds = 0

    def one(url):
        try:
            doc = call_once(url, "/health", None, 0.3)
            return "true" if str(doc.get("health")) == "true" else "false"
        except GwError as e:
            # An unhealthy member answers 503 {"health":"false"}.
            return "false" if e.cls == "http" and '"health":"false"' in e.detail else e.cls

    while True:
        rounds += 1
        states = _parallel(one, a.urls)
        n = sum(1 for s in states if s == "true")
        el = _now_ms() - t0
        if n >= want or el >= a.wait_ms or rounds >= 100000:
            print("%d %d %s" % (el, n, " ".join("%s=%s" % x for x in zip(a.urls, states))))
            return 0 if n >= want else 1
        time.sleep(0.02)


def _status(url):
    try:
        d = call_once(url, "/v3/maintenance/status", {}, 0.3)
        h = d.get("header", {})
        return {"member": str(h.get("member_id")), "leader": str(d.get("leader")),
                "term": int(h.get("raft_term") or d.get("raftTerm") or 0)}
    except (GwError, ValueError, AttributeError):
        return None


def cmd_leader(a):
    t0 = _t0(a)
    rounds = 0
    while True:
        rounds += 1
        best = None
        for url, st in zip(a.urls, _parallel(_status, a.urls)):
            if st and st["leader"] == st["member"] and st["leader"] != "0" and url != a.not_url:
                if best is None or st["term"] > best[2]:
                    best = (url, st["member"], st["term"])
        el = _now_ms() - t0
        if best:
            print("%d %s %d" % (el, best[0], best[2]))
            return 0
        if el >= a.wait_ms or rounds >= 100000:
            print("%d none 0" % el)
            return 1
        time.sleep(0.01)


def cmd_call(a):
    body = None if a.json is None else json.loads(a.json)
    try:
        doc = call_once(a.url, a.path, body, a.timeout_ms / 1000.0)
    except GwError as e:
        print(e.line())
        return 2
    print(json.dumps(doc, sort_keys=True))
    return 0


def _eps(s):
    return [u for u in s.split(",") if u]


def cmd_put(a):
    body = {"key": b64(a.key), "value": b64(a.value)}
    if a.lease:
        body["lease"] = a.lease  # int64 as a string, as the gateway prints it
    try:
        d = call_any(_eps(a.endpoints), "/v3/kv/put", body, a.timeout_ms / 1000.0)
    except GwError as e:
        print(e.line())
        return 2
    print(d.get("header", {}).get("revision", ""))
    return 0


def _range(a):
    d = call_any(_eps(a.endpoints), "/v3/kv/range", {"key": b64(a.key)}, a.timeout_ms / 1000.0)
    kvs = d.get("kvs") or []
    return kvs[0] if kvs else None


def cmd_get(a):
    try:
        kv = _range(a)
    except GwError as e:
        print(e.line())
        return 2
    if kv is None:
        return 1
    print(unb64(kv.get("value")))
    return 0


def cmd_lease_of(a):
    try:
        kv = _range(a)
    except GwError as e:
        print(e.line())
        return 2
    if kv is None:
        return 1
    # Absent when the key has no lease (proto3 JSON leaves zero values out).
    print(kv.get("lease", "0"))
    return 0


def cmd_grant(a):
    try:
        d = call_any(_eps(a.endpoints), "/v3/lease/grant", {"TTL": a.ttl}, a.timeout_ms / 1000.0)
    except GwError as e:
        print(e.line())
        return 2
    print(d.get("ID"))
    return 0


def cmd_bench(a):
    n = max(1, min(a.n, 200))
    c = Conn(a.url, 2.0)
    times = {"grant": [], "keepalive": [], "txn": [], "range": [], "revoke": [], "range, new connection": []}
    deadline = _now_ms() + 30000
    key_base = "/vigil-lab/bench/%d" % int(time.time() * 1000)
    try:
        c.call("/v3/kv/range", {"key": b64("warm-up")})
        for i in range(n):
            if _now_ms() > deadline:
                break
            key = "%s/%d" % (key_base, i)
            t = time.perf_counter()
            lid = c.call("/v3/lease/grant", {"TTL": 10})["ID"]
            times["grant"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ka = c.call("/v3/lease/keepalive", {"ID": lid})
            times["keepalive"].append(time.perf_counter() - t)
            if str(ka.get("result", {}).get("TTL")) != "10":
                raise GwError("badjson", "keepalive answer %r" % ka)
            t = time.perf_counter()
            tx = c.call("/v3/kv/txn", {
                "compare": [{"key": b64(key), "target": "CREATE", "result": "EQUAL",
                             "create_revision": "0"}],
                "success": [{"request_put": {"key": b64(key), "value": b64("x"), "lease": lid}}],
                "failure": [{"request_range": {"key": b64(key)}}]})
            times["txn"].append(time.perf_counter() - t)
            if not tx.get("succeeded"):
                raise GwError("badjson", "txn did not succeed: %r" % tx)
            t = time.perf_counter()
            c.call("/v3/kv/range", {"key": b64(key)})
            times["range"].append(time.perf_counter() - t)
            t = time.perf_counter()
            c.call("/v3/lease/revoke", {"ID": lid})
            times["revoke"].append(time.perf_counter() - t)
            t = time.perf_counter()
            call_once(a.url, "/v3/kv/range", {"key": b64(key)}, 2.0)
            times["range, new connection"].append(time.perf_counter() - t)
    except GwError as e:
        print(e.line())
        return 2
    finally:
        c.close()
    for k, v in times.items():
        if v:
            ms = [x * 1000 for x in v]
            print("%-22s median %6.2f ms  min %6.2f  max %6.2f  (n=%d)" % (
                k, statistics.median(ms), min(ms), max(ms), len(ms)))
    return 0


# --- fake member -----------------------------------------------------------

GW_ERROR_BODY = json.dumps({"error": "etcdserver: request timed out", "code": 14,
                            "message": "etcdserver: request timed out"})


def _read_request(conn, until):
    """Read one request's head and body (Content-Length), bounded."""
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < 65536 and time.monotonic() < until:
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            return None
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip() or 0)
    while len(body) < length and time.monotonic() < until:
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        body += chunk
    return head


def _answer(conn, status, reason, body, ctype):
    conn.sendall(("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                  "Connection: close\r\n\r\n" % (status, reason, ctype, len(body))).encode() + body)


def _serve_one(conn, mode, deadline):
    conn.settimeout(0.2)
    try:
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if _read_request(conn, min(deadline, time.monotonic() + 5)) is None:
            return
        if mode == "stall":
            # Hold the connection, answer nothing, until the client goes or
            # the lifetime ends.
            while time.monotonic() < deadline:
                try:
                    if not conn.recv(4096):
                        return
                except socket.timeout:
                    pass
        elif mode == "garbage":
            _answer(conn, 200, "OK", b"<html>this is not JSON {\"kvs\": [", "application/json")
        elif mode == "gwerror":
            _answer(conn, 503, "Service Unavailable", GW_ERROR_BODY.encode(), "application/json")
        elif mode == "close":
            pass  # close with nothing written: a FIN after the request
    except OSError:
        pass
    finally:
        conn.close()


def cmd_fake(a):
    lifetime = max(1, min(a.lifetime, 3600))
    deadline = time.monotonic() + lifetime
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(64)
    s.settimeout(0.2)
    print("fake: listening on %s:%d mode %s for at most %d s" % (a.addr, a.port, a.mode, lifetime),
          flush=True)
    served = 0
    while time.monotonic() < deadline and served < 100000:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        served += 1
        threading.Thread(target=_serve_one, args=(conn, a.mode, deadline), daemon=True).start()
    print("fake: lifetime over after %d connections" % served, flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("health")
    x.add_argument("--want", type=int)
    x.add_argument("--wait-ms", type=int, default=0)
    x.add_argument("--t0-us", type=int)
    x.add_argument("urls", nargs="+")
    x = sub.add_parser("leader")
    x.add_argument("--wait-ms", type=int, default=0)
    x.add_argument("--not", dest="not_url")
    x.add_argument("--t0-us", type=int)
    x.add_argument("urls", nargs="+")
    x = sub.add_parser("call")
    x.add_argument("--timeout-ms", type=int, default=2000)
    x.add_argument("url")
    x.add_argument("path")
    x.add_argument("json", nargs="?")
    for name in ("put", "get", "lease-of", "grant"):
        x = sub.add_parser(name)
        x.add_argument("--timeout-ms", type=int, default=3000)
        x.add_argument("endpoints")
        if name == "grant":
            x.add_argument("ttl", type=int)
        else:
            x.add_argument("key")
        if name == "put":
            x.add_argument("value")
            x.add_argument("--lease")
    x = sub.add_parser("bench")
    x.add_argument("--n", type=int, default=20)
    x.add_argument("url")
    x = sub.add_parser("fake")
    x.add_argument("--mode", required=True, choices=["stall", "garbage", "gwerror", "close", "reset"])
    x.add_argument("--addr", required=True)
    x.add_argument("--port", type=int, default=2379)
    x.add_argument("--lifetime", type=int, default=120)
    a = p.parse_args()
    fn = {"health": cmd_health, "leader": cmd_leader, "call": cmd_call, "put": cmd_put,
          "get": cmd_get, "lease-of": cmd_lease_of, "grant": cmd_grant, "bench": cmd_bench,
          "fake": cmd_fake}[a.cmd]
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
