//! POSIX shell for the emitted scripts: quoting, and the runtime that probe and plan scripts
//! share (commands with a time limit, checks with a retry policy, observed values as JSON).
//! Invariants: every value that comes from a configuration reaches a script as one
//! single-quoted word (or a variable that holds it), never as shell text; the runtime is
//! constant text that passes `shellcheck`; JSON written by a script is printable ASCII, with
//! strings escaped exactly as `state::plan::token` escapes them, so a script can compare what
//! it sees with what orche computed byte for byte.

use crate::state::probe::{ProbeSpec, RenderedCheck, RenderedObserve};
use crate::state::template::{Piece, Word};
use std::fmt::Write;

/// One single-quoted shell word (`'it'\''s'`). Always quoted, whatever the text.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    out
}

/// [`quote`], appended to `out`.
///
/// A backslash right before a quote or at the end is written outside the quotes (`'a'\\`):
/// the same word, without the `\'` that linters take for a mistake.
pub fn quote_into(out: &mut String, s: &str) {
    out.push('\'');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\\' if matches!(chars.peek(), None | Some('\'')) => out.push_str("'\\\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// A rendered word: literal pieces single-quoted, variables double-quoted, side by side.
fn word_into(out: &mut String, w: &Word) {
    let start = out.len();
    for p in w {
        match p {
            Piece::Lit(s) => quote_into(out, s),
            Piece::Var(v) => {
                let _ = write!(out, "\"${{{v}}}\"");
            }
        }
    }
    if out.len() == start {
        out.push_str("''");
    }
}

/// A command as words separated by spaces.
pub fn argv(words: &[Word]) -> String {
    let mut out = String::new();
    argv_into(&mut out, words);
    out
}

/// [`argv`], appended to `out`.
pub fn argv_into(out: &mut String, words: &[Word]) {
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        word_into(out, w);
    }
}

