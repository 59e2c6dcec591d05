#!/bin/sh
# A stand-in for `systemctl`, for tests/systemd_standin.rs: the test copies it to a folder of
# its own as `systemctl` and puts that folder first on PATH, so that the probe and plan scripts
# orche emits for the `systemd` kind run against it. It answers exactly the calls that
# stdlib/orche/actions/actions.orc makes, and nothing else:
#
#   systemctl show --property=LoadState --value -- UNIT
#   systemctl is-active -- UNIT
#   systemctl is-enabled -- UNIT
#   systemctl start|stop|enable|disable -- UNIT
#
# Environment (both required):
#   ORCHE_STANDIN_STATE  the state file: one line per installed unit, "UNIT ACTIVE ENABLED",
#                        ACTIVE one of active, inactive, failed; ENABLED one of enabled,
#                        disabled. A unit without a line is not installed (not-found).
#   ORCHE_STANDIN_LOG    every call is appended to it as one line, "VERB ARGS…" (an
#                        unexpected call as "UNEXPECTED ARGS…").
#
# What it prints and its exit statuses follow systemd 252 (Debian 12, 252.x-1~deb12u1) as
# documented in systemctl(1) and as that version behaves; they were NOT recorded from a running
# systemd on the test machines, which have none (systemd is not PID 1 there). The `is-enabled`
# transcripts and those of `enable` and `disable` on an installed unit were checked against the
# systemctl 252 binary (252.38-1~deb12u1) of a Debian 12 machine in its offline mode
# (`systemctl --root=DIR …`, which reads and writes unit files without a running manager), and
# tests/systemd_standin.rs compares them again wherever that binary is installed. `show`,
# `is-active`, `start` and `stop` need the manager and were not checked; nor were `enable` and
# `disable` on a unit that is not installed, which the offline mode answers differently ("Failed
# to enable unit, unit $u does not exist.", and exit 0 for disable) from the manager (below).
# The plans of tests/systemd_standin.rs never make those calls on a unit that is not installed.
# The transcripts, per call ($u is the unit name, with ".service" appended when it has no unit
# suffix, as systemctl does):
#
#   show --property=LoadState --value -- $u   stdout "loaded" (installed) or "not-found";
#                                             exit 0 either way
#   is-active -- $u                           stdout "active", exit 0; "inactive", exit 3;
#                                             "failed", exit 3; not installed: "inactive",
#                                             exit 3
#   is-enabled -- $u                          stdout "enabled", exit 0; "disabled", exit 1;
#                                             not installed: stderr "Failed to get unit file
#                                             state for $u: No such file or directory", exit 1
#   start -- $u                               nothing, exit 0; not installed: stderr "Failed
#                                             to start $u: Unit $u not found.", exit 5
#   stop -- $u                                nothing, exit 0; not installed: stderr "Failed
#                                             to stop $u: Unit $u not loaded.", exit 5
#   enable -- $u                              when disabled: stderr "Created symlink
#                                             /etc/systemd/system/multi-user.target.wants/$u →
#                                             /lib/systemd/system/$u.", exit 0; already
#                                             enabled: nothing, exit 0; not installed: stderr
#                                             "Failed to enable unit: Unit file $u does not
#                                             exist.", exit 1
#   disable -- $u                             when enabled: stderr "Removed
#                                             \"/etc/systemd/system/multi-user.target.wants/$u\".",
#                                             exit 0; already disabled: nothing, exit 0; not
#                                             installed: stderr "Failed to disable unit: Unit
#                                             file $u does not exist.", exit 1
#
# Any other call (another verb, other options, a missing `--`, more units) prints an error and
# exits 1, and is logged as UNEXPECTED, so that a call orche was not meant to make fails the
# test loudly.
set -u

state=${ORCHE_STANDIN_STATE:-}
log=${ORCHE_STANDIN_LOG:-}
if [ -z "$state" ] || [ -z "$log" ]; then
	echo "systemctl stand-in: ORCHE_STANDIN_STATE and ORCHE_STANDIN_LOG must be set" >&2
	exit 1
