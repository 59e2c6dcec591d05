// A deliberate dependency cycle, to show the error: keycloak waits for the backend, which
// waits for keycloak. `orche export examples/cycle.orc` fails and names the cycle;
// `orche graph examples/cycle.orc --out dot` still draws it, with the cycle's edges in red.
package cycle

import "orche/federation"

federation.#Federation & {
	name: "cycle"
	sites: hub: {
		tier: "core"
		network: {prefix: "10.0.0.0/16", dns: []}
		resources: {
			postgres: {kind: "docker", image: "postgres:16"}
			keycloak: {kind: "docker", image: "keycloak:26", depends_on: {postgres: true, backend: true}}
			backend: {kind: "docker", image: "backend:1", depends_on: {keycloak: true}}
		}
	}
}
