//! The plan script (`orche plan --out sh`). Run without arguments it only prints what it would
//! do, wave by wave, with the steps that wait on earlier ones. With `--apply` it takes a lock,
//! probes every resource it will touch and refuses to act when live state changed since the
//! plan was made; then it runs the waves in order, the steps of a wave in parallel, awaits
//! each resource's health by its policy, and stops at the first failed wave. Removals and
//! replacements run only with `--destroy` as well. Invariants: every configuration value is
//! one single-quoted word; before acting on a resource the script checks whether the step
//! is already done (then it does nothing), so running the same plan twice does no harm.

use super::probe::one_line;
use super::shell::{self, quote};
use crate::state::kinds::Match;
use crate::state::plan::{Action, Plan, Step};
use std::fmt::Write;

/// The script.
pub fn script(plan: &Plan) -> String {
    let mut out = String::with_capacity(1024 * plan.steps.len() + 32 * 1024);
    out.push_str("#!/bin/sh\n");
    let _ = writeln!(
        out,
        "# Reconciliation plan for federation {}, written by orche.\n\
         # Made from declared state {} and live state {}.\n\
         # {}",
        one_line(&plan.federation),
        plan.declared_digest,
        plan.live_digest,
        plan.summary_line()
    );
    out.push_str(
        "#\n\
         # sh plan.sh                    prints what it would do, and changes nothing\n\
         # sh plan.sh --apply            creates and updates\n\
         # sh plan.sh --apply --destroy  also removes and replaces\n\
         # Exit status: 0 every step done, 1 a step failed or the plan is stale or locked,\n\
         # 2 some steps were skipped (no action declared, or --destroy not given).\n\
         # ORCHE_JOBS: steps at once (default 8); ORCHE_LOCK_WAIT: seconds to wait for another\n\
         # apply's lock (default 0).\n",
    );
    out.push_str(shell::RUNTIME);
    out.push_str(RUNTIME);
    let _ = writeln!(
        out,
        "orche_fed={}\norche_lock_name={}\norche_steps={}",
        quote(&plan.federation),
        quote(&lock_name(&plan.federation)),
        plan.steps.len()
    );
    // The steps' functions are written in parallel, in chunks, and joined in order.
    use rayon::prelude::*;
    let chunks: Vec<String> = plan
        .steps
        .par_chunks(256)
        .enumerate()
        .map(|(c, steps)| {
            let mut text = String::new();
            for (j, s) in steps.iter().enumerate() {
                step_functions(&mut text, c * 256 + j, s);
            }
            text
        })
        .collect();
    for c in &chunks {
        out.push_str(c);
    }
    drop(chunks);
    out.push_str(MAIN_START);
    // Dry run: text written here, printed by a here-document whose delimiter the text
    // does not contain (control characters are shown escaped, so no line of it can end the
    // document early).
    let mut dry = format!(
        "Dry run of the plan for federation {}: nothing is changed. {}\n",
        visible(&plan.federation),
        plan.summary_line()
    );
    let mut wave = 0;
    for s in &plan.steps {
        if s.wave != wave {
            wave = s.wave;
            let _ = write!(dry, "\nwave {wave}:\n");
        }
        dry.push_str(&visible(&dry_line(s)));
        dry.push('\n');
        for cmd in &s.argv {
            let _ = writeln!(dry, "      would run: {}", visible(&shell::argv_plain(cmd)));
        }
    }
    if plan.steps.is_empty() {
        dry.push_str("Nothing to do.\n");
    }
    dry.push_str("\nRun with --apply to act (and --destroy to remove or replace).\n");
    let mut delim = String::from("ORCHE_DRY_RUN");
    while dry.contains(&delim) {
        delim.push('_');
    }
    let _ = write!(
        out,
        "orche_dry_run() {{\n\tcat <<'{delim}'\n{dry}{delim}\n}}\n"
    );
    // Apply.
    out.push_str("orche_apply_all() {\n\torche_stale=0\n\torche_jobs_start\n");
    for i in 0..plan.steps.len() {
        let _ = writeln!(out, "\torche_spawn v{i} orche_verify_job {i}");
    }
    out.push_str("\twait\n");
    out.push_str(
        "\torche_i=0\n\
         \twhile [ \"$orche_i\" -lt \"$orche_steps\" ]; do\n\
         \t\tcase $(cat \"$orche_tmp/v$orche_i/state\" 2>/dev/null) in\n\t\tplanned | done) ;;\n\t\t*)\n\
         \t\t\torche_stale=1\n\
         \t\t\tprintf 'orche: plan is stale: %s\\n' \"$(cat \"$orche_tmp/v$orche_i/why\" 2>/dev/null)\" >&2\n\
         \t\t\t;;\n\t\tesac\n\
         \t\torche_i=$((orche_i + 1))\n\
         \tdone\n\
         \tif [ \"$orche_stale\" = 1 ]; then\n\
         \t\techo 'orche: live state changed since the plan was made: run orche plan again (nothing was changed)' >&2\n\
         \t\treturn 1\n\
         \tfi\n",
    );
    let mut wave = 0;
    let mut first = true;
    for (i, s) in plan.steps.iter().enumerate() {
        if s.wave != wave {
            if !first {
                let _ = writeln!(out, "\twait\n\torche_wave_check {wave} || return 1");
            }
            first = false;
            wave = s.wave;
            let _ = writeln!(out, "\tprintf 'wave %s:\\n' {wave}");
        }
        let _ = writeln!(out, "\torche_spawn s{i} orche_step_job {i}");
    }
    if !first {
        let _ = writeln!(out, "\twait\n\torche_wave_check {wave} || return 1");
    }
    out.push_str("\treturn 0\n}\n");
    // The recap: the steps in order.
    out.push_str("orche_recap() {\n\tprintf '\\nRecap:\\n'\n");
    for (i, s) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\torche_recap_line {i} {} {}",
            quote(s.action.name()),
            quote(&s.resource)
        );
    }
    out.push_str("}\n");
    out.push_str(MAIN_END);
    out
}

