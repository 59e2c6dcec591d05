#!/usr/bin/env python3
"""Generate a reference chain (`a0: a1`, `a1: a2`, …) of one shape, for timing.

Usage: chains.py SHAPE LINKS > chain.cue
       chains.py --time [ORCHE] [LINKS ...]   (every shape at each length, default 1000 10000
                                               100000; ORCHE default target/release/orche)

Shapes (the link's value is the last field's):
  scalar    a9999: 1                          struct    a9999: {x: 1, y: "s"}
  computed  a9999: x + 1                      builtin   a9999: strings.ToUpper(s)
  disj      a9999: *1 | 2 | {x: 1}            list      a9999: [1, 2, {x: 3}]
  inner     s: {a0: a1, …, a9999: 1}          select    s: {a0: s.a1, …, a9999: {x: 1}}
  def       #A0: #A1, …, #A9999: {x: int, y: *1 | int}, out: #A0 & {x: 2}

Plain CUE: `cue export` reads the same files (it is slow on long chains: minutes at 5,000).
--time prints, per shape and length, orche's exit code, wall-clock and CPU seconds and peak
RSS (GNU time at /usr/bin/time); docs/performance.md has the figures.
"""
import os
import subprocess
import sys
import tempfile

ENDS = {
    "scalar": "1",
    "struct": '{x: 1, y: "s"}',
    "computed": "x + 1",
    "builtin": "strings.ToUpper(s)",
    "disj": "*1 | 2 | {x: 1}",
    "list": "[1, 2, {x: 3}]",
}
SHAPES = list(ENDS) + ["inner", "select", "def"]


def chain(shape, n):
    out = []
    if shape == "inner":
        out.append("s: {")
        out += [f"\ta{i}: a{i + 1}" for i in range(n - 1)]
        out += [f"\ta{n - 1}: 1", "}"]
    elif shape == "select":
        out.append("s: {")
        out += [f"\ta{i}: s.a{i + 1}" for i in range(n - 1)]
        out += [f"\ta{n - 1}: {{x: 1}}", "}"]
    elif shape == "def":
        out += [f"#A{i}: #A{i + 1}" for i in range(n - 1)]
        out += [f"#A{n - 1}: {{x: int, y: *1 | int}}", "out: #A0 & {x: 2}"]
    else:
        if shape == "computed":
            out.append("x: 1")
        if shape == "builtin":
            out += ['import "strings"', 's: "abc"']
        out += [f"a{i}: a{i + 1}" for i in range(n - 1)]
        out.append(f"a{n - 1}: {ENDS[shape]}")
    return "\n".join(out) + "\n"


def time_all(orche, lengths):
    with tempfile.TemporaryDirectory() as d:
        for shape in SHAPES:
            for n in lengths:
                f = os.path.join(d, f"{shape}-{n}.cue")
                with open(f, "w") as w:
                    w.write(chain(shape, n))
                t = os.path.join(d, "time.txt")
                cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", t, orche, "export", f]
                rc = subprocess.run(cmd + ["--out", "json"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode
                wall, user, sys_, rss = open(t).read().split()[-4:]
                print(f"{shape:9} {n:7} exit {rc}  {float(wall):6.2f} s wall  "
                      f"{float(user) + float(sys_):6.2f} s cpu  {int(rss) // 1024:5} MiB",
                      flush=True)


def main():
    args = sys.argv[1:]
    if args and args[0] == "--time":
        orche = args[1] if len(args) > 1 and not args[1].isdigit() else "target/release/orche"
        lengths = [int(a) for a in args[1:] if a.isdigit()] or [1000, 10000, 100000]
        time_all(orche, lengths)
        return
    if len(args) != 2 or args[0] not in SHAPES:
        sys.exit(__doc__)
    sys.stdout.write(chain(args[0], int(args[1])))


if __name__ == "__main__":
    main()
