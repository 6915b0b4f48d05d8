"""A bounded HTTP client loop for the ingress tests: one new connection per request, every failure counted.

    python3 request_loop.py URL [--count N] [--host H] [--pause S] [--until FILE --after N] [--seconds S]

Without --until it makes --count requests. With --until it runs until FILE exists, then --after more
requests, and at least --count in all. --seconds bounds the whole run. Prints one JSON line:
{"total", "failures", "bodies": {body: count}, "errors": [first few], "stopped_by", "seconds"}
(stopped_by: "count" or "until" when the loop ended as asked, "time" when --seconds cut it short).
"""

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse


def request(url, host):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        headers = {"Host": host or parts.netloc, "Connection": "close"}
        connection.request("GET", parts.path or "/", headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace").strip()
        if response.status != 200:
            raise RuntimeError("HTTP %d: %s" % (response.status, body[:80]))
        return body
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--host")
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--until")
    parser.add_argument("--after", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    started = time.monotonic()
    total, failures, bodies, errors = 0, 0, {}, []
    remaining_after = None
    stopped_by = "time"
    while time.monotonic() - started < args.seconds:
        if args.until and remaining_after is None and os.path.exists(args.until):
            remaining_after = args.after
        if (not args.until or remaining_after == 0) and total >= args.count:
            stopped_by = "until" if args.until else "count"
            break
        try:
            body = request(args.url, args.host)
            bodies[body] = bodies.get(body, 0) + 1
        except (OSError, RuntimeError, http.client.HTTPException) as exc:
            failures += 1
            if len(errors) < 5:
                errors.append("%s: %s" % (type(exc).__name__, exc))
        total += 1
        if remaining_after:
            remaining_after -= 1
        if args.pause:
            time.sleep(args.pause)
    print(json.dumps({"total": total, "failures": failures, "bodies": bodies, "errors": errors,
                      "stopped_by": stopped_by, "seconds": round(time.monotonic() - started, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