/// The lock's directory name: the federation's name, safe for a file name, and its digest.
fn lock_name(federation: &str) -> String {
    let safe: String = federation
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = crate::state::declared::sha256_hex(federation.as_bytes());
    format!("orche-apply-{safe}-{}.lock", &digest[..12])
}

fn dry_line(s: &Step) -> String {
    let mut line = format!(
        "  {} {} ({})",
        s.action.name(),
        one_line(&s.resource),
        one_line(&s.kind)
    );
    let _ = write!(line, ": {}", one_line(&s.reason.join(", ")));
    if s.destructive {
        line.push_str(" [destructive: needs --destroy]");
    }
    if !s.waits_on.is_empty() {
        let _ = write!(
            line,
            "; waits until {} {} done and healthy",
            one_line(&s.waits_on.join(", ")),
            if s.waits_on.len() == 1 { "is" } else { "are" }
        );
    }
    if let Some(why) = &s.missing_action {
        let _ = write!(line, "; {}", one_line(why));
    }
    line
}

/// `orche_v<i>` (is the step planned, done or stale?), `orche_a<i>` (act), `orche_h<i>`
/// (one health attempt) and `orche_b<i>` (the resource's `orche_begin`).
fn step_functions(out: &mut String, i: usize, s: &Step) {
    // A plan built without its checks cannot be applied safely: every step reads as stale.
    let Some(v) = &s.verify else {
        let _ = writeln!(
            out,
            "orche_b{i}() {{\n\torche_begin '\"?\"' '\"?\"' 1 0 '' 0\n\torche_step_name=?\n\torche_destructive=1\n}}\n\
             orche_v{i}() {{\n\torche_b{i}\n\torche_state=stale\n\torche_why='the plan was made without its checks'\n}}\n\
             orche_a{i}() {{\n\treturn 1\n}}"
        );
        return;
    };
    let p = &v.probe;
    let key_token = shell::json_token(&s.resource);
    let _ = writeln!(
        out,
        "\n# Step {}: {} {} ({})",
        i + 1,
        s.action.name(),
        one_line(&s.resource),
        one_line(&s.kind)
    );
    let delays: Vec<String> = p.delays.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "orche_b{i}() {{\n\torche_begin {} {} {} {} {} {}\n\torche_step_name={}\n\torche_destructive={}\n}}",
        quote(&key_token),
        quote(&shell::json_token(&s.kind)),
        p.timeout,
        p.retries,
        quote(&delays.join(" ")),
        if p.backoff == "fixed_jitter" { 1 } else { 0 },
        quote(&format!("{} {}", s.action.name(), s.resource)),
        if s.destructive { 1 } else { 0 }
    );

    // Verify.
    let _ = writeln!(out, "orche_v{i}() {{\n\torche_b{i}");
    if let Some(why) = &p.unavailable {
        let _ = writeln!(
            out,
            "\torche_state=stale\n\torche_why={}\n\treturn 0\n}}",
            quote(&format!("{}: {why}", s.resource))
        );
    } else {
        if !p.tools.is_empty() {
            let tools: Vec<String> = p.tools.iter().map(|t| quote(t)).collect();
            let _ = writeln!(
                out,
                "\tif ! orche_tools {}; then\n\t\torche_state=stale\n\t\torche_why=\"{}: cannot probe: $orche_why\"\n\t\treturn 0\n\tfi",
                tools.join(" "),
                shell_dq(&s.resource)
            );
        }
        match &p.exists {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "\torche_check {}\n\tcase $? in\n\t0) orche_now=true ;;\n\t1) orche_now=false ;;\n\t*)\n\t\torche_state=stale\n\t\torche_why=\"{}: cannot probe: $orche_why\"\n\t\treturn 0\n\t\t;;\n\tesac",
                    shell::check_call(c),
                    shell_dq(&s.resource)
                );
            }
            None => out.push_str("\torche_now=true\n"),
        }
        let _ = writeln!(
            out,
            "\torche_planned=1\n\torche_done=1\n\torche_diff=\n\
             \t[ \"$orche_now\" = {} ] || {{ orche_planned=0; orche_diff=\"it {}\"; }}\n\
             \t[ \"$orche_now\" = {} ] || orche_done=0",
            v.planned_exists,
            if v.planned_exists {
                "no longer exists"
            } else {
                "exists now"
            },
            v.desired_exists
        );
        if !v.fields.is_empty() {
            out.push_str("\tif [ \"$orche_now\" = true ]; then\n");
            for f in &v.fields {
                let Some(o) = p.observe.iter().find(|o| o.field == f.field) else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "\t\torche_token {} {} -- {}",
                    o.read_as.name(),
                    quote(&o.true_word),
                    shell::argv(&o.argv)
                );
                let _ = writeln!(
                    out,
                    "\t\tif [ \"$orche_tok\" != {} ]; then\n\t\t\torche_planned=0\n\t\t\torche_diff=\"{}: planned {}, now $orche_tok\"\n\t\tfi",
                    quote(&f.planned),
                    shell_dq(&f.field),
                    shell_dq(&f.planned)
                );
                match &f.expected {
                    Some((Match::Equal, toks)) => {
                        if let Some(t) = toks.first() {
                            let _ = writeln!(
                                out,
                                "\t\t[ \"$orche_tok\" = {} ] || orche_done=0",
                                quote(t)
                            );
                        }
                    }
                    Some((Match::Subset, toks)) => {
                        for t in toks {
                            let _ = writeln!(
                                out,
                                "\t\tgrep -Fxq -e {} \"$orche_dir/tok.each\" || orche_done=0",
                                quote(t)
                            );
                        }
                    }
                    None => {}
                }
            }
            out.push_str("\tfi\n");
        }
        // A step for an unhealthy resource is done when the resource is healthy again.
        if let (true, Some(h)) = (v.desired_healthy, &p.healthy) {
            let _ = writeln!(
                out,
                "\tif [ \"$orche_done\" = 1 ] && ! orche_check {}; then\n\t\torche_done=0\n\tfi",
                shell::check_call(h)
            );
        }
        let _ = writeln!(
            out,
            "\tif [ \"$orche_done\" = 1 ]; then\n\t\torche_state='done'\n\
             \telif [ \"$orche_planned\" = 1 ]; then\n\t\torche_state=planned\n\
             \telse\n\t\torche_state=stale\n\t\torche_why=\"{}: $orche_diff\"\n\tfi\n}}",
            shell_dq(&s.resource)
        );
    }

    // One health attempt (or, for a removal, one absence check).
    let _ = writeln!(out, "orche_h{i}() {{");
    if s.action == Action::Remove {
        match &p.exists {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "\torche_check {}\n\tcase $? in\n\t0) orche_why='it still exists'; return 1 ;;\n\t1) return 0 ;;\n\t*) return 2 ;;\n\tesac",
                    shell::check_call(c)
                );
            }
            None => out.push_str("\treturn 0\n"),
        }
    } else {
        if let Some(c) = &p.exists {
            let _ = writeln!(out, "\torche_check {} || return $?", shell::check_call(c));
        }
        match &p.healthy {
            Some(h) => {
                if shell::same_command(p.exists.as_ref(), h) {
                    out.push_str("\torche_reuse=1\n");
                }
                let _ = writeln!(out, "\torche_check {}", shell::check_call(h));
            }
            None => out.push_str("\treturn 0\n"),
        }
    }
    out.push_str("}\n");

    // Act.
    let _ = writeln!(out, "orche_a{i}() {{");
    if let Some(why) = &s.missing_action {
        // Without a command, the step may still be done by earlier waves (an http body that a
        // file step wrote): checked again when its wave comes.
        let _ = writeln!(
            out,
            "\torche_v{i}\n\tif [ \"$orche_state\" = 'done' ]; then\n\t\torche_why='done by earlier steps'\n\t\treturn 4\n\tfi\n\torche_why={}\n\treturn 3\n}}",
            quote(why)
        );
        return;
    }
    for cmd in &s.argv {
        let _ = writeln!(out, "\torche_act {} || return 1", shell::argv_plain(cmd));
    }
    let _ = writeln!(out, "\torche_await orche_h{i}\n}}");
}