/// A command of plain strings.
pub fn argv_plain(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// A JSON string token in printable ASCII (`state::plan::ascii_string`).
pub fn json_token(s: &str) -> String {
    let mut out = String::new();
    crate::state::plan::ascii_string(&mut out, s);
    out
}

/// The runtime every script starts with. Functions and variables are prefixed `orche_`.
pub const RUNTIME: &str = r#"# shellcheck disable=SC2016 # single-quoted words are configuration values: they never expand
# shellcheck disable=SC2030,SC2031 # each job is a subshell with its own $orche_dir, by design
# shellcheck disable=SC2317 # functions named at run time ("orche_p$i") look unreachable
set -u
LC_ALL=C
export LC_ALL

# Reads decimal bytes (od -An -v -tu1) and prints them as a JSON token in printable ASCII.
# mode: string, int, bool (true when the text is tw), lines (a list of the non-empty lines),
# each (one string token per non-empty line). Trailing newlines are dropped. Bytes that are
# not UTF-8 become U+FFFD.
orche_awk='
function put(c) {
	if (c == 34) printf "\\\"";
	else if (c == 92) printf "\\\\";
	else if (c == 10) printf "\\n";
	else if (c == 9) printf "\\t";
	else if (c == 13) printf "\\r";
	else if (c == 8) printf "\\b";
	else if (c == 12) printf "\\f";
	else if (c < 32 || c == 127) printf "\\u%04x", c;
	else printf "%c", c;
}
function str(s, e,    i, c, need, cp, k, d, ok) {
	printf "\"";
	i = s;
	while (i < e) {
		c = b[i];
		if (c < 128) { put(c); i++; continue; }
		if (c >= 194 && c <= 223) { need = 1; cp = c - 192; }
		else if (c >= 224 && c <= 239) { need = 2; cp = c - 224; }
		else if (c >= 240 && c <= 244) { need = 3; cp = c - 240; }
		else { printf "\\ufffd"; i++; continue; }
		ok = (i + need < e);
		for (k = 1; ok && k <= need; k++) {
			d = b[i + k];
			if (d < 128 || d > 191) ok = 0; else cp = cp * 64 + d - 128;
		}
		if (ok && need == 2 && (cp < 2048 || (cp >= 55296 && cp <= 57343))) ok = 0;
		if (ok && need == 3 && (cp < 65536 || cp > 1114111)) ok = 0;
		if (!ok) { printf "\\ufffd"; i++; continue; }
		if (cp >= 65536) {
			cp -= 65536;
			printf "\\u%04x\\u%04x", 55296 + int(cp / 1024), 56320 + cp % 1024;
		} else printf "\\u%04x", cp;
		i += need + 1;
	}
	printf "\"";
}
{ for (j = 1; j <= NF; j++) b[n++] = $j + 0; }
END {
	while (n > 0 && b[n - 1] == 10) n--;
	if (mode == "string") { str(0, n); exit; }
	if (mode == "lines" || mode == "each") {
		if (mode == "lines") printf "[";
		first = 1; s = 0;
		for (i = 0; i <= n; i++) {
			if (i < n && b[i] != 10) continue;
			if (i > s) {
				if (mode == "lines" && !first) printf ",";
				str(s, i);
				if (mode == "each") printf "\n";
				first = 0;
			}
			s = i + 1;
		}
		if (mode == "lines") printf "]";
		exit;
	}
	t = "";
	for (i = 0; i < n; i++) {
		if (b[i] >= 128) { t = t "?"; continue; }
		t = t sprintf("%c", b[i]);
	}
	if (mode == "bool") { printf "%s", (t == tw) ? "true" : "false"; exit; }
	gsub(/^[ \t\r\n]+|[ \t\r\n]+$/, "", t);
	if (t !~ /^-?[0-9]+$/) { printf "null"; exit; }
	neg = (substr(t, 1, 1) == "-");
	if (neg) t = substr(t, 2);
	sub(/^0+/, "", t);
	if (t == "") { printf "0"; exit; }
	printf "%s%s", (neg ? "-" : ""), t;
}'

# orche_json MODE TRUE_WORD FILE: the file's bytes as a JSON token.
orche_json() {
	od -An -v -tu1 "$3" | awk -v mode="$1" -v tw="$2" "$orche_awk"
}

orche_nl='
'
orche_blank=" $(printf '\t\r')$orche_nl"

# orche_read FILE: the file's text, less trailing newlines, in orche_text (without a
# subprocess).
orche_read() {
	orche_text=
	orche_sep=
	while IFS= read -r orche_line || [ -n "$orche_line" ]; do
		orche_text=$orche_text$orche_sep$orche_line
		orche_sep=$orche_nl
	done <"$1"
	while :; do
		case $orche_text in
		*"$orche_nl") orche_text=${orche_text%"$orche_nl"} ;;
		*) break ;;
		esac
	done
}

# orche_value MODE TRUE_WORD FILE: the file as a JSON token in orche_ov; ints and booleans
# without a subprocess (as the awk program reads them).
orche_value() {
	case $1 in
	int)
		orche_read "$3"
		# shellcheck disable=SC2295 # the blanks are a pattern here
		orche_t=${orche_text#"${orche_text%%[!$orche_blank]*}"}
		# shellcheck disable=SC2295
		orche_t=${orche_t%"${orche_t##*[!$orche_blank]}"}
		orche_sign=
		case $orche_t in
		-*)
			orche_sign=-
			orche_t=${orche_t#-}
			;;
		esac
		case $orche_t in
		'' | *[!0-9]*) orche_ov=null ;;
		*)
			while :; do
				case $orche_t in
				0?*) orche_t=${orche_t#0} ;;
				*) break ;;
				esac
			done
			if [ "$orche_t" = 0 ]; then orche_sign=; fi
			orche_ov=$orche_sign$orche_t
			;;
		esac
		;;
	bool)
		orche_read "$3"
		if [ "$orche_text" = "$2" ]; then orche_ov=true; else orche_ov=false; fi
		;;
	*) orche_ov=$(orche_json "$1" "$2" "$3") ;;
	esac
}

# orche_json_text MODE TRUE_WORD TEXT: a string as a JSON token.
orche_json_text() {
	printf '%s' "$3" >"$orche_dir/t.txt"
	orche_json "$1" "$2" "$orche_dir/t.txt"
}

orche_now_s() {
	date +%s
}

