#!/usr/bin/env python3
"""Generate a federation-shaped configuration in plain CUE, for benchmarks.

Usage: gen.py SITES RESOURCES [SEED] > federation.cue
       gen.py --graph SITES RESOURCES [SEED] > federation.cue
       gen.py --stdlib SITES RESOURCES [SEED] > federation.orc
       gen.py --stdlib-yaml DIR SITES RESOURCES [SEED]   (DIR/federation.orc, DIR/sites/*.yaml)
       gen.py --stdlib-module DIR SITES RESOURCES [SEED] (a module: DIR/cue.mod, schemas, regions)
       gen.py --stdlib-package DIR SITES RESOURCES [SEED] (one package in ten files under DIR)
       gen.py --jsonnet SITES RESOURCES [SEED] > federation.jsonnet

Every site has RESOURCES resources; each resource depends on 0-3 resources declared before it
in the same site, so the graph has no cycles. The output depends only on the arguments: the
pseudo-random choices come from a fixed xorshift generator, not from Python's `random`, whose
algorithms may change between versions. The file uses only the CUE core language, so
`cue export` and `orche export` can both evaluate it.

With --stdlib the same shape goes through orche's standard library instead:
`federation.#Federation & {...}`, sites with tiers and networks, and one resource in eight
also depending on a resource of an earlier site (so sites stay acyclic). Only orche reads it.

With --stdlib-yaml the same federation (the same sites, resources and dependencies as
--stdlib with the same arguments) is split into DIR/federation.orc, which holds only the
`federation.#Federation & {name: "bench"}` head, and one YAML data file per site under
DIR/sites/ (`sites: {NAME: {...}}`), which `orche export DIR/federation.orc DIR/sites/*.yaml`
unifies at the root. Its export equals the single file's.

With --stdlib-module the same federation is a CUE module of eleven packages under DIR:
`schemas` (`#Federation`, the stdlib's with the federation's name), ten region packages
`regions/r0` … `regions/r9` that each hold a tenth of the sites as plain data (`sites: {...}`),
and the module root's package, which imports them all and unifies
`schemas.#Federation & {sites: r0.sites, …}`: `orche export DIR` exports what the single
file does.

With --stdlib-package the same federation is one package in ten files under DIR:
federation.orc holds the `federation.#Federation & {name: "bench"}` head, and sites-1.orc …
sites-9.orc each hold a ninth of the sites (`sites: {...}`), unified at the package root: the
language server's multi-file benchmark (bench/lsp.py DIR).

With --jsonnet the plain workload (the same sites and resources as without it, for the same
arguments) is written in Jsonnet, for jrsonnet: the schemas become objects that each site and
resource is added to (defaults by inheritance, `health+:` where a resource sets a timeout),
with assertions for the kinds, regions and port bounds that the CUE schema constrains. It
evaluates to the same data as `cue export` of the plain file, with fields in Jsonnet's sorted
order.

--graph appends a closed `#Graph` whose comprehensions list every dependency edge and every
node of all sites (`graph: #Graph & {in: sites}`): a stand-in for computed graph fields until
the `#Federation` stdlib package exists.
"""

import sys

SCHEMA = """\
package bench

#Resource: {
\tname:  string
\tkind:  "docker" | "systemd" | "http"
\tport?: int & >0 & <65536
\timage?: string
\thealth: {
\t\ttimeout:  int & >0 | *60
\t\tinterval: int & >0 | *10
\t}
\tdepends_on: [string]: true
}

#Site: {
\tname:   string
\tregion: *"eu-west" | "eu-central" | "us-east"
\tresources: [Name=string]: #Resource & {name: Name}
}

sites: [Name=string]: #Site & {name: Name}
"""

GRAPH = """
#Graph: {
\tin: [string]: #Site
\tedges: [for sn, s in in for rn, r in s.resources for d, _ in r.depends_on {from: "\\(sn)/\\(rn)", to: "\\(sn)/\\(d)"}]
\tnodes: {for sn, s in in for rn, r in s.resources {"\\(sn)/\\(rn)": {kind: r.kind, deps: len(r.depends_on)}}}
\tcount: len(edges)
}
graph: #Graph & {in: sites}
"""

KINDS = ["docker", "systemd", "http"]
REGIONS = ["eu-west", "eu-central", "us-east"]


