#!/usr/bin/env python3
"""Latency of `orche lsp` diagnostics: open FILE, then edit it N times (each edit appends a
comment line), waiting each time for the diagnostics; print p50, p95 and the worst time from
sending the edit to receiving its diagnostics, and the server's resident memory after the
first and the last edit (a leak shows as growth). Not part of `cargo test`.

Given a directory instead (a package in several files, `gen.py --stdlib-package`), it opens
every .orc file in it and edits the second in name order (the first file of sites): each edit
re-checks the whole package.

Usage: bench/lsp.py [--orche target/release/orche] FILE|DIR [N]
"""
import json, os, statistics, subprocess, sys, time

args = sys.argv[1:]
orche = "target/release/orche"
if args[:1] == ["--orche"]:
    orche, args = args[1], args[2:]
target = os.path.abspath(args[0])
n = int(args[1]) if len(args) > 1 else 20
if os.path.isdir(target):
    files = sorted(os.path.join(target, f) for f in os.listdir(target) if f.endswith(".orc"))
    if not files:
        sys.exit(f"lsp.py: no .orc file in {target}")
    path = files[1] if len(files) > 1 else files[0]
else:
    files, path = [target], target
uri = "file://" + path
p = subprocess.Popen([orche, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def send(msg):
    body = json.dumps(msg).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()

def recv():
    length = 0
    while True:
        line = p.stdout.readline().strip()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
    return json.loads(p.stdout.read(length))

def wait_diagnostics():
    while True:
        m = recv()
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            return len(m["params"]["diagnostics"])

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
recv()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
others = [f for f in files if f != path]
for other in others:
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": "file://" + other, "languageId": "orche", "version": 1,
                                      "text": open(other).read()}}})
text = open(path).read()
t = time.perf_counter()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "orche", "version": 1, "text": text}}})
count = wait_diagnostics()
first = time.perf_counter() - t
def rss():
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

times = []
rss_first = 0
for v in range(n):
    text += "// edit %d\n" % v
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": v + 2}, "contentChanges": [{"text": text}]}})
    wait_diagnostics()
    times.append(time.perf_counter() - t)
    if v == 0:
        rss_first = rss()
rss_last = rss()
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
send({"jsonrpc": "2.0", "method": "exit"})
# Read what the server still sends (diagnostics of the package's other files) until it exits:
# a server blocked writing to a full pipe cannot take the exit.
p.communicate()
times.sort()
p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
lines = text.count("\n") + sum(open(f).read().count("\n") for f in others)
name = os.path.basename(target) + (f" ({len(files)} files)" if len(files) > 1 else "")
print(f"{name} ({lines} lines): {count} diagnostics; open {first * 1000:.1f} ms; "
      f"edit p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
      f"worst {times[-1] * 1000:.1f} ms ({n} edits); server RSS after the first edit {rss_first} KiB, "
      f"after the last {rss_last} KiB")