orche_now_ms() {
	orche_ms=$(date +%s%N 2>/dev/null)
	case $orche_ms in
	'' | *[!0-9]*) orche_ms=$(($(date +%s) * 1000)) ;;
	*) orche_ms=$((orche_ms / 1000000)) ;;
	esac
	printf '%s' "$orche_ms"
}

# orche_watch SECONDS: starts the current job's time limit: once SECONDS have passed, the
# command it is running is stopped and no other starts (orche_run returns 124).
orche_watch() {
	if [ -e "$orche_dir/expired" ]; then
		rm -f "$orche_dir/expired"
	fi
	: >"$orche_dir/running"
	(
		sleep "$1" &
		orche_ws=$!
		trap 'kill "$orche_ws" 2>/dev/null; exit 0' TERM
		wait "$orche_ws"
		: >"$orche_dir/expired"
		orche_wp=$(cat "$orche_dir/running")
		if [ -n "$orche_wp" ]; then
			kill -TERM "$orche_wp" 2>/dev/null
		fi
	) </dev/null >/dev/null 2>&1 &
	orche_watcher=$!
}

# orche_unwatch: ends the current job's time limit.
orche_unwatch() {
	if [ -n "${orche_watcher:-}" ]; then
		kill -TERM "$orche_watcher" 2>/dev/null
		wait "$orche_watcher" 2>/dev/null
		orche_watcher=
	fi
}

# orche_run OUT ERR COMMAND...: runs the command with standard input from /dev/null and its
# output in OUT and ERR, within the job's time limit. Returns its status, 124 when the time
# limit stopped it (or had passed), 127 when it was not found.
orche_run() {
	orche_ro=$1
	orche_re=$2
	shift 2
	if [ -e "$orche_dir/expired" ]; then
		: >"$orche_ro"
		: >"$orche_re"
		return 124
	fi
	"$@" </dev/null >"$orche_ro" 2>"$orche_re" &
	orche_rp=$!
	printf '%s' "$orche_rp" >"$orche_dir/running"
	wait "$orche_rp"
	orche_rc=$?
	: >"$orche_dir/running"
	if [ "$orche_rc" -ne 0 ] && [ -e "$orche_dir/expired" ]; then
		return 124
	fi
	return "$orche_rc"
}

# orche_first_line FILE: its first line, at most 200 bytes.
orche_first_line() {
	head -n 1 "$1" 2>/dev/null | cut -c 1-200
}

# orche_check EXIT HAS_STDOUT STDOUT AT_LEAST COMMAND...: runs a check. Returns 0 when it
# passes, 1 when it does not (orche_why says why), 2 when it cannot tell (command not found,
# or out of time). Its output stays in $orche_dir/c.out. With orche_reuse=1, the last check's
# run is read again instead of a new one.
orche_check() {
	orche_cx=$1
	orche_cs=$2
	orche_co=$3
	orche_cl=$4
	shift 4
	# A check that runs the command the previous check just ran reads its answer again.
	if [ "${orche_reuse:-0}" = 1 ]; then
		orche_reuse=0
		orche_crc=$orche_lrc
	else
		orche_run "$orche_dir/c.out" "$orche_dir/c.err" "$@"
		orche_crc=$?
	fi
	orche_lrc=$orche_crc
	if [ "$orche_crc" -eq 127 ]; then
		orche_why="$1: command not found"
		return 2
	fi
	if [ "$orche_crc" -eq 124 ]; then
		orche_why="$1: no answer within the timeout ($orche_timeout s)"
		return 2
	fi
	if [ -n "$orche_cl" ]; then
		orche_value int '' "$orche_dir/c.out"
		orche_cv=$orche_ov
		if [ "$orche_cv" != null ] && [ "$orche_cv" -ge "$orche_cl" ]; then
			return 0
		fi
		orche_why="$1: counted $orche_cv, expected at least $orche_cl"
		return 1
	fi
	if [ "$orche_crc" -ne "$orche_cx" ]; then
		orche_cw=$(orche_first_line "$orche_dir/c.err")
		if [ -z "$orche_cw" ]; then
			orche_cw=$(orche_first_line "$orche_dir/c.out")
		fi
		orche_why="$1: exit status $orche_crc, expected $orche_cx${orche_cw:+: $orche_cw}"
		return 1
	fi
	if [ "$orche_cs" = 1 ]; then
		orche_read "$orche_dir/c.out"
		if [ "$orche_text" != "$orche_co" ]; then
			orche_why="$1: printed \"$(orche_first_line "$orche_dir/c.out")\", expected \"$orche_co\""
			return 1
		fi
	fi
	return 0
}

