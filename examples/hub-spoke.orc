// The hub of the shell framework orche grew from, and a dozen spokes. Its dependency table and
// per-service health timeouts give levels 0 to 4:
//   level 0: postgres, mongodb, redis, opa     level 1: keycloak     level 2: backend
//   level 3: frontend, opal-server             level 4: kas, and every spoke's opal-client
// Try:
//   orche export examples/hub-spoke.orc -e startup      sequential vs parallel seconds
//   orche export examples/hub-spoke.orc -e levels
//   orche graph examples/hub-spoke.orc --out dot | dot -Tsvg > hub.svg
package hubspoke

import "orche/federation"

// What every spoke runs: an agent that pulls policy from the hub's OPAL server.
_spoke: {
	tier: "edge"
	resources: {
		"opa-agent": {kind: "docker", image: "openpolicyagent/opa:0.68", health: timeout: 30}
		"opal-client": {
			kind:  "docker"
			image: "permitio/opal-client:0.7"
			depends_on: {"opa-agent": true, "hub/opal-server": true}
			health: timeout: 45
		}
	}
}

federation.#Federation & {
	name: "hub-and-spokes"
	sync: {mode: "pull", interval: "1m"}
	sites: {
		hub: {
			tier:     "core"
			location: "eu-central"
			network: {prefix: "10.0.0.0/16", dns: ["10.0.0.2"], gateway: "10.0.0.1"}
			resources: {
				postgres: {kind: "docker", image: "postgres:16", health: timeout: 60}
				mongodb: {kind: "docker", image: "mongo:7", health: timeout: 90}
				redis: {kind: "docker", image: "redis:7", health: {timeout: 30, backoff: "fixed_jitter"}}
				opa: {kind: "docker", image: "openpolicyagent/opa:0.68", health: timeout: 30}
				keycloak: {
					kind:       "docker"
					image:      "quay.io/keycloak/keycloak:26"
					depends_on: {postgres: true}
					// Realm import is slow: progressive backoff, as the seed tuned it.
					health: {timeout: 180, backoff: "progressive", base_delay: 5, retries: 4}
				}
				backend: {
					kind:  "docker"
					image: "hub/backend:2.3"
					depends_on: {postgres: true, mongodb: true, redis: true, keycloak: true}
					health: timeout: 120
				}
				frontend: {kind: "docker", image: "hub/frontend:2.3", depends_on: {backend: true}, health: timeout: 90}
				"opal-server": {kind: "docker", image: "permitio/opal-server:0.7", depends_on: {backend: true, opa: true}, health: timeout: 60}
				kas: {kind: "docker", image: "hub/kas:1.4", depends_on: {mongodb: true, backend: true, "opal-server": true}, health: timeout: 60}
			}
		}
		for i, n in ["berlin", "paris", "madrid", "rome", "vienna", "prague", "warsaw", "oslo", "dublin", "lisbon", "athens", "helsinki"] {
			(n): _spoke & {
				location: n
				network: {prefix: "10.\(i+1).0.0/16", dns: ["10.\(i+1).0.2"]}
			}
		}
	}
}
