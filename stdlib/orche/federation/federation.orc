// Package federation: multi-site infrastructure as data. A federation is a set of sites; a
// site is a set of resources with dependencies and health checks. Everything derived from
// them (graph, levels, waves, startup estimate, deployment order) is computed here, never
// typed in by hand. Graph algorithms are the natives of orche/graph.
//
// Fixes over the CUE module this replaces: names default to their keys; graph dependencies
// are site-prefixed like the nodes; a dependency on a missing resource is an error; the
// deployment order follows cross-site dependencies.
package federation

import (
	"list"
	"net"
	"strings"
	"time"
	dag "orche/graph"
)

// The kinds of resource orche can describe, probe and act on.
#Kind: "docker" | "systemd" | "http" | "tcp" | "file" | "process" | "command"

// The engines that may deploy a resource.
#Engine: "docker" | "helm" | "terraform" | "pulumi" | "crossplane"

// The retry policies of the shell framework orche grew from.
#Backoff: "exponential" | "progressive" | "fixed_jitter"

// A health check: how long to wait for a resource, and how to retry.
#Health: {
	// How long to wait for the resource to become healthy: seconds, or a duration as the
	// seeds wrote it (`"300s"`, `"2m"`; read as whole seconds, rounded up).
	timeout: int & >0 | *60 | time.Duration
	// Time between checks: seconds, or a duration (`"5s"`).
	interval: int & >0 | *5 | time.Duration
	retries: int & >=0 & <=16 | *3
	backoff: *"exponential" | "progressive" | "fixed_jitter"
	// Seconds; the unit of every retry delay.
	base_delay: int & >=0 | *2
}

// The delays before the retries of a health check, in seconds, by the seed's formulas for
// retry n (1-based): exponential base*2^(n-1), progressive base*n + n*n*2, fixed_jitter
// base + random(0..5), listed as its upper bound base + 5. Computed on demand
// (`federation.#RetryDelays & {health: r.health}`), not for every resource.
#RetryDelays: {
	health: #Health
	delays: [for n in list.Range(1, health.retries+1, 1) {
		{
			exponential:  health.base_delay * _pow2[n-1]
			progressive:  health.base_delay*n + n*n*2
			fixed_jitter: health.base_delay + 5
		}[health.backoff]
	}]
}

_pow2: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]

// A resource of a site. Open: kinds and engines add their own fields.
#Resource: {
	name: string
	kind: #Kind
	// A set: "x" is a resource of the same site, "site/x" a resource of another site.
	depends_on: {[string]: true}
	health:       #Health
	engine?:      #Engine
	tags?:        [...string]
	description?: string
	// Lifecycle commands (argv lists) that replace the kind's own (orche/actions); kinds
	// that orche cannot create (http, tcp, process, command) need `create` to be planned.
	actions?: {
		create?: [string, ...string]
		update?: [string, ...string]
		remove?: [string, ...string]
	}

	// The fields its kind requires.
	_kind_fields[kind]
	...
}

// The fields each kind of resource requires, by kind: one lookup per resource instead of a
// condition per kind.
_kind_fields: {
	docker: {
		image!: string
		// Default "<site>-<name>".
		container?: =~"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"
		running?:   bool
		// "host:container/proto", as Docker reports them: "8080:80/tcp".
		ports?: [...=~"^[0-9]+:[0-9]+/(tcp|udp|sctp)$"]
		env?: [string]: string
		command?: [...string]
		network?: string
	}
	systemd: {
		unit!:    string
		active?:  bool
		enabled?: bool
	}
	http: {
		url!:    string
		status?: int & >=100 & <600
		// A substring the body must contain.
		body?: string
	}
	tcp: {
		host:  *"localhost" | string
		port!: int & >0 & <65536
	}
	file: {
		path!:    string
		content?: string
		sha256?:  =~"^[0-9a-f]{64}$"
		// As `stat -c %a` prints it: "644", "1777".
		mode?: =~"^[1-7]?[0-7]{3}$"
	}
	process: {
		// An extended regular expression matched against command lines (`pgrep -f`).
		process!: string
		min?:     int & >=1
	}
	command: {
		// A read-only check, as an argv list.
		command!: [string, ...string]
		expect_exit?:   int
		expect_output?: string
	}
}

// A site: one datacenter, region or edge location.
#Site: {
	name:     string
	tier:     "core" | "edge"
	location: *"" | string
	network: {
		prefix: net.IPCIDR
		dns: [...net.IP]
		gateway?: net.IP & net.InCIDR(prefix)
	}
	resources: [Name=string]: #Resource & {name: *Name | string}
	metadata?: [string]: string
}