# orche_begin KEY_TOKEN KIND_TOKEN TIMEOUT RETRIES DELAYS JITTER: starts a resource, and its
# time limit.
orche_begin() {
	orche_key=$1
	orche_kind=$2
	orche_timeout=$3
	orche_retries=$4
	orche_delays=$5
	orche_jitter=$6
	orche_exists=false
	orche_status=unknown
	orche_why=
	orche_attempts=0
	orche_ms0=$(orche_now_ms)
	orche_t0=$((orche_ms0 / 1000))
	orche_obs=
	orche_watch "$orche_timeout"
}

# orche_delay N: the wait before retry N.
orche_delay() {
	orche_i=0
	orche_d=0
	# shellcheck disable=SC2086 # the delays are numbers written by orche
	for orche_x in $orche_delays; do
		orche_i=$((orche_i + 1))
		if [ "$orche_i" -eq "$1" ]; then
			orche_d=$orche_x
		fi
	done
	if [ "$orche_jitter" = 1 ]; then
		orche_d=$((orche_d + $(awk 'BEGIN { srand(); print int(rand() * 6) }')))
	fi
	printf '%s' "$orche_d"
}

# orche_tools TOOL...: every tool is on PATH, else the resource is unknown.
orche_tools() {
	for orche_x in "$@"; do
		if ! command -v "$orche_x" >/dev/null 2>&1; then
			orche_why="$orche_x not found on PATH"
			return 1
		fi
	done
	return 0
}

# orche_ready KIND: whether the kind's readiness check passed (run once, by the main script).
orche_ready() {
	if [ -s "$orche_tmp/ready.$1" ]; then
		orche_why=$(cat "$orche_tmp/ready.$1")
		return 1
	fi
	return 0
}

# orche_exists EXIT HAS_STDOUT STDOUT -- COMMAND...: whether the resource exists. Returns 1
# (and sets the status) when it does not or when that cannot be told.
orche_exists() {
	orche_ex=$1
	orche_es=$2
	orche_eo=$3
	shift 4
	orche_attempts=$((orche_attempts + 1))
	orche_check "$orche_ex" "$orche_es" "$orche_eo" '' "$@"
	case $? in
	0)
		orche_exists=true
		return 0
		;;
	1)
		orche_status=missing
		orche_why=
		return 1
		;;
	*)
		orche_status=unknown
		return 1
		;;
	esac
}

# orche_healthy EXIT HAS_STDOUT STDOUT AT_LEAST -- COMMAND...: retries the check by the
# resource's policy until it passes or the policy (or the timeout) runs out.
orche_healthy() {
	orche_hx=$1
	orche_hs=$2
	orche_ho=$3
	orche_hl=$4
	shift 5
	orche_exists=true
	orche_retry orche_check "$orche_hx" "$orche_hs" "$orche_ho" "$orche_hl" "$@"
	case $? in
	0)
		orche_status=healthy
		orche_why=
		return 0
		;;
	2) orche_status=unknown ;;
	*) orche_status=unhealthy ;;
	esac
	return 1
}

# orche_retry COMMAND...: runs COMMAND (one attempt: 0 passed, 1 did not, 2 cannot tell) until
# it passes, by the resource's retry policy and within its time limit. Returns 0 when it
# passed, 2 when a command was not found (retrying cannot help), 1 otherwise.
orche_retry() {
	orche_n=0
	while :; do
		orche_attempts=$((orche_attempts + 1))
		"$@"
		orche_hr=$?
		if [ "$orche_hr" -eq 0 ]; then
			return 0
		fi
		if [ "$orche_hr" -eq 2 ] && [ "$orche_why" != "${orche_why%command not found}" ]; then
			return 2
		fi
		if [ "$orche_n" -ge "$orche_retries" ]; then
			return 1
		fi
		orche_n=$((orche_n + 1))
		orche_hd=$(orche_delay "$orche_n")
		if [ -e "$orche_dir/expired" ] || [ $(($(orche_now_s) - orche_t0 + orche_hd)) -ge "$orche_timeout" ]; then
			return 1
		fi
		sleep "$orche_hd"
	done
}

