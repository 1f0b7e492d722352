#!/usr/bin/env python3
"""The output directory under stress: concurrent builds, kill -9 at any moment, a full disk.

    tools/output-stress.py [path/to/deployc]      # default: target/release/deployc

- concurrent: pairs of builds of two different inputs into one directory, started together;
  afterwards the directory must equal one input's output exactly (compared with `deployc diff
  --check`), with `.deployc-state/` kept and nothing left beside it.
- kill -9: a build of a large input killed after a random delay; the next build must succeed,
  the state file must still be there and no staging or backup directory may remain.
- disk full: builds into a 1 MiB tmpfs, filled to a different level each time (mounting needs root; skipped otherwise); each must either
  succeed or fail with the old output intact, never report success with a partial output.
It prints attempts and failures per category.
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

DEPLOYC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/deployc")
HERE = os.path.dirname(os.path.abspath(__file__))
A = os.path.join(HERE, "..", "examples", "task-api-k3d.deploy")
B = os.path.join(HERE, "..", "examples", "humor-game-k3d.deploy")
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1796083200", NO_COLOR="1")


def build(src, out, **kw):
    return subprocess.run([DEPLOYC, "build", src, "-o", out], env=ENV, capture_output=True, **kw)


def same(src, out):
    return subprocess.run([DEPLOYC, "diff", src, out, "--check"], env=ENV, capture_output=True).returncode == 0


def leftovers(parent):
    return [n for n in os.listdir(parent) if ".deployc-tmp-" in n or ".deployc-old-" in n]


def concurrent(rounds):
    failed = 0
    work = tempfile.mkdtemp(prefix="stress-")
    out = os.path.join(work, "out")
    build(A, out)
    os.makedirs(os.path.join(out, ".deployc-state"), exist_ok=True)
    open(os.path.join(out, ".deployc-state", "kubeconfig"), "w").write("state\n")
    for _ in range(rounds):
        procs = [subprocess.Popen([DEPLOYC, "build", src, "-o", out], env=ENV, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for src in (A, B)]
        for p in procs:
            p.wait()
        whole = same(A, out) or same(B, out)
        state = os.path.exists(os.path.join(out, ".deployc-state", "kubeconfig"))
        if not (whole and state and not leftovers(work)):
            failed += 1
    shutil.rmtree(work, ignore_errors=True)
    return rounds, failed


def big_input(work):
    src = os.path.join(work, "big.deploy")
    # The benchmark's generator, through the built binary's own workload: 20,000 services.
    gen = subprocess.run(["cargo", "bench", "-q", "--bench", "build", "--", "--generate", "20000"],
                         capture_output=True, text=True, cwd=os.path.join(HERE, ".."))
    open(src, "w").write(gen.stdout)
    return src


def kill9(rounds):
    failed = 0
    work = tempfile.mkdtemp(prefix="stress-")
    src = big_input(work)
    out = os.path.join(work, "out")
    build(A, out)
    os.makedirs(os.path.join(out, ".deployc-state"), exist_ok=True)
    open(os.path.join(out, ".deployc-state", "kubeconfig"), "w").write("state\n")
    for _ in range(rounds):
        p = subprocess.Popen([DEPLOYC, "build", src, "-o", out], env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.0, 1.5))
        p.kill()
        p.wait()
        again = build(A, out)
        ok = (again.returncode == 0 and same(A, out) and not leftovers(work)
              and os.path.exists(os.path.join(out, ".deployc-state", "kubeconfig")))
        if not ok:
            failed += 1
    shutil.rmtree(work, ignore_errors=True)
    return rounds, failed


def disk_full(rounds):
    if os.geteuid() != 0:
        return 0, 0
    failed = 0
    global NO_SPACE
    mnt = tempfile.mkdtemp(prefix="stress-mnt-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode != 0:
        return 0, 0
    try:
        out = os.path.join(mnt, "out")
        small = build(A, out)
        for i in range(rounds):
            # Fill the disk to a different level each time, then build the larger input.
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:
                f.write(b"x" * (i * 41_000))
            r = build(B, out)
            NO_SPACE += int(r.returncode != 0)
            if r.returncode == 0:
                ok = same(B, out)
            else:
                ok = small.returncode != 0 or same(A, out) or same(B, out)
            if not ok or leftovers(mnt):
                failed += 1
            os.remove(filler)
            small = build(A, out)
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)
    return rounds, failed


NO_SPACE = 0


def main():
    results = {"concurrent pairs": concurrent(100), "kill -9": kill9(26), "disk full": disk_full(24)}
    bad = 0
    for name, (attempts, failed) in results.items():
        print("%-17s %4d attempts %3d failed" % (name, attempts, failed))
        bad += failed
    print("(disk full: %d of the builds ran out of space)" % NO_SPACE)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
