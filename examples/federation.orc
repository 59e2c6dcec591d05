// A federation of two core sites and one edge kiosk. Try:
//   orche export examples/federation.orc
//   orche graph examples/federation.orc --out mermaid
package example

import "orche/federation"

federation.#Federation & {
	name: "example-org"
	sites: {
		primary: {
			tier:     "core"
			location: "us-east"
			network: {prefix: "10.1.0.0/16", dns: ["10.1.1.5"]}
			resources: {
				postgres: {kind: "docker", image: "postgres:16", health: timeout: 60}
				keycloak: {kind: "docker", image: "keycloak:26", depends_on: {postgres: true}, health: timeout: 180}
			}
		}
		replica: {
			tier:     "core"
			location: "us-west"
			network: {prefix: "10.2.0.0/16", dns: ["10.2.1.5"]}
			resources: {
				postgres: {kind: "docker", image: "postgres:16", depends_on: {"primary/postgres": true}, health: timeout: 60}
			}
		}
		kiosk: {
			tier: "edge"
			network: {prefix: "10.9.0.0/24", dns: []}
			resources: {
				app: {kind: "docker", image: "app:1", depends_on: {"primary/keycloak": true}}
			}
		}
	}
	cross_site: db: {
		primary_site: "primary"
		replica_sites: {replica: true}
		failover: {automatic: true, priority: ["primary", "replica"]}
	}
}
