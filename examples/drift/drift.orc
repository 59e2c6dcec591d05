// A federation you can probe on your own machine: a web page (a file), a small HTTP server
// that serves it on 127.0.0.1:8765 (Python's http.server), its TCP port and its process.
// Nothing here needs root or Docker. The loop (docs/drift.md walks through it):
//
//   orche export --probes examples/drift/drift.orc > probe.sh
//   sh probe.sh > live.json                                   # read-only
//   orche drift examples/drift/drift.orc --live live.json     # exit 2: everything missing
//   orche plan examples/drift/drift.orc --live live.json --out sh > fix.sh
//   sh fix.sh                                                 # dry run: prints the steps
//   sh fix.sh --apply                                         # writes the page, starts the server
//   sh probe.sh > live.json && orche drift examples/drift/drift.orc --live live.json  # exit 0
//
// Then edit /tmp/orche-drift-demo/www/index.html and probe again: drift reports the page's
// content as changed, and a new plan writes it back. Stop the server with
// `pkill -f 'http.server 8765'`.
package drift

import "orche/federation"

federation.#Federation & {
	name: "drift-demo"
	sites: local: {
		tier: "core"
		network: {prefix: "127.0.0.0/8", dns: []}
		resources: {
			page: {
				kind:    "file"
				path:    "/tmp/orche-drift-demo/www/index.html"
				content: "<h1>hello from orche</h1>\n"
				mode:    "644"
			}
			// The server process; orche/actions cannot start a process by itself, so the
			// resource says how (a detached Python web server).
			server: {
				kind:    "process"
				process: "http[.]server 8765"
				depends_on: page: true
				health: {timeout: 10, retries: 4, base_delay: 1}
				actions: create: ["sh", "-c", "nohup python3 -m http.server 8765 --bind 127.0.0.1 --directory \"$1\" >/dev/null 2>&1 &", "sh", "/tmp/orche-drift-demo/www"]
			}
			port: {
				kind: "tcp"
				host: "127.0.0.1"
				port: 8765
				depends_on: server: true
				health: {timeout: 10, retries: 4, base_delay: 1}
				// It comes with the server: nothing to do but wait for it.
				actions: create: ["true"]
			}
			web: {
				kind: "http"
				url:  "http://127.0.0.1:8765/index.html"
				body: "hello from orche"
				depends_on: port: true
				health: {timeout: 10, retries: 4, base_delay: 1}
				actions: create: ["true"]
			}
		}
	}
}