fi

unexpected() {
	printf 'UNEXPECTED %s\n' "$*" >>"$log"
	echo "systemctl stand-in: unexpected call: systemctl $*" >&2
	exit 1
}

# The verb and the unit, from the only argument lists orche uses.
case $# in
5)
	if [ "$1" != show ] || [ "$2" != --property=LoadState ] || [ "$3" != --value ] || [ "$4" != -- ]; then
		unexpected "$@"
	fi
	verb=show
	unit=$5
	;;
3)
	case $1 in
	is-active | is-enabled | start | stop | enable | disable) ;;
	*) unexpected "$@" ;;
	esac
	if [ "$2" != -- ]; then
		unexpected "$@"
	fi
	verb=$1
	unit=$3
	;;
*)
	unexpected "$@"
	;;
esac
case $unit in
'' | -* | */* | *' '*) unexpected "$@" ;;
esac
printf '%s\n' "$*" >>"$log"

# systemctl appends ".service" to a name without a unit suffix.
case $unit in
*.service | *.socket | *.target | *.timer | *.mount | *.automount | *.path | *.slice | *.scope | *.swap | *.device) ;;
*) unit=$unit.service ;;
esac

# The unit's line: loaded, active, enabled.
loaded=not-found
active=inactive
enabled=
if [ -f "$state" ]; then
	while read -r name a e; do
		if [ "$name" = "$unit" ]; then
			loaded=loaded
			active=$a
			enabled=$e
		fi
	done <"$state"
fi

# set_state ACTIVE ENABLED: rewrites the unit's line, under a lock (steps of one wave run in
# parallel), atomically (a probe may read at the same time).
set_state() {
	n=0
	until mkdir "$state.lock" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt 500 ]; then
			echo "systemctl stand-in: cannot lock $state" >&2
			exit 1
		fi
		sleep 0.01
	done
	{
		while read -r name a e; do
			if [ "$name" = "$unit" ]; then
				printf '%s %s %s\n' "$name" "$1" "$2"
			else
				printf '%s %s %s\n' "$name" "$a" "$e"
			fi
		done <"$state"
	} >"$state.new.$$"
	mv -f "$state.new.$$" "$state"
	rmdir "$state.lock"
}

case $verb in
show)
	echo "$loaded"
	exit 0
	;;
is-active)
	echo "$active"
	if [ "$active" = active ]; then exit 0; fi
	exit 3
	;;
is-enabled)
	if [ "$loaded" != loaded ]; then
		echo "Failed to get unit file state for $unit: No such file or directory" >&2
		exit 1
	fi
	echo "$enabled"
	if [ "$enabled" = enabled ]; then exit 0; fi
	exit 1
	;;
start | stop)
	if [ "$loaded" != loaded ]; then
		if [ "$verb" = start ]; then
			echo "Failed to start $unit: Unit $unit not found." >&2
		else
			echo "Failed to stop $unit: Unit $unit not loaded." >&2
		fi
		exit 5
	fi
	if [ "$verb" = start ]; then set_state active "$enabled"; else set_state inactive "$enabled"; fi
	exit 0
	;;
enable | disable)
	if [ "$loaded" != loaded ]; then
		echo "Failed to $verb unit: Unit file $unit does not exist." >&2
		exit 1
	fi
	if [ "$verb" = enable ] && [ "$enabled" != enabled ]; then
		echo "Created symlink /etc/systemd/system/multi-user.target.wants/$unit → /lib/systemd/system/$unit." >&2
		set_state "$active" enabled
	elif [ "$verb" = disable ] && [ "$enabled" = enabled ]; then
		echo "Removed \"/etc/systemd/system/multi-user.target.wants/$unit\"." >&2
		set_state "$active" disabled
	fi
	exit 0
	;;
esac
