// Package actions: what orche knows about each kind of resource, as data. For every kind: the
// fields a resource declares, how a probe observes them (read-only commands), how the declared
// and observed values compare, and the commands that create, update and remove the resource.
// `orche export --probes`, `orche drift` and `orche plan` read `kinds`; nothing about a kind is
// written in Rust. docs/drift.md shows every kind as a table.
//
// Commands are argv lists, never shell text: each element is one argument, quoted by the
// emitter. An element may hold placeholders `${field}`, replaced by the resource's value of
// that field (after `defaults`); a command whose placeholder names a field the resource does
// not declare is unavailable for that resource, and a plan step says so. The fields every
// resource has: `name`, `site`, `key` ("site/name"), `federation` (the federation's name),
// `kind`, `timeout` (its health timeout, in seconds), `depends_on` (its dependencies,
// "site/name", joined by commas). `{each: "f", as: [...]}` repeats `as` for
// every element of the list `f` (`${item}`), every entry of the struct `f` (`${key}`,
// `${value}`), or once for a scalar `f` (`${item}`); nothing when `f` is absent. `$$` is a
// literal `$`. A command runs with the resource's health timeout; it never sees a shell unless
// its argv starts one, and then configuration values reach that shell as positional
// parameters (`"$1"`), never as text.
package actions

// One argument, or the expansion of a list, struct or optional scalar field.
#Arg: string | {each: string, as: [...string]}

// A command.
#Argv: [#Arg, ...#Arg]

// A read-only check: passes when the command exits with `exit` and, when `stdout` is given,
// prints it (less trailing newlines). With `at_least`, it passes when the command prints an
// integer at least that large, whatever its exit status. `exit`, `stdout` and `at_least` may
// hold placeholders; a `stdout` whose placeholder names a field the resource does not declare
// is not compared. Instead of `argv`, `observe` names an observed field whose command the
// check runs; the field's value is then read from the check's last run, not run again. With
// `when`, the check applies only to resources that declare that field true; for the others
// existing is being healthy.
#Check: {
	argv?:     #Argv
	observe?:  string
	when?:     string
	exit:      int | string | *0
	stdout?:   string
	at_least?: string
}

// How one field is observed: the command's standard output, less trailing newlines, read as
// `as`: "string"; "int" (digits; anything else is null); "bool" (true when it is `true_word`);
// "lines" (a list of its non-empty lines); "exit" (true when the command exits 0, output
// ignored). `when` names a declared field without which the observation is skipped.
#Observe: {
	argv:      #Argv
	as:        *"string" | "int" | "bool" | "lines" | "exit"
	true_word: string | *"true"
	when?:     string
}

// How a declared field compares with what is observed, and what a difference needs.
#Field: {
	// The observed field it is compared with.
	observed: string
	// Compare the declared value's digest (hex) instead of the value.
	digest?: "sha256"
	// Compare the observed field with this value instead of the declared one (a declared
	// `body` is met when `body_match` is true).
	expect?: bool | int | string
	// "equal": the same value. "subset": every declared entry (of a list, or `key=value` of
	// a struct) is among the observed lines.
	match: *"equal" | "subset"
	// "update": changed in place (by `update`, or the kind's update action); "replace":
	// removed and created again; "none": reported, not acted on.
	change: *"update" | "replace" | "none"
	// The commands that bring this field to its declared value, by declared value ("true",
	// "false", or "*" for any), when the kind's update action does not.
	update?: [string]: #Argv
}

#Kind: {
	// Commands the probes need; when one is missing, every resource of the kind is "unknown".
	tools: [...string]
	// Run once per probe script before the first probe of the kind; when it fails, every
	// resource of the kind is "unknown" with its error output.
	ready?: #Argv
	// Values of fields a resource leaves out (templates, like argv elements).
	defaults: [string]: string | bool | int
	// Whether the resource exists; without it, a resource always exists.
	exists?: #Check
	// Whether an existing resource is healthy; awaited with the resource's health policy.
	healthy: #Check
	observe: [string]: #Observe
	fields: [string]: #Field
	// Lists the objects of this kind that this federation manages, one per line:
	// "site/name" and the values of `identity`, separated by tabs. Those that no
	// configuration declares are reported as `extra`.
	discover?: {
		argv: #Argv
		identity: [...string]
	}
	// Lifecycle commands. A kind without `create` cannot be created by orche: the resource
	// must declare `actions: create: [...]` itself.
	actions: {
		create?: #Argv
		update?: #Argv
		remove?: #Argv
	}
}

