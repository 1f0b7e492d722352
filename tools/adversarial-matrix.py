#!/usr/bin/env python3
"""Hostile values in every free-text position of a .deploy file, built and run.

For each (position, payload) pair this writes a deployment with the payload in that position,
runs `deployc build` on it, and, when it builds:
  - reads every manifest back with PyYAML (a YAML 1.1 reader, like Kubernetes' decoder) and
    counts documents and the scalars that are not strings where the payload landed;
  - runs the four scripts with DRY_RUN=1 and again against recording stand-ins (nothing real is
    called), in a sandbox whose working directory is watched for files named PWNED*;
  - scans every output file for raw control and bidirectional characters.
It prints attempts and failures per category. Usage:

    tools/adversarial-matrix.py [path/to/deployc]      # default: target/release/deployc

Needs PyYAML (the client venv from tools/install-clients.sh has it: target/clients/bin/python).
"""

import os
import shutil
import subprocess
import sys
import tempfile

import yaml

DEPLOYC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/deployc")
RECORDER = r'''#!/usr/bin/env bash
case "$(basename "$0") $*" in
  "kubectl --namespace "*" get service "*) echo 203.0.113.10 ;;
  "curl "*) echo 200 ;;
esac
exit 0
'''
TOOLS = ["kubectl", "helm", "k3d", "docker", "curl", "doctl", "az", "aws", "gcloud", "eksctl", "hetzner-k3s",
         "hcloud", "kind", "cloud-provider-kind", "gke-gcloud-auth-plugin"]

PAYLOADS = [
    "$(touch PWNED-a)", "`touch PWNED-b`", "';touch PWNED-c;'", '";touch PWNED-d;"', "a\"b'c",
    "x\n---\nkind: Secret", "yes", "on", "No", "1_000", "0b101", "2026-12-01", "null", "~", "-rf",
    "--access-token=x", "a,b=c,d", "{{7*7}}", "${HOME}", "<script>alert(1)</script>", "[x](javascript:alert(1))",
    "%%{init: {}}%%", "| a | b |", "# heading", "&anchor", "*alias", "!!binary x", "a: b", "\\", "\u202eevil",
    "x" * 70000,
]

BASE = '''deployment adv {
  target k3d {
    servers = 1
    ports   = [PORTS]
  }
  domain = "adv.localhost"
  registry = REGISTRY
  secret app { TOKEN = env(SECRETVAR) }
  service web {
    image   = IMAGE
    port    = 8080
    command = [COMMAND]
    args    = [ARGS]
    secrets = [app]
    allow secret_env because REASON
    env     { LOG_LEVEL = ENVVALUE }
    labels  { team = LABEL }
    annotations { note = ANNOTATION }
    volume data { size = 1Gi, mount = MOUNT }
    route   = http("adv.localhost", path = PATH)
  }
  success {
    http URL { status = 200, contains = CONTAINS, within = 1s }
  }
}
'''
DEFAULTS = {
    "PORTS": '"8080:80@loadbalancer"', "REGISTRY": '"k3d-registry:5000"', "SECRETVAR": '"ADV_TOKEN"',
    "IMAGE": '"nginxinc/nginx-unprivileged:1.27.3"', "COMMAND": '"nginx"', "ARGS": '"-g"',
    "REASON": '"the app reads TOKEN from its environment"', "ENVVALUE": '"info"', "LABEL": '"web"',
    "ANNOTATION": '"x"', "MOUNT": '"/data"', "PATH": '"/"', "URL": '"http://adv.localhost:8080/"',
    "CONTAINS": '"200"',
}


def quoted(payload):
    return '"' + payload.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def scan_yaml(out):
    problems = []
    for root, _, files in os.walk(os.path.join(out, "manifests")):
        for name in files:
            text = open(os.path.join(root, name), encoding="utf-8").read()
            try:
                docs = [d for d in yaml.safe_load_all(text) if d is not None]
            except yaml.YAMLError as e:
                problems.append("%s: not YAML (%s)" % (name, str(e).splitlines()[0]))
                continue
            for d in docs:
                if isinstance(d, dict) and d.get("kind") == "Secret" and "data" not in d and "stringData" not in d:
                    problems.append("%s: an injected Secret document" % name)
                problems.extend("%s: %s" % (name, p) for p in retyped(d, ""))
    return problems


