#!/usr/bin/python3
"""A wire client independent of the project's C++ code (Python and pyzmq only).

Starts dispatchd on free loopback ports, runs the seed's walkthrough as the real accounts up to
the technician accepting his first order (logging in with initial passwords and changing them),
and, subscribed as that technician to the publish endpoint, checks that he hears of exactly the
changes to his own folders, with no customer data in them.

The administrator's password is set on the server's store first, with DISPATCHCTL.

usage: wire_client.py DISPATCHD DISPATCHCTL WALKTHROUGH.jsonl
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import zmq

TECHNICIAN = "S21009110002"
ADMIN_PASSWORD = "admin-password-2026"
STAFF_FOLDERS = {"to_accept", "to_process", "completed"}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)


def main():
    dispatchd, dispatchctl, walkthrough = sys.argv[1], sys.argv[2], sys.argv[3]
    commands = [json.loads(line) for line in open(walkthrough, encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        ready = os.path.join(tmp, "ready.json")
        with open(os.path.join(tmp, "admin-password"), "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        subprocess.run([dispatchctl, "admin-password", "--data", os.path.join(tmp, "store"),
                        "--password-file", os.path.join(tmp, "admin-password")], check=True,
                       stdout=subprocess.DEVNULL)
        log = open(os.path.join(tmp, "dispatchd.log"), "w")
        daemon = subprocess.Popen(
            [dispatchd, "--data", os.path.join(tmp, "store"), "--listen", "tcp://127.0.0.1:*",
             "--publish", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0",
             "--password-hashing", "minimum", "--ready-file", ready], stderr=log)
        try:
            for _ in range(600):
                if os.path.exists(ready) or daemon.poll() is not None:
                    break
                time.sleep(0.05)
            endpoints = json.load(open(ready))
            run(endpoints, commands)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            check(code == 0, "dispatchd exited %s after SIGTERM" % code)
            if failures:
                log.close()
                sys.stderr.write(open(os.path.join(tmp, "dispatchd.log")).read())
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("ok: the Python client ran the walkthrough's first part and heard its own notices")


def run(endpoints, commands):
    context = zmq.Context()
    wire = context.socket(zmq.DEALER)
    wire.setsockopt(zmq.RCVTIMEO, 30000)
    wire.setsockopt(zmq.LINGER, 0)
    wire.connect(endpoints["listen"])

    def request(body):
        wire.send(json.dumps(body).encode("utf-8"))
        return json.loads(wire.recv())

    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt_string(zmq.SUBSCRIBE, "staff/" + TECHNICIAN)
    sub.connect(endpoints["publish"])
    time.sleep(0.3)  # the subscription reaches the publisher

    tokens = {}

    def token(account):
        if account in tokens:
            return tokens[account]
        if account == "admin":
            login = request({"op": "login", "account": "admin", "password": ADMIN_PASSWORD})
            check(login.get("ok") is True and not login["must_change_password"], "admin login")
            tokens[account] = login["token"]
            return login["token"]
        login = request({"op": "login", "account": account, "password": account})
        check(login.get("ok") is True, "login %s: %s" % (account, login))
        check(login.get("must_change_password") is True, "%s must change its password" % account)
        changed = request({"op": "change_password", "token": login["token"],
                           "old_password": account, "new_password": account + "-new-pass"})
        check(changed.get("ok") is True, "change_password %s: %s" % (account, changed))
        tokens[account] = login["token"]
        return login["token"]

    accepted = None
    for line, command in enumerate(commands, 1):
        body = dict(command)
        del body["actor"]  # over the wire the actor is whoever is logged in
        reply = request({"op": "command", "token": token(command["actor"]), "command": body,
                         "request_id": line})
        check(reply.get("ok") is True, "line %d: %s" % (line, reply))
        check(reply.get("request_id") == line, "line %d: request_id not echoed" % line)
        if command["type"] == "AcceptOrder" and command["actor"] == TECHNICIAN:
            accepted = command["order_id"]
            break
    check(accepted is not None, "the walkthrough has the technician accept an order")

    # Acting for someone else is refused.
    refused = request({"op": "command", "token": token(TECHNICIAN),
                       "command": {"id": "py-1", "type": "AddFeedback", "actor": "S2100911",
                                   "order_id": accepted, "text": "x"}})
    check(refused.get("error", {}).get("code") == "forbidden", "acting as another: %s" % refused)

    # The technician's own folders, as he sees them; and not the outlet's.
    mine = request({"op": "query", "token": token(TECHNICIAN), "query": "folder",
                    "owner": TECHNICIAN, "folder": "to_process"})
    check(accepted in [o["order_id"] for o in mine.get("orders", [])],
          "the accepted order is in 待处理: %s" % mine)
    outlet = request({"op": "query", "token": token(TECHNICIAN), "query": "folder",
                      "owner": "S2100911", "folder": "in_progress"})
    check(outlet.get("error", {}).get("code") == "forbidden", "a technician sees the outlet's")

    notices = []
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    while poller.poll(1000):
        notices.append(sub.recv_multipart())
    check(len(notices) >= 2, "heard %d notices" % len(notices))
    heard_types = set()
    for frames in notices:
        check(len(frames) == 2, "two frames: %r" % frames)
        topic, notice = frames[0].decode(), json.loads(frames[1])
        check(topic == "staff/" + TECHNICIAN, "only his own topic: %s" % topic)
        check(set(notice) == {"position", "type", "order_id", "folders"},
              "a notice has no customer data: %s" % notice)
        check(set(notice["folders"]) <= STAFF_FOLDERS, "staff folders only: %s" % notice)
        heard_types.add(notice["type"])
    check({"TechniciansAssigned", "OrderAccepted"} <= heard_types,
          "heard the assignment and the acceptance: %s" % heard_types)
    last = max(json.loads(f[1])["position"] for f in notices) if notices else 0
    health = request({"op": "health"})
    check(health["head"]["position"] >= last, "notices are of committed positions")


if __name__ == "__main__":
    main()