class XorShift:
    """xorshift64*: small, fast, and the same on every platform and Python version."""

    def __init__(self, seed):
        self.state = (seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF or 1

    def next(self):
        x = self.state
        x ^= (x >> 12)
        x ^= (x << 25) & 0xFFFFFFFFFFFFFFFF
        x ^= (x >> 27)
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return (self.next() >> 33) % n


def plain_site(rng, s, resources):
    """The random choices of one site of the plain workload: its name, region and resources
    (name, kind, port, image, health timeout, dependencies), drawn in a fixed order."""
    name = f"site-{s:04d}"
    region = REGIONS[rng.below(len(REGIONS))]
    out = []
    for r in range(resources):
        kind = KINDS[rng.below(len(KINDS))]
        port = 8000 + r if kind != "systemd" else None
        image = f"registry.example.org/{name}/svc-{r:03d}:1.{rng.below(20)}" if kind == "docker" else None
        timeout = 10 * (1 + rng.below(12)) if rng.below(4) == 0 else None
        deps = sorted({rng.below(r) for _ in range(rng.below(4))}) if r > 0 else []
        out.append((f"svc-{r:03d}", kind, port, image, timeout, deps))
    return name, region, out


def resource_fields(kind, port, image, deps, health):
    """A plain resource's fields, the same in CUE and Jsonnet (both read double-quoted
    strings) but for `health`, which the caller writes in its own syntax (or None)."""
    fields = [f'kind: "{kind}"']
    if port is not None:
        fields.append(f"port: {port}")
    if image is not None:
        fields.append(f'image: "{image}"')
    if health is not None:
        fields.append(health)
    if deps:
        inner = ", ".join(f'"svc-{d:03d}": true' for d in deps)
        fields.append(f"depends_on: {{{inner}}}")
    return ", ".join(fields)


def site(rng, s, resources):
    name, region, res = plain_site(rng, s, resources)
    out = [f'sites: "{name}": {{\n']
    if region != "eu-west":
        out.append(f'\tregion: "{region}"\n')
    out.append("\tresources: {\n")
    for rname, kind, port, image, timeout, deps in res:
        health = None if timeout is None else f"health: timeout: {timeout}"
        out.append(f'\t\t"{rname}": {{{resource_fields(kind, port, image, deps, health)}}}\n')
    out.append("\t}\n}\n")
    return "".join(out)


JSONNET_HEAD = """\
local Resource = {
\tkind: error 'kind is required',
\tassert std.member(['docker', 'systemd', 'http'], self.kind) : 'kind: not a known kind',
\tassert !std.objectHas(self, 'port') || (std.isNumber(self.port) && self.port == std.floor(self.port) && self.port > 0 && self.port < 65536) : 'port: out of range',
\tassert !std.objectHas(self, 'image') || std.isString(self.image) : 'image: not a string',
\thealth: {
\t\ttimeout: 60,
\t\tinterval: 10,
\t\tassert std.isNumber(self.timeout) && self.timeout == std.floor(self.timeout) && self.timeout > 0 : 'timeout: not a positive int',
\t\tassert std.isNumber(self.interval) && self.interval == std.floor(self.interval) && self.interval > 0 : 'interval: not a positive int',
\t},
\tdepends_on: {},
\tassert std.all([self.depends_on[d] == true for d in std.objectFields(self.depends_on)]) : 'depends_on: values must be true',
};
local Site = {
\tregion: 'eu-west',
\tassert std.member(['eu-west', 'eu-central', 'us-east'], self.region) : 'region: not a known region',
\tresources: {},
};
local input = {
"""

JSONNET_TAIL = """\
};
{
\tsites: {
\t\t[s]: Site + input[s] + {
\t\t\tname: s,
\t\t\tresources: {
\t\t\t\t[r]: Resource + input[s].resources[r] + {name: r}
\t\t\t\tfor r in std.objectFields(input[s].resources)
\t\t\t},
\t\t}
\t\tfor s in std.objectFields(input)
\t},
}
"""


def jsonnet_site(rng, s, resources):
    """The site `site` writes, in Jsonnet; the same random choices in the same order."""
    name, region, res = plain_site(rng, s, resources)
    out = [f'\t"{name}": {{\n']
    if region != "eu-west":
        out.append(f'\t\tregion: "{region}",\n')
    out.append("\t\tresources: {\n")
    for rname, kind, port, image, timeout, deps in res:
        health = None if timeout is None else f"health+: {{timeout: {timeout}}}"
        out.append(f'\t\t\t"{rname}": {{{resource_fields(kind, port, image, deps, health)}}},\n')
    out.append("\t\t},\n\t},\n")
    return "".join(out)


STDLIB_HEAD = """\
package bench

import "orche/federation"

federation.#Federation & {
\tname: "bench"
\tsites: {
"""


def stdlib_site(rng, s, resources):
    out = []
    name = f"site-{s:04d}"
    tier = "edge" if rng.below(3) == 0 else "core"
    out.append(f'\t\t"{name}": {{\n')
    out.append(f'\t\t\ttier: "{tier}"\n')
    out.append(f'\t\t\tnetwork: {{prefix: "10.{s // 256}.{s % 256}.0/24", dns: ["10.{s // 256}.{s % 256}.2"]}}\n')
    out.append("\t\t\tresources: {\n")
    for r in range(resources):
        kind = KINDS[rng.below(len(KINDS))]
        fields = [f'kind: "{kind}"']
        if kind == "docker":
            fields.append(f'image: "registry.example.org/{name}/svc-{r:03d}:1.{rng.below(20)}"')
        elif kind == "systemd":
            fields.append(f'unit: "svc-{r:03d}.service"')
        else:
            fields.append(f'url: "http://svc-{r:03d}.{name}.example.org:{8000 + r}/health"')
        if rng.below(4) == 0:
            fields.append(f"health: timeout: {10 * (1 + rng.below(12))}")
        deps = sorted({rng.below(r) for _ in range(rng.below(4))}) if r > 0 else []
        entries = [f'"svc-{d:03d}": true' for d in deps]
        if s > 0 and rng.below(8) == 0:
            other = rng.below(s)
            entries.append(f'"site-{other:04d}/svc-{rng.below(resources):03d}": true')
        if entries:
            fields.append(f"depends_on: {{{', '.join(entries)}}}")
        out.append(f'\t\t\t\t"svc-{r:03d}": {{{", ".join(fields)}}}\n')
    out.append("\t\t\t}\n\t\t}\n")
    return "".join(out)


YAML_HEAD = """\
package bench

import "orche/federation"

federation.#Federation & {
\tname: "bench"
}
"""


def yaml_site(rng, s, resources):
    """The site stdlib_site writes, as a YAML document; the same random choices in the same
    order."""
    out = []
    name = f"site-{s:04d}"
    tier = "edge" if rng.below(3) == 0 else "core"
    out.append(f"sites:\n  {name}:\n")
    out.append(f"    tier: {tier}\n")
    out.append(f'    network: {{prefix: "10.{s // 256}.{s % 256}.0/24", dns: ["10.{s // 256}.{s % 256}.2"]}}\n')
    out.append("    resources:\n")
    for r in range(resources):
        kind = KINDS[rng.below(len(KINDS))]
        fields = [f"kind: {kind}"]
        if kind == "docker":
            fields.append(f'image: "registry.example.org/{name}/svc-{r:03d}:1.{rng.below(20)}"')
        elif kind == "systemd":
            fields.append(f'unit: "svc-{r:03d}.service"')
        else:
            fields.append(f'url: "http://svc-{r:03d}.{name}.example.org:{8000 + r}/health"')
        if rng.below(4) == 0:
            fields.append(f"health: {{timeout: {10 * (1 + rng.below(12))}}}")
        deps = sorted({rng.below(r) for _ in range(rng.below(4))}) if r > 0 else []
        entries = [f'"svc-{d:03d}": true' for d in deps]
        if s > 0 and rng.below(8) == 0:
            other = rng.below(s)
            entries.append(f'"site-{other:04d}/svc-{rng.below(resources):03d}": true')
        if entries:
            fields.append(f"depends_on: {{{', '.join(entries)}}}")
        out.append(f'      "svc-{r:03d}": {{{", ".join(fields)}}}\n')
    return "".join(out)


MODULE_FILE = """\
module: "example.com/bench"
language: version: "v0.9.0"
"""

MODULE_SCHEMAS = """\
package schemas

import "orche/federation"

#Federation: federation.#Federation & {name: "bench"}
"""

REGIONS_IN_MODULE = 10


def write_module(root, sites, resources, rng):
    """The --stdlib-module layout: the sites of stdlib_site, in order, split into ten region
    packages (the first sites % 10 regions hold one more)."""
    import os

    def put(rel, text):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    put("cue.mod/module.cue", MODULE_FILE)
    put("schemas/schemas.orc", MODULE_SCHEMAS)
    s = 0
    for region in range(REGIONS_IN_MODULE):
        count = sites // REGIONS_IN_MODULE + (1 if region < sites % REGIONS_IN_MODULE else 0)
        body = [f"package r{region}\n\nsites: {{\n"]
        for _ in range(count):
            body.append(stdlib_site(rng, s, resources))
            s += 1
        body.append("}\n")
        put(f"regions/r{region}/sites.orc", "".join(body))
    imports = "".join(
        f'\tr{region} "example.com/bench/regions/r{region}"\n' for region in range(REGIONS_IN_MODULE)
    )
    uses = "".join(f"\tsites: r{region}.sites\n" for region in range(REGIONS_IN_MODULE))
    put(
        "federation.orc",
        f'package bench\n\nimport (\n\t"example.com/bench/schemas"\n{imports})\n\n'
        f"schemas.#Federation & {{\n{uses}}}\n",
    )


PACKAGE_FILES = 10


def write_package(root, sites, resources, rng):
    """The --stdlib-package layout: the head and the sites of stdlib_site, in order, in
    PACKAGE_FILES - 1 files of package bench."""
    import os

    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "federation.orc"), "w") as f:
        f.write(YAML_HEAD)
    parts = PACKAGE_FILES - 1
    s = 0
    for part in range(parts):
        count = sites // parts + (1 if part < sites % parts else 0)
        body = ["package bench\n\nsites: {\n"]
        for _ in range(count):
            body.append(stdlib_site(rng, s, resources))
            s += 1
        body.append("}\n")
        with open(os.path.join(root, f"sites-{part + 1}.orc"), "w") as f:
            f.write("".join(body))