kinds: [string]: #Kind

// A container, run by the Docker Engine. It carries the labels `orche.federation` and
// `orche.resource` ("site/name"), by which containers of this federation that no
// configuration declares are found. A different image, port list, environment, command or
// network needs a new container (replace); a stopped one is started (update).
kinds: docker: {
	tools: ["docker"]
	ready: ["docker", "version", "--format", "{{.Server.Version}}"]
	defaults: {
		container: "${site}-${name}"
		running:   true
	}
	exists: argv: ["docker", "container", "inspect", "--format", "{{.Id}}", "${container}"]
	// Healthy when it is running, or stopped when declared `running: false`.
	healthy: {
		observe: "running"
		stdout:  "${running}"
	}
	observe: {
		image: argv: ["docker", "container", "inspect", "--format", "{{.Config.Image}}", "${container}"]
		running: {
			argv: ["docker", "container", "inspect", "--format", "{{.State.Running}}", "${container}"]
			as: "bool"
		}
		ports: {
			argv: ["docker", "container", "inspect", "--format",
				"{{range $$p, $$b := .HostConfig.PortBindings}}{{range $$b}}{{.HostPort}}:{{$$p}}\n{{end}}{{end}}",
				"${container}"]
			as: "lines"
		}
		env: {
			argv: ["docker", "container", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", "${container}"]
			as: "lines"
		}
		command: {
			argv: ["docker", "container", "inspect", "--format", "{{range .Config.Cmd}}{{println .}}{{end}}", "${container}"]
			as: "lines"
		}
		network: argv: ["docker", "container", "inspect", "--format", "{{.HostConfig.NetworkMode}}", "${container}"]
	}
	fields: {
		image: {observed: "image", change: "replace"}
		running: {
			observed: "running"
			update: {
				"true": ["docker", "container", "start", "${container}"]
				"false": ["docker", "container", "stop", "${container}"]
			}
		}
		ports: {observed: "ports", change: "replace"}
		env: {observed: "env", match: "subset", change: "replace"}
		command: {observed: "command", change: "replace"}
		network: {observed: "network", change: "replace"}
	}
	discover: {
		argv: ["docker", "container", "ls", "--all", "--filter", "label=orche.federation=${federation}",
			"--format", "{{.Label \"orche.resource\"}}\t{{.Names}}\t{{.Label \"orche.depends_on\"}}"]
		identity: ["container", "depends_on"]
	}
	actions: {
		create: ["docker", "container", "run", "--detach", "--name", "${container}",
			"--label", "orche.federation=${federation}", "--label", "orche.resource=${key}", "--label", "orche.depends_on=${depends_on}",
			{each: "network", as: ["--network", "${item}"]},
			{each: "ports", as: ["--publish", "${item}"]},
			{each: "env", as: ["--env", "${key}=${value}"]},
			"${image}",
			{each: "command", as: ["${item}"]}]
		remove: ["docker", "container", "rm", "--force", "${container}"]
	}
}

// A systemd unit. orche starts, stops, enables and disables units; it does not write unit
// files (declare `actions: create` for that).
kinds: systemd: {
	tools: ["systemctl"]
	// `enabled` has no default: static and generated units cannot be enabled, so it is
	// compared only when declared.
	defaults: active: true
	exists: {
		argv: ["systemctl", "show", "--property=LoadState", "--value", "--", "${unit}"]
		stdout: "loaded"
	}
	healthy: {
		observe: "active"
		stdout:  "active"
		when:    "active"
	}
	observe: {
		active: {argv: ["systemctl", "is-active", "--", "${unit}"], as: "bool", true_word: "active"}
		enabled: {argv: ["systemctl", "is-enabled", "--", "${unit}"], as: "bool", true_word: "enabled"}
	}
	fields: {
		active: {
			observed: "active"
			update: {
				"true": ["systemctl", "start", "--", "${unit}"]
				"false": ["systemctl", "stop", "--", "${unit}"]
			}
		}
		enabled: {
			observed: "enabled"
			update: {
				"true": ["systemctl", "enable", "--", "${unit}"]
				"false": ["systemctl", "disable", "--", "${unit}"]
			}
		}
	}
	actions: {}
}

// An HTTP endpoint: it exists when it answers at all, and is healthy when it answers with
// the declared status (and, when `body` is declared, a body that contains it).
kinds: http: {
	tools: ["curl"]
	defaults: status: 200
	// Any HTTP answer (curl exits 0); a refused connection is missing. The health check runs
	// the same command, so its first try reuses this answer.
	exists: observe: "status"
	healthy: {
		observe: "status"
		stdout:  "${status}"
	}
	observe: {
		status: {
			argv: ["curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}",
				"--max-time", "${timeout}", "--", "${url}"]
			as: "int"
		}
		body_match: {
			argv: ["sh", "-c", "curl --silent --max-time \"$1\" -- \"$2\" | grep -F -q -e \"$3\"",
				"sh", "${timeout}", "${url}", "${body}"]
			as:   "exit"
			when: "body"
		}
	}
	fields: {
		status: {observed: "status", change: "none"}
		body: {observed: "body_match", expect: true, change: "none"}
	}
	actions: {}
}

// A TCP port that accepts connections.
kinds: tcp: {
	tools: ["nc"]
	defaults: {}
	exists: argv: ["nc", "-z", "-w", "${timeout}", "${host}", "${port}"]
	healthy: argv: ["nc", "-z", "-w", "${timeout}", "${host}", "${port}"]
	observe: {}
	fields: {}
	actions: {}
}

// A file. With `content`, the plan writes it, making its directory if needed (and `sha256` is
// compared with the content's);
// with `mode` (as `stat -c %a` prints it: "644"), the plan sets it.
kinds: file: {
	tools: ["sha256sum", "stat"]
	defaults: {}
	exists: argv: ["test", "-e", "${path}"]
	healthy: argv: ["test", "-e", "${path}"]
	observe: {
		sha256: argv: ["sh", "-c", "sha256sum < \"$1\" | cut -d ' ' -f 1", "sh", "${path}"]
		mode: argv: ["stat", "-c", "%a", "--", "${path}"]
	}
	fields: {
		content: {
			observed: "sha256"
			digest:   "sha256"
			update: "*": ["sh", "-c", "printf '%s' \"$2\" > \"$1\"", "sh", "${path}", "${content}"]
		}
		sha256: {observed: "sha256", change: "none"}
		mode: {
			observed: "mode"
			update: "*": ["chmod", "--", "${mode}", "${path}"]
		}
	}
	actions: {
		create: ["sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && printf '%s' \"$2\" > \"$1\" && if [ -n \"$3\" ]; then chmod -- \"$3\" \"$1\"; fi",
			"sh", "${path}", "${content}", {each: "mode", as: ["${item}"]}]
		remove: ["rm", "-f", "--", "${path}"]
	}
}

// Running processes whose command line matches `process` (an extended regular expression,
// as `pgrep -f` reads it); healthy with at least `min` of them.
kinds: process: {
	tools: ["pgrep"]
	defaults: min: 1
	exists: argv: ["pgrep", "-f", "--", "${process}"]
	healthy: {
		observe:  "count"
		at_least: "${min}"
	}
	observe: count: {
		argv: ["pgrep", "-c", "-f", "--", "${process}"]
		as: "int"
	}
	fields: {}
	actions: {}
}

// A read-only check command (an argv list): healthy when it exits with `expect_exit` and,
// when `expect_output` is declared, prints it. A failing check is unhealthy; orche has nothing
// to change for it unless the resource declares `actions: update`.
kinds: command: {
	tools: []
	defaults: expect_exit: 0
	healthy: {
		argv: [{each: "command", as: ["${item}"]}]
		exit:   "${expect_exit}"
		stdout: "${expect_output}"
	}
	observe: {
		exit_code: {
			argv: ["sh", "-c", "\"$$@\" >/dev/null 2>&1; echo \"$$?\"", "sh", {each: "command", as: ["${item}"]}]
			as: "int"
		}
		output: {
			argv: [{each: "command", as: ["${item}"]}]
			when: "expect_output"
		}
	}
	fields: {}
	actions: {}
}