// A resource replicated across sites.
#CrossSiteResource: {
	name:         string
	primary_site: string
	replica_sites: {[string]: true}
	replication: {
		mode:       *"async" | "sync"
		// A duration (`"5m"`, `"30s"`), or seconds.
		lag_budget: *"5m" | time.Duration | int & >=0
	}
	failover: {
		automatic: *false | bool
		// Sites in the order they take over; only the primary and replicas.
		priority: [...string]
	}
}

// A node of a dependency graph.
#GraphNode: {
	site?:    string
	resource: string
	kind:     #Kind
	// The health timeout, for the startup estimate: seconds, or a duration (`"30s"`, counted
	// in whole seconds, rounded up).
	timeout: int | time.Duration
	// Keys of other nodes of the same graph.
	depends_on: {[string]: true}
	// In a #SiteGraph: dependencies on other sites' resources, which are not edges.
	external?: {[string]: true}
}

// A dependency graph with its order, levels (0 for no dependencies, else one more than the
// largest level among its dependencies), waves (the nodes of each level, which can start in
// parallel) and startup estimate. A cycle is an error that lists it.
#Graph: _#Analysis & {
	nodes: [string]: #GraphNode
}

// What #Graph computes from its nodes, without checking them against #GraphNode: the
// federation's own graph uses it directly, since its nodes are built from resources that
// #Resource has already checked (checking them again cost a sixth of the evaluation).
_#Analysis: {
	nodes: _
	_analysis: dag.Analyze(nodes)
	order:  _analysis.order
	levels: _analysis.levels
	waves:  _analysis.waves
	// Seconds: `sequential` if every resource starts after the previous one is healthy, the
	// sum of all health timeouts; `parallel` if each wave starts at once and waits for its
	// slowest resource, the sum over waves of the largest timeout.
	startup: _analysis.startup
}

// The graph of one site: nodes keyed by resource name; dependencies on other sites are kept
// in `external` and are not edges.
#SiteGraph: #Graph & {
	#site: #Site
	nodes: {
		for r, res in #site.resources {
			(r): {
				resource: r
				kind:     res.kind
				timeout:  res.health.timeout
				depends_on: {for d, _ in res.depends_on if !strings.Contains(d, "/") {(d): res.depends_on[d]}}
				external: {for d, _ in res.depends_on if strings.Contains(d, "/") {(d): res.depends_on[d]}}
			}
		}
	}
}

// The graph of a whole federation: nodes keyed "site/resource", dependencies prefixed the
// same way, cross-site edges included.
#FederationGraph: #Graph & {
	nodes: [string]: site: string
}

// A federation of sites.
#Federation: {
	name: string
	sites: [K=string]: #Site & {name: *K | string}
	sync?: {
		mode:     *"push" | "pull" | "bidirectional"
		interval: *"5m" | string
	}
	cross_site?: [N=string]: #CrossSiteResource & {
		name: *N | string
		// Every site named must exist; the primary is not a replica; the failover priority
		// names only the primary and the replicas.
		primary_site: or(_site_names)
		// A replica must be a site of the federation,
		replica_sites: close({[or(_site_names)]: true})
		// and not the primary (its entry would have to be false).
		replica_sites: [primary_site]: false
		failover: priority: [...or([primary_site, for r, _ in replica_sites {r}])]
	}

	_site_names: [for s, _ in sites {s}]

	// Every resource, keyed "site/resource".
	total_resources: {
		for s, site in sites for r, res in site.resources {"\(s)/\(r)": res}
	}

	// A #FederationGraph, whose nodes are not checked again (see _#Analysis).
	graph: _#Analysis & {
		nodes: {
			for s, site in sites for r, res in site.resources {
				"\(s)/\(r)": {
					"site":   s
					resource: r
					kind:     res.kind
					timeout:  res.health.timeout
					// Keys "site/resource" ("x" is a resource of this site); values are the
					// resource's own entries, so errors point at them.
					depends_on: dag.QualifyKeys(s, res.depends_on)
				}
			}
		}
	}
	levels:  graph.levels
	waves:   graph.waves
	startup: graph.startup

	// Sites in the order to deploy them: core sites, then edge sites, in declaration order,
	// except that a site comes after every site its resources depend on.
	deployment_order: dag.GroupOrder(graph.nodes, "site", [
		for s, site in sites if site.tier == "core" {s},
		for s, site in sites if site.tier == "edge" {s},
	])
}
