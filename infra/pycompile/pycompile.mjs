// CPython 3.12 (Pyodide: CPython compiled to WebAssembly) as a child process of the CDK bundlers: it byte-compiles
// host folders for Lambda's python3.12 runtime on a host that has another Python. Bytecode does not depend on the
// platform (marshal's format is fixed), only on the minor version, so Pyodide's 3.12 writes what Lambda's 3.12 reads.
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout (Python's own output goes to
// stderr). Requests:
//   {"op": "version"}                                  -> {"version": "3.12.7", "cacheTag": "cpython-312", "magic": 3531}
//   {"op": "compile", "dir": "/host/dir", "deployedAs": "/var/task"}
//                                                      -> {"compiled": 12, "failed": [{"path": "a/b.py", "error": "..."}]}
//   {"op": "run", "dir": "/host/dir", "code": "result = ..."}
//                                                      -> {"result": <JSON of the code's `result`>}
// Any request may answer {"error": "..."}. The process ends when stdin closes.
import { createInterface } from "node:readline";
import { loadPyodide } from "pyodide";

const PYTHON_HELPERS = `
import importlib
import importlib.util
import json
import os
import py_compile
import sys


def version():
    magic = int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little")
    return {"version": sys.version.split()[0], "cacheTag": sys.implementation.cache_tag, "magic": magic}


def compile_tree(root, deployed_as):
    # Hash-based and unchecked: the import system trusts the pyc without looking at the source's mtime or content
    # (see infra/pycompile/__init__.py for why timestamps cannot work in a CDK asset).
    compiled, failed = 0, []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            try:
                py_compile.compile(
                    path,
                    # The path tracebacks show before import fixes it up: where Lambda unpacks the asset.
                    dfile=f"{deployed_as}/{relative}" if deployed_as else None,
                    doraise=True,
                    optimize=0,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
                compiled += 1
            except (py_compile.PyCompileError, SyntaxError, ValueError, UnicodeDecodeError) as error:
                message = " ".join(line.strip() for line in str(error).strip().splitlines())
                failed.append({"path": relative, "error": message[:300]})
    return {"compiled": compiled, "failed": failed}


def run(root, code):
    before = set(sys.modules)
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    try:
        namespace = {}
        exec(code, namespace)
        return {"result": namespace.get("result")}
    finally:
        sys.path.remove(root)
        for name in set(sys.modules) - before:
            del sys.modules[name]


def answer(request_json, mountpoint):
    request = json.loads(request_json)
    if request["op"] == "version":
        return json.dumps(version())
    if request["op"] == "compile":
        return json.dumps(compile_tree(mountpoint, request.get("deployedAs", "")))
    if request["op"] == "run":
        return json.dumps(run(mountpoint, request["code"]))
    return json.dumps({"error": f"unknown op {request['op']!r}"})
`;

// Our stdout carries only answers: anything else (Pyodide's loader, Python's print) goes to stderr.
const toStderr = (line) => process.stderr.write(`${line}\n`);
console.log = toStderr;
const pyodide = await loadPyodide({ stdout: toStderr, stderr: toStderr });
pyodide.runPython(PYTHON_HELPERS);
const answer = pyodide.globals.get("answer");

let jobs = 0;
async function handle(line) {
  const request = JSON.parse(line);
  const mountpoint = `/mnt/job${jobs++}`;
  if (!request.dir) {
    return answer(line, "");
  }
  pyodide.FS.mkdirTree(mountpoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: request.dir }, mountpoint);
  try {
    return answer(line, mountpoint);
  } finally {
    pyodide.FS.unmount(mountpoint);
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) {
    continue;
  }
  let reply;
  try {
    reply = await handle(line);
  } catch (error) {
    reply = JSON.stringify({ error: String(error?.message ?? error).slice(-2000) });
  }
  process.stdout.write(`${reply}\n`);
}
