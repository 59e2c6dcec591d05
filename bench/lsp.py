#!/usr/bin/env python3
"""Latency of `orche lsp` diagnostics: open FILE, then edit it N times (each edit appends a
comment line), waiting each time for the diagnostics; print p50, p95 and the worst time from
sending the edit to receiving its diagnostics, and the server's resident memory after the
first and the last edit (a leak shows as growth). Not part of `cargo test`.

Usage: bench/lsp.py [--orche target/release/orche] FILE [N]
"""
import json, os, statistics, subprocess, sys, time

args = sys.argv[1:]
orche = "target/release/orche"
if args[:1] == ["--orche"]:
    orche, args = args[1], args[2:]
path = os.path.abspath(args[0])
n = int(args[1]) if len(args) > 1 else 20
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
p.wait()
times.sort()
p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
lines = text.count("\n")
print(f"{os.path.basename(path)} ({lines} lines): {count} diagnostics; open {first * 1000:.1f} ms; "
      f"edit p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
      f"worst {times[-1] * 1000:.1f} ms ({n} edits); server RSS after the first edit {rss_first} KiB, "
      f"after the last {rss_last} KiB")
