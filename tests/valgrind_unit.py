#!/usr/bin/python3
"""Run every ctest test labelled `unit` under valgrind memcheck, with the environment and
working directory ctest would give it (some tests find their generated data through
environment variables). Usage: valgrind_unit.py BUILD_DIR. Exit 1 on any error or leak."""
import json
import os
import subprocess
import sys
import time

build = sys.argv[1]
info = json.loads(subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                                 check=True, capture_output=True, text=True).stdout)
failed = []
for test in info["tests"]:
    props = {p["name"]: p["value"] for p in test.get("properties", [])}
    if "unit" not in (props.get("LABELS") or []) or props.get("DISABLED") or "command" not in test:
        continue
    env = dict(os.environ, NPG_UNDER_VALGRIND="1")  # tests may thin exhaustive loops
    for kv in props.get("ENVIRONMENT") or []:
        k, _, v = kv.partition("=")
        env[k] = v
    cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
           "--errors-for-leak-kinds=definite,indirect,possible",
           "--show-leak-kinds=definite,indirect,possible"] + test["command"]
    start = time.time()
    log = os.path.join(build, "Testing", test["name"] + ".valgrind.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as out:
        rc = subprocess.run(cmd, env=env, cwd=props.get("WORKING_DIRECTORY") or build,
                            stdout=out, stderr=subprocess.STDOUT).returncode
    print(f"valgrind {test['name']}: {'ok' if rc == 0 else 'FAILED'} ({time.time() - start:.0f} s)", flush=True)
    if rc != 0:
        failed.append(test["name"])
        with open(log) as f:
            print("".join(f.readlines()[-30:]))
print(f"valgrind: {len(failed)} failed" if failed else "valgrind: clean")
sys.exit(1 if failed else 0)
