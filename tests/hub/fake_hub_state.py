"""State of the fake Hub (tests/hub/fake_hub.py): repos, commits, content-addressed objects, faults."""
import fnmatch
import hashlib
import json
import os
import re
import threading

LFS_PATTERNS = ["*.pt", "*.bin", "*.safetensors", "*.h5", "*.onnx", "*.parquet", "*.zip", "*.gz", "*.npy",
                "*.ckpt", "*.msgpack", "*.model", "*.tar", "*.pkl", "*.pth", "*.arrow"]
TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def git_oid(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha, size):
    return ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (sha, size)).encode()


class HubError(Exception):
    def __init__(self, status, code=None, message="", headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class Hub:
    def __init__(self, root, tokens):
        self.lock = threading.RLock()
        self.root = root
        self.objects = os.path.join(root, "objects")
        os.makedirs(self.objects, exist_ok=True)
        self.tokens = tokens
        self.repos = {}
        self.aliases = {}
        self.faults = []
        self.log = []
        self.page_size = 1000
        self.multipart_threshold = 5 * 1024 * 1024
        self.chunk_size = 2 * 1024 * 1024
        self.counter = 0
        self.cdn = ""

    # -- storage -------------------------------------------------------------------------------------
    def put_object(self, data):
        sha = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.objects, sha)
        if not os.path.exists(path):
            tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return sha

    def object_path(self, sha):
        return os.path.join(self.objects, sha)

    def object_size(self, sha):
        path = self.object_path(sha)
        return os.path.getsize(path) if os.path.exists(path) else None

    def is_lfs(self, path, size, sample):
        name = path.rsplit("/", 1)[-1]
        return (any(fnmatch.fnmatchcase(name, p) for p in LFS_PATTERNS) or size >= 10 * 1024 * 1024
                or (b"\0" in sample and size > 1024 * 1024))

    def create_repo(self, rtype, repo_id, private=False, gated=False):
        with self.lock:
            key = (rtype, repo_id)
            if key in self.repos:
                return False
            self.repos[key] = {"private": private, "gated": gated, "branches": {}, "commits": {}, "prs": 0}
            attrs = "".join("%s filter=lfs diff=lfs merge=lfs -text\n" % p for p in LFS_PATTERNS).encode()
            self.commit(rtype, repo_id, "main", [("file", ".gitattributes", attrs)], "initial commit")
            return True

    def commit(self, rtype, repo_id, branch, ops, message, parent=None, create_pr=False):
        with self.lock:
            repo = self.repos[(rtype, repo_id)]
            head = repo["branches"].get(branch)
            if branch not in repo["branches"] and repo["branches"] and not create_pr:
                raise HubError(404, "RevisionNotFound", "Invalid rev id: %s" % branch)
            if parent and head and parent != head:
                raise HubError(412, None, "A commit has happened since. Please refresh and try again.")
            files = dict(repo["commits"][head]["files"]) if head else {}
            for op in ops:
                self.apply(files, op)
            self.counter += 1
            blob = json.dumps({"p": head, "f": files, "m": message, "n": self.counter}, sort_keys=True).encode()
            commit = hashlib.sha1(blob).hexdigest()
            repo["commits"][commit] = {"files": files, "parent": head, "message": message}
            if create_pr:
                repo["prs"] += 1
                branch = "refs/pr/%d" % repo["prs"]
            repo["branches"][branch] = commit
            return commit, branch

    def apply(self, files, op):
        kind, path = op[0], op[1]
        if kind == "file":
            data = op[2]
            lfs = self.is_lfs(path, len(data), data[:512]) if len(data) else False
            sha = self.put_object(data)
            oid = git_oid(lfs_pointer(sha, len(data))) if lfs else git_oid(data)
            files[path] = {"sha256": sha, "size": len(data), "lfs": lfs, "oid": oid}
        elif kind == "lfs":
            sha, size = op[2], op[3]
            if self.object_size(sha) != size:
                raise HubError(400, None, "LFS object %s (%s bytes) was not uploaded" % (sha, size))
            files[path] = {"sha256": sha, "size": size, "lfs": True, "oid": git_oid(lfs_pointer(sha, size))}
        elif kind == "delete":
            if path not in files:
                raise HubError(404, "EntryNotFound", "A file with this name doesn't exist")
            del files[path]
        elif kind == "delete_folder":
            for p in [p for p in files if p.startswith(path.rstrip("/") + "/")]:
                del files[p]

    def find(self, rtype, repo_id, revision, user, write=False):
        repo = self.repos.get((rtype, repo_id))
        if repo is None:
            raise HubError(401 if user is None else 404, "RepoNotFound", "Repository not found")
        if (repo["private"] or repo["gated"] or write) and user is None:
            if repo["gated"] and not write:
                raise HubError(401, "GatedRepo", "Access to model %s is restricted. You must have access to it "
                               "and be authenticated to access it. Please log in." % repo_id)
            raise HubError(401, "RepoNotFound", "Repository not found")
        if revision is None:
            return repo, None
        if revision == "HEAD":
            revision = "main"
        if revision in repo["commits"]:
            return repo, revision
        if revision in repo["branches"]:
            return repo, repo["branches"][revision]
        raise HubError(404, "RevisionNotFound", "Invalid rev id: %s" % revision)

    def take_fault(self, host, method, path):
        with self.lock:
            for fault in self.faults:
                if fault.get("times", 1) == 0:
                    continue
                if fault.get("method") and fault["method"] != method:
                    continue
                if fault.get("host") and fault["host"] != host:
                    continue
                if not re.search(fault.get("match", ""), path):
                    continue
                if fault.get("times", 1) > 0:
                    fault["times"] = fault.get("times", 1) - 1
                return dict(fault)
        return None


def tree_entries(files, prefix, recursive):
    prefix = prefix.strip("/")
    entries, dirs = [], set()
    for path in sorted(files):
        if prefix and not path.startswith(prefix + "/"):
            continue
        rest = path[len(prefix) + 1:] if prefix else path
        parts = rest.split("/")
        base = prefix + "/" if prefix else ""
        for i in range(1, len(parts)):
            d = base + "/".join(parts[:i])
            if d not in dirs and (recursive or i == 1):
                dirs.add(d)
                entries.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0,
                                "path": d})
        if recursive or len(parts) == 1:
            entries.append(file_entry(path, files[path]))
    return entries


def file_entry(path, f):
    entry = {"type": "file", "oid": f["oid"], "size": f["size"], "path": path}
    if f["lfs"]:
        entry["lfs"] = {"oid": f["sha256"], "size": f["size"], "pointerSize": len(lfs_pointer(f["sha256"], f["size"]))}
    return entry