/// Text for people: control characters shown as escapes (`\n`, `\u{1b}`).
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Text safe inside double quotes in the script (for messages only).
fn shell_dq(s: &str) -> String {
    one_line(s)
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' | '$' | '`' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

/// Functions of the plan script's runtime.
const RUNTIME: &str = r#"
# orche_token MODE TRUE_WORD -- COMMAND...: the observed value as a JSON token in orche_tok,
# and one token per line in $orche_dir/tok.each.
orche_token() {
	orche_tm=$1
	orche_tw=$2
	shift 3
	orche_run "$orche_dir/tok.out" "$orche_dir/tok.err" "$@"
	orche_trc=$?
	: >"$orche_dir/tok.each"
	if [ "$orche_tm" = exit ]; then
		if [ "$orche_trc" -eq 0 ]; then orche_tok=true; else orche_tok=false; fi
	elif [ "$orche_trc" -eq 127 ] || [ "$orche_trc" -eq 124 ]; then
		orche_tok=null
	else
		# shellcheck disable=SC2034 # read by the steps' checks (a plan may have none)
		orche_tok=$(orche_json "$orche_tm" "$orche_tw" "$orche_dir/tok.out")
		orche_json each '' "$orche_dir/tok.out" >"$orche_dir/tok.each"
	fi
}

# orche_act COMMAND...: runs one command of a step within the resource's timeout.
orche_act() {
	printf '  %s: running %.100s\n' "$orche_step_name" "$*"
	orche_run "$orche_dir/act.out" "$orche_dir/act.err" "$@"
	orche_arc=$?
	if [ "$orche_arc" -ne 0 ]; then
		if [ "$orche_arc" -eq 124 ]; then
			orche_why="$1 did not finish within the step's timeout ($orche_timeout s)"
		else
			orche_why="$1 exited with status $orche_arc: $(orche_first_line "$orche_dir/act.err")"
		fi
		return 1
	fi
	return 0
}

# orche_await FUNCTION: calls FUNCTION (one attempt) until it passes, by the resource's
# retry policy and within the step's time limit.
orche_await() {
	if orche_retry "$1"; then
		return 0
	fi
	orche_why="not healthy after $orche_attempts checks: $orche_why"
	return 1
}

# orche_verify_job I: is step I planned, done or stale? Writes state and why.
orche_verify_job() {
	orche_state=
	orche_why=
	"orche_v$1"
	orche_unwatch
	printf '%s' "$orche_state" >"$orche_dir/state"
	printf '%s' "$orche_why" >"$orche_dir/why"
}

# orche_step_job I: runs step I unless it is done, needs --destroy, or has no command.
orche_step_job() {
	orche_sv=$(cat "$orche_tmp/v$1/state")
	"orche_b$1"
	if [ "$orche_sv" = 'done' ]; then
		orche_result=ok
		orche_why='already done'
	elif [ "$orche_destructive" = 1 ] && [ "$orche_destroy" = 0 ]; then
		orche_result=skipped
		orche_why='destructive: run with --apply --destroy'
	else
		"orche_a$1"
		case $? in
		0) orche_result=changed; orche_why= ;;
		3) orche_result=skipped ;;
		4) orche_result=ok ;;
		*) orche_result=failed ;;
		esac
	fi
	orche_unwatch
	printf '%s' "$orche_result" >"$orche_dir/result"
	printf '%s' "$orche_why" >"$orche_dir/why"
	printf '  %s: %s%s\n' "$orche_step_name" "$orche_result" "${orche_why:+ ($orche_why)}"
}

# orche_wave_check N: whether every step of wave N that ran succeeded.
orche_wave_check() {
	orche_i=0
	orche_wf=0
	while [ "$orche_i" -lt "$orche_steps" ]; do
		if [ "$(cat "$orche_tmp/s$orche_i/result" 2>/dev/null)" = failed ]; then
			orche_wf=1
		fi
		orche_i=$((orche_i + 1))
	done
	if [ "$orche_wf" = 1 ]; then
		printf 'orche: wave %s failed; later waves were not run\n' "$1" >&2
		return 1
	fi
	return 0
}

# orche_recap_line I ACTION RESOURCE
orche_recap_line() {
	orche_r=$(cat "$orche_tmp/s$1/result" 2>/dev/null)
	orche_w=$(cat "$orche_tmp/s$1/why" 2>/dev/null)
	if [ -z "$orche_r" ]; then
		orche_r='not run'
	fi
	case $orche_r in
	failed) orche_failed=$((orche_failed + 1)) ;;
	skipped | 'not run') orche_skipped=$((orche_skipped + 1)) ;;
	esac
	printf '  %-8s %s %s%s\n' "$orche_r" "$2" "$3" "${orche_w:+: $orche_w}"
}
"#;

const MAIN_START: &str = r#"
# Set by each step's orche_b function; a plan may have no steps.
orche_step_name=
orche_destructive=0
orche_apply=0
orche_destroy=0
for orche_arg in "$@"; do
	case $orche_arg in
	--apply) orche_apply=1 ;;
	--destroy) orche_destroy=1 ;;
	-h | --help)
		awk 'NR > 1 && /^# shellcheck/ { exit } NR > 1 { print }' "$0"
		exit 0
		;;
	*)
		printf 'orche: unknown argument %s (use --apply, --destroy)\n' "$orche_arg" >&2
		exit 2
		;;
	esac
done
if [ "$orche_destroy" = 1 ] && [ "$orche_apply" = 0 ]; then
	echo 'orche: --destroy goes with --apply' >&2
	exit 2
fi
"#;

const MAIN_END: &str = r#"
if [ "$orche_apply" = 0 ]; then
	orche_dry_run
	exit 0
fi

orche_tmp=$(mktemp -d "${TMPDIR:-/tmp}/orche-plan.XXXXXX") || {
	echo 'orche: cannot create a temporary directory' >&2
	exit 1
}
orche_dir=$orche_tmp
orche_lock=${TMPDIR:-/tmp}/$orche_lock_name
orche_locked=0
trap 'if [ "$orche_locked" = 1 ]; then rm -rf "$orche_lock"; fi; rm -rf "$orche_tmp"' EXIT
trap 'exit 130' INT TERM
orche_waited=0
while ! mkdir "$orche_lock" 2>/dev/null; do
	if [ "$orche_waited" -ge "${ORCHE_LOCK_WAIT:-0}" ]; then
		printf 'orche: another apply of federation %s holds the lock %s (%s); wait for it to finish, or remove the directory if that process is gone\n' \
			"$orche_fed" "$orche_lock" "$(cat "$orche_lock/owner" 2>/dev/null || echo 'owner unknown')" >&2
		exit 1
	fi
	sleep 1
	orche_waited=$((orche_waited + 1))
done
orche_locked=1
printf 'pid %s on %s since %s\n' "$$" "$(uname -n 2>/dev/null)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$orche_lock/owner"

orche_failed=0
orche_skipped=0
if ! orche_apply_all; then
	orche_recap
	exit 1
fi
orche_recap
if [ "$orche_failed" -gt 0 ]; then
	exit 1
fi
if [ "$orche_skipped" -gt 0 ]; then
	exit 2
fi
exit 0
"#;