# orche_observe FIELD_TOKEN MODE TRUE_WORD -- COMMAND...: adds an observed field.
orche_observe() {
	orche_of=$1
	orche_om=$2
	orche_ow=$3
	shift 4
	orche_run "$orche_dir/o.out" "$orche_dir/o.err" "$@"
	orche_orc=$?
	orche_observed "$orche_of" "$orche_om" "$orche_ow" "$orche_orc" "$orche_dir/o.out"
}

# orche_observe_last FIELD_TOKEN MODE TRUE_WORD: adds an observed field from the output of
# the last check (a health check that runs the field's own command).
orche_observe_last() {
	orche_observed "$1" "$2" "$3" "$orche_crc" "$orche_dir/c.out"
}

# orche_observed FIELD_TOKEN MODE TRUE_WORD STATUS FILE: adds an observed field from a
# command's status and output.
orche_observed() {
	orche_of=$1
	orche_om=$2
	orche_ow=$3
	orche_orc=$4
	if [ "$orche_om" = exit ]; then
		if [ "$orche_orc" -eq 0 ]; then orche_ov=true; else orche_ov=false; fi
	elif [ "$orche_orc" -eq 127 ] || [ "$orche_orc" -eq 124 ]; then
		orche_ov=null
	else
		orche_value "$orche_om" "$orche_ow" "$5"
	fi
	orche_obs=$orche_obs${orche_obs:+,}$orche_of:$orche_ov
}

# orche_record: the resource's entry of the live-state document, in orche_rec.
orche_record() {
	orche_unwatch
	orche_ms1=$(orche_now_ms)
	orche_rec="$orche_key:{\"kind\":$orche_kind,\"exists\":$orche_exists,\"status\":\"$orche_status\",\"observed\":{$orche_obs}"
	if [ -n "$orche_why" ]; then
		orche_rec="$orche_rec,\"error\":$(orche_json_text string '' "$orche_why")"
	fi
	if [ -n "$orche_ident" ]; then
		orche_rec="$orche_rec,\"identity\":{$orche_ident}"
	fi
	orche_rec="$orche_rec,\"attempts\":$orche_attempts,\"elapsed_ms\":$((orche_ms1 - orche_ms0))}"
}

# Runs jobs in the background, at most ORCHE_JOBS at a time (a token per job in a FIFO).
orche_jobs_start() {
	orche_jobs=${ORCHE_JOBS:-8}
	case $orche_jobs in
	'' | *[!0-9]* | 0)
		echo "orche: ORCHE_JOBS must be a positive number" >&2
		exit 1
		;;
	esac
	mkfifo "$orche_tmp/jobs" || exit 1
	exec 3<>"$orche_tmp/jobs"
	orche_i=0
	while [ "$orche_i" -lt "$orche_jobs" ]; do
		printf 'x\n' >&3
		orche_i=$((orche_i + 1))
	done
}

# orche_spawn ID COMMAND...: runs the command as a job in its own directory $orche_tmp/ID.
orche_spawn() {
	read -r _ <&3
	orche_sid=$1
	shift
	(
		orche_dir=$orche_tmp/$orche_sid
		if [ ! -d "$orche_dir" ]; then
			mkdir -p "$orche_dir"
		fi
		"$@"
		printf 'x\n' >&3
	) &
}
"#;

/// The arguments of `orche_check`: `EXIT HAS_STDOUT STDOUT AT_LEAST COMMAND…`.
pub fn check_call(c: &RenderedCheck) -> String {
    let mut out = String::new();
    check_args_into(&mut out, c, true, false);
    out
}