def write_yaml(root, sites, resources, rng):
    """The --stdlib-yaml layout: the head in federation.orc, each site in a YAML file of its
    own under sites/."""
    import os

    os.makedirs(os.path.join(root, "sites"), exist_ok=True)
    with open(os.path.join(root, "federation.orc"), "w") as f:
        f.write(YAML_HEAD)
    for s in range(sites):
        with open(os.path.join(root, "sites", f"site-{s:04d}.yaml"), "w") as f:
            f.write(yaml_site(rng, s, resources))


def main(argv):
    writers = {
        "--stdlib-package": write_package,
        "--stdlib-module": write_module,
        "--stdlib-yaml": write_yaml,
    }
    if len(argv) > 1 and argv[1] in writers:
        write = writers[argv[1]]
        argv = argv[1:]
        if len(argv) not in (4, 5):
            sys.exit(__doc__)
        rng = XorShift(int(argv[4]) if len(argv) == 5 else 1)
        write(argv[1], int(argv[2]), int(argv[3]), rng)
        return
    if len(argv) > 1 and argv[1] == "--stdlib":
        argv = argv[1:]
        if len(argv) not in (3, 4):
            sys.exit(__doc__)
        sites, resources = int(argv[1]), int(argv[2])
        rng = XorShift(int(argv[3]) if len(argv) == 4 else 1)
        out = sys.stdout
        out.write(STDLIB_HEAD)
        for s in range(sites):
            out.write(stdlib_site(rng, s, resources))
        out.write("\t}\n}\n")
        return
    if len(argv) > 1 and argv[1] == "--jsonnet":
        argv = argv[1:]
        if len(argv) not in (3, 4):
            sys.exit(__doc__)
        sites, resources = int(argv[1]), int(argv[2])
        rng = XorShift(int(argv[3]) if len(argv) == 4 else 1)
        out = sys.stdout
        out.write(JSONNET_HEAD)
        for s in range(sites):
            out.write(jsonnet_site(rng, s, resources))
        out.write(JSONNET_TAIL)
        return
    graph = "--graph" in argv[1:]
    argv = [a for a in argv if a != "--graph"]
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    sites, resources = int(argv[1]), int(argv[2])
    rng = XorShift(int(argv[3]) if len(argv) == 4 else 1)
    out = sys.stdout
    out.write(SCHEMA)
    for s in range(sites):
        out.write("\n")
        out.write(site(rng, s, resources))
    if graph:
        out.write(GRAPH)


if __name__ == "__main__":
    main(sys.argv)