def retyped(value, path):
    """Places Kubernetes types as strings (labels, annotations, env values, command and args)
    whose YAML 1.1 reading is not a string."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            here = "%s.%s" % (path, k)
            if k in ("labels", "annotations") and isinstance(v, dict):
                out.extend("%s.%s is %s" % (here, lk, type(lv).__name__) for lk, lv in v.items() if not isinstance(lv, str))
            elif k == "env" and isinstance(v, list):
                out.extend("%s.%s is %s" % (here, e.get("name"), type(e.get("value")).__name__)
                           for e in v if isinstance(e, dict) and "value" in e and not isinstance(e["value"], str))
            elif k in ("command", "args") and isinstance(v, list):
                out.extend("%s[] is %s" % (here, type(i).__name__) for i in v if not isinstance(i, str))
            else:
                out.extend(retyped(v, here))
    elif isinstance(value, list):
        for item in value:
            out.extend(retyped(item, path + "[]"))
    return out


def invisible(out):
    bad = []
    for root, _, files in os.walk(out):
        for name in files:
            data = open(os.path.join(root, name), "rb").read().decode("utf-8", "replace")
            if any(c in data for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x00\x1b"):
                bad.append(name)
    return bad


def run_scripts(out, sandbox):
    bin_dir = os.path.join(sandbox, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    for tool in TOOLS:
        path = os.path.join(bin_dir, tool)
        with open(path, "w") as f:
            f.write(RECORDER)
        os.chmod(path, 0o755)
    cwd = os.path.join(sandbox, "cwd")
    os.makedirs(cwd, exist_ok=True)
    env = {"PATH": bin_dir + ":/usr/bin:/bin", "HOME": cwd, "ADV_TOKEN": "$(touch PWNED-env)",
           "VERIFY_INTERVAL": "0", "DNS_INTERVAL": "0"}
    runs = 0
    for dry in ("1", "0"):
        for script, args in (("provision.sh", []), ("deploy.sh", []), ("verify.sh", []), ("teardown.sh", ["--yes"])):
            subprocess.run(["bash", os.path.join(out, "scripts", script)] + args, cwd=cwd,
                           env=dict(env, DRY_RUN=dry), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            runs += 1
    pwned = [f for r, _, fs in os.walk(sandbox) for f in fs if f.startswith("PWNED")]
    return runs, pwned


def main():
    tally = {k: [0, 0] for k in ("build", "yaml", "scripts", "invisible")}
    script_runs = 0
    failures = []
    for position in DEFAULTS:
        for payload in PAYLOADS:
            values = dict(DEFAULTS)
            values[position] = quoted(payload)
            text = BASE
            for key, value in values.items():
                text = text.replace(key, value)
            work = tempfile.mkdtemp(prefix="adv-")
            try:
                src = os.path.join(work, "adv.deploy")
                with open(src, "w") as f:
                    f.write(text)
                out = os.path.join(work, "out")
                result = subprocess.run([DEPLOYC, "build", src, "-o", out], capture_output=True, text=True, timeout=60,
                                        env=dict(os.environ, SOURCE_DATE_EPOCH="1796083200"))
                tally["build"][0] += 1
                if result.returncode not in (0, 1):
                    tally["build"][1] += 1
                    failures.append("build %s %r: exit %d %s" % (position, payload[:30], result.returncode, result.stderr[-200:]))
                    continue
                if result.returncode == 1:
                    continue  # refused with a diagnostic: nothing to run
                tally["yaml"][0] += 1
                problems = scan_yaml(out)
                if problems:
                    tally["yaml"][1] += 1
                    failures.append("yaml %s %r: %s" % (position, payload[:30], problems[:2]))
                tally["invisible"][0] += 1
                bad = invisible(out)
                if bad:
                    tally["invisible"][1] += 1
                    failures.append("invisible %s %r: %s" % (position, payload[:30], bad[:3]))
                runs, pwned = run_scripts(out, os.path.join(work, "sandbox"))
                script_runs += runs
                tally["scripts"][0] += 1
                if pwned:
                    tally["scripts"][1] += 1
                    failures.append("scripts %s %r: %s" % (position, payload[:30], pwned))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    print("positions: %d, payloads: %d, inputs: %d, script runs: %d" % (
        len(DEFAULTS), len(PAYLOADS), len(DEFAULTS) * len(PAYLOADS), script_runs))
    for key, (attempts, failed) in tally.items():
        print("%-10s %5d attempts %4d failed" % (key, attempts, failed))
    for f in failures[:40]:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