/// A check's arguments: `EXIT HAS_STDOUT STDOUT`, then `AT_LEAST` when `with_at_least`,
/// then `--` when `separated` (as `orche_exists` and `orche_healthy` take them), then the
/// command.
fn check_args_into(out: &mut String, c: &RenderedCheck, with_at_least: bool, separated: bool) {
    quote_into(out, &c.exit);
    match &c.stdout {
        Some(s) => {
            out.push_str(" 1 ");
            quote_into(out, s);
        }
        None => out.push_str(" 0 ''"),
    }
    if with_at_least {
        out.push(' ');
        quote_into(out, c.at_least.as_deref().unwrap_or(""));
    }
    out.push_str(if separated { " -- " } else { " " });
    argv_into(out, &c.argv);
}

/// The shell lines that probe one resource, inside a function body (indented one tab).
/// `key_word` is the shell word that gives the resource's key as a JSON token: quoted text,
/// or for a discovered object an expression the script evaluates.
pub fn probe_body(out: &mut String, p: &ProbeSpec, key_word: &str) {
    let jitter = if p.backoff == "fixed_jitter" { 1 } else { 0 };
    let delays: Vec<String> = p.delays.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "\torche_begin {} {} {} {} {} {}",
        key_word,
        quote(&json_token(&p.kind)),
        p.timeout,
        p.retries,
        quote(&delays.join(" ")),
        jitter
    );
    if let Some(why) = &p.unavailable {
        let _ = writeln!(out, "\torche_why={}", quote(why));
        out.push_str("\treturn 0\n");
        return;
    }
    if !p.tools.is_empty() {
        let tools: Vec<String> = p.tools.iter().map(|t| quote(t)).collect();
        let _ = writeln!(out, "\torche_tools {} || return 0", tools.join(" "));
    }
    let _ = writeln!(out, "\torche_ready {} || return 0", quote(&p.kind));
    match &p.exists {
        Some(c) => {
            out.push_str("\torche_exists ");
            check_args_into(out, c, false, true);
            out.push_str(" || return 0\n");
        }
        None => out.push_str("\torche_exists=true\n"),
    }
    match &p.healthy {
        Some(h) => {
            if same_command(p.exists.as_ref(), h) {
                out.push_str("\torche_reuse=1\n");
            }
            out.push_str("\torche_healthy ");
            check_args_into(out, h, true, true);
            out.push('\n');
        }
        // No health check applies: existing is being healthy.
        None => out.push_str("\torche_status=healthy\n"),
    }
    let from_health = p.healthy.as_ref().and_then(|h| h.observe.as_deref());
    for o in &p.observe {
        if Some(o.field.as_str()) == from_health {
            out.push_str("\torche_observe_last ");
            quote_into(out, &json_token(&o.field));
            out.push(' ');
            out.push_str(o.read_as.name());
            out.push(' ');
            quote_into(out, &o.true_word);
            out.push('\n');
        } else {
            observe_line(out, o);
        }
    }
}

/// Whether the health check runs the command the exists check runs (both name the same
/// observed field), so that its first try can read the exists check's answer.
pub fn same_command(exists: Option<&RenderedCheck>, healthy: &RenderedCheck) -> bool {
    exists.is_some_and(|e| e.observe.is_some() && e.observe == healthy.observe)
}

fn observe_line(out: &mut String, o: &RenderedObserve) {
    out.push_str("\torche_observe ");
    quote_into(out, &json_token(&o.field));
    out.push(' ');
    out.push_str(o.read_as.name());
    out.push(' ');
    quote_into(out, &o.true_word);
    out.push_str(" -- ");
    argv_into(out, &o.argv);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("x'; touch /tmp/p; '"), r"'x'\''; touch /tmp/p; '\'''");
        assert_eq!(quote(""), "''");
        // A backslash before a quote or at the end goes outside the quotes.
        assert_eq!(quote("a\\"), "'a'\\\\''");
        assert_eq!(quote("a\\'b"), "'a'\\\\''\\''b'");
        assert_eq!(quote("a\\b"), "'a\\b'");
        assert_eq!(
            argv(&[vec![Piece::Lit("a=".into()), Piece::Var("orche_v".into())]]),
            "'a='\"${orche_v}\""
        );
    }
}
