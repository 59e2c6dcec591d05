// A small federation: two sites, a few resources each, checked against schemas.
// Plain CUE core language: `cue export examples/hello.orc` prints the same JSON.
package hello

// A resource is something one site runs. Constraints check it; defaults fill what is unset.
#Resource: {
	name:  string
	kind:  "docker" | "systemd" | "http"
	port?: int & >0 & <65536
	health: {
		timeout: int & >0 | *60
		retries: int & >=0 & <=10 | *3
	}
	// The names of resources of the same site that must be up first.
	depends_on: [string]: true
}

#Site: {
	name:   string
	region: *"eu-west" | "eu-central" | "us-east"
	// Each resource is named by its key.
	resources: [Name=string]: #Resource & {name: Name}
}

sites: [Name=string]: #Site & {name: Name}

sites: paris: resources: {
	db: {kind: "docker", port: 5432}
	api: {
		kind: "docker"
		port: 8080
		depends_on: db: true
		health: timeout: 30
	}
	web: {kind: "http", port: 443, depends_on: api: true}
}

sites: lyon: {
	region: "eu-central"
	resources: agent: kind: "systemd"
}

// Derived data, computed by comprehensions and string interpolation.
endpoints: [
	for sn, s in sites
	for rn, r in s.resources
	if r.kind == "http" {"https://\(rn).\(sn).example.org:\(r.port)"},
]

summary: {
	for sn, s in sites {
		(sn): {region: s.region, resources: len(s.resources)}
	}
}
