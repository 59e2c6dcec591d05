#!/usr/bin/env python3
"""Latency of `orche lsp` diagnostics: open FILE, then edit it N times (each edit appends a
comment line), waiting each time for the diagnostics; print the median and the worst time
from sending the edit to receiving its diagnostics. Not part of `cargo test`.

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
times = []
for v in range(n):
    text += "// edit %d\n" % v
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": v + 2}, "contentChanges": [{"text": text}]}})
    wait_diagnostics()
    times.append(time.perf_counter() - t)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
send({"jsonrpc": "2.0", "method": "exit"})
p.wait()
print(f"{os.path.basename(path)}: {count} diagnostics; open {first * 1000:.1f} ms; "
      f"edit median {statistics.median(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms ({n} edits)")
