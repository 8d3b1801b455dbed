#!/usr/bin/env python3
"""A Hugging Face Hub protocol test double, on loopback only (stdlib only).

Hub host 127.0.0.1:PORT: resolve HEAD/GET (200 for git files with Range, 302 to the "CDN" host for LFS
files, 307 relative for renamed repos), /api/{type}s/{id}[/revision/{rev}], tree with Link pagination,
paths-info, whoami-v2, repos/create, branch creation, preupload, LFS batch (basic + multipart + verify),
NDJSON commit (files, LFS pointers, deletions).
CDN host 127.0.0.2:CDN_PORT: LFS content and presigned upload URLs (never needs the Hub token).
Admin: POST /_admin/fault (fault injection), GET /_admin/log, POST /_admin/commit, POST /_admin/config.

Usage: fake_hub.py --root DIR --port-file FILE [--token TOKEN=USER]... [--seed TYPE:ORG/NAME=DIR]...
Writes "PORT CDN_PORT" to FILE once listening; exits when its parent process exits or after --max-seconds.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the sources when run from the work tree
from fake_hub_state import PREFIX, TYPES, Hub, HubError, file_entry, lfs_pointer, tree_entries


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None  # set by main

    def log_message(self, fmt, *args):
        pass

    # -- plumbing ------------------------------------------------------------------------------------
    def user(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        token = auth[len("Bearer "):].strip()
        if token not in self.hub.tokens:
            raise HubError(401, None, "Invalid credentials in Authorization header")
        return self.hub.tokens[token]

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def endpoint(self):
        return "http://" + self.headers.get("Host", "127.0.0.1")

    def send(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.status = status

    def send_error_json(self, e):
        headers = dict(e.headers)
        if e.code:
            headers["X-Error-Code"] = e.code
        if e.message:
            headers["X-Error-Message"] = e.message
        self.send(e.status, {"error": e.message}, headers)

    def handle_any(self):
        self.status = 0
        host = self.headers.get("Host", "").split(":")[0]
        path = urllib.parse.urlsplit(self.path).path
        try:
            self.fault = self.hub.take_fault(host, self.command, self.path)
            if self.fault and self.fault["kind"] == "status":
                raise HubError(self.fault.get("status", 500), self.fault.get("code"), self.fault.get("message", "injected"),
                               self.fault.get("headers", {}))
            if self.fault and self.fault["kind"] == "delay":
                time.sleep(self.fault.get("seconds", 1))
            self.route(path)
        except HubError as e:
            if self.command in ("POST", "PUT"):
                self.close_connection = True
            self.send_error_json(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with self.hub.lock:
                self.hub.log.append({"method": self.command, "path": self.path, "host": host,
                                     "auth": "Authorization" in self.headers, "range": self.headers.get("Range"),
                                     "status": self.status})

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = handle_any

    # -- routing -------------------------------------------------------------------------------------
    def route(self, path):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        m = None
        if path.startswith("/_admin/"):
            return self.admin(path[len("/_admin/"):])
        if path.startswith("/_cdn/"):  # as S3/CloudFront: an ETag of its own, no Hub headers
            sha = path[len("/_cdn/"):]
            return self.serve_object(sha, {"ETag": '"%s"' % hashlib.md5(sha.encode()).hexdigest()})
        if path.startswith("/_lfs/"):
            return self.lfs_transfer(path[len("/_lfs/"):].split("/"))
        if path == "/api/whoami-v2":
            return self.whoami()
        if path == "/api/repos/create" and self.command == "POST":
            return self.create_repo()
        m = re.match(r"^/api/(models|datasets|spaces)/([^/]+(?:/[^/]+)?)/(revision|tree|preupload|commit|paths-info|refs|branch)"
                     r"(?:/([^/]*)(?:/(.*))?)?$", path)
        if m:
            rtype, repo_id, action = TYPES[m.group(1)], m.group(2), m.group(3)
            rev = urllib.parse.unquote(m.group(4)) if m.group(4) else "main"
            sub = urllib.parse.unquote(m.group(5) or "")
            return getattr(self, "api_" + action.replace("-", "_"))(rtype, repo_id, rev, sub, q)
        m = re.match(r"^/api/(models|datasets|spaces)/([^/]+(?:/[^/]+)?)$", path)
        if m:
            return self.api_revision(TYPES[m.group(1)], m.group(2), "main", "", q)
        m = re.match(r"^/(datasets/|spaces/)?([^/]+(?:/[^/]+)?)\.git/info/lfs/objects/batch$", path)
        if m:
            return self.lfs_batch({"datasets/": "dataset", "spaces/": "space"}.get(m.group(1) or "", "model"), m.group(2))
        m = re.match(r"^/(datasets/|spaces/)?([^/]+(?:/[^/]+)?)/resolve/([^/]+)/(.+)$", path)
        if m and self.command in ("GET", "HEAD"):
            rtype = {"datasets/": "dataset", "spaces/": "space"}.get(m.group(1) or "", "model")
            return self.resolve(rtype, m.group(2), urllib.parse.unquote(m.group(3)), urllib.parse.unquote(m.group(4)))
        raise HubError(404, None, "no route for %s %s" % (self.command, path))

    # -- downloads -----------------------------------------------------------------------------------
    def resolve(self, rtype, repo_id, revision, filename):
        alias = self.hub.aliases.get((rtype, repo_id))
        if alias:
            loc = "/%s%s/resolve/%s/%s" % (PREFIX[rtype], alias, urllib.parse.quote(revision, safe=""),
                                           urllib.parse.quote(filename))
            return self.send(307, b"", {"Location": loc})
        repo, commit = self.hub.find(rtype, repo_id, revision, self.user())
        files = repo["commits"][commit]["files"]
        if filename not in files:
            raise HubError(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit})
        f = files[filename]
        headers = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes"}
        if f["lfs"]:
            headers.update({"X-Linked-Etag": '"%s"' % f["sha256"], "X-Linked-Size": str(f["size"]),
                            "ETag": '"%s"' % f["oid"],
                            "Location": "%s/_cdn/%s?expires=%d" % (self.hub.cdn, f["sha256"], time.time() + 3600)})
            return self.send(302, b"", headers)
        headers["ETag"] = '"%s"' % f["oid"]
        return self.serve_object(f["sha256"], headers)

    def serve_object(self, sha, headers):
        sha = sha.split("?")[0]
        size = self.hub.object_size(sha)
        if size is None:
            raise HubError(404, None, "no such object")
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m and not (self.fault and self.fault["kind"] == "ignore_range"):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            if start >= size:
                return self.send(416, {"error": "Requested Range Not Satisfiable"}, {"Content-Range": "bytes */%d" % size})
            status = 206
            headers = dict(headers, **{"Content-Range": "bytes %d-%d/%d" % (start, end, size)})
        count = end - start + 1
        fault = self.fault if self.fault and self.fault["kind"] in ("drop", "wrong_size", "corrupt") else None
        send_count = count
        if fault and fault["kind"] == "wrong_size":
            send_count = max(0, count + fault.get("delta", -1))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(send_count))
        self.end_headers()
        self.status = status
        if self.command == "HEAD":
            return
        self.wfile.flush()
        with open(self.hub.object_path(sha), "rb") as f:
            if fault and fault["kind"] == "drop":
                n = min(fault.get("after", count // 2), count)
                if n:
                    self.connection.sendfile(f, start, n)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_WR)  # FIN before Content-Length bytes: a cut body
                return
            if fault and fault["kind"] == "corrupt":
                f.seek(start)
                data = bytearray(f.read(count))
                data[len(data) // 2] ^= 0xFF
                self.wfile.write(bytes(data))
                return
            if min(count, send_count) > 0:
                self.connection.sendfile(f, start, min(count, send_count))
            if send_count > count:
                self.wfile.write(b"\0" * (send_count - count))

    # -- API -----------------------------------------------------------------------------------------
    def whoami(self):
        user = self.user()
        if user is None:
            raise HubError(401, None, "Invalid credentials in Authorization header")
        return self.send(200, {"type": "user", "id": hashlib.sha1(user.encode()).hexdigest()[:24], "name": user,
                               "fullname": user, "orgs": [], "auth": {"type": "access_token",
                               "accessToken": {"displayName": "test", "role": "write"}}})

    def api_revision(self, rtype, repo_id, rev, sub, q):
        repo, commit = self.hub.find(rtype, repo_id, rev, self.user())
        files = repo["commits"][commit]["files"]
        siblings = []
        for path in sorted(files):
            s = {"rfilename": path}
            if q.get("blobs") == ["true"]:
                f = files[path]
                s.update({"size": f["size"], "blobId": f["oid"]})
                if f["lfs"]:
                    s["lfs"] = {"size": f["size"], "sha256": f["sha256"], "pointerSize": 134}
            siblings.append(s)
        return self.send(200, {"_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "sha": commit,
                               "private": repo["private"], "gated": "manual" if repo["gated"] else False,
                               "disabled": False, "siblings": siblings, "tags": [],
                               "lastModified": "2026-01-01T00:00:00.000Z"})

    def api_tree(self, rtype, repo_id, rev, sub, q):
        repo, commit = self.hub.find(rtype, repo_id, rev, self.user())
        entries = tree_entries(repo["commits"][commit]["files"], sub, q.get("recursive") == ["true"])
        if self.fault and self.fault["kind"] == "tree_extra":
            entries += self.fault.get("entries", [])
        cursor = int(q.get("cursor", ["0"])[0])
        page = entries[cursor:cursor + self.hub.page_size]
        headers = {}
        if cursor + self.hub.page_size < len(entries):
            query = {k: v[0] for k, v in q.items()}
            query["cursor"] = str(cursor + self.hub.page_size)
            url = "%s%s?%s" % (self.endpoint(), urllib.parse.urlsplit(self.path).path, urllib.parse.urlencode(query))
            headers["Link"] = '<%s>; rel="next"' % url
        return self.send(200, page, headers)

    def api_paths_info(self, rtype, repo_id, rev, sub, q):
        repo, commit = self.hub.find(rtype, repo_id, rev, self.user())
        raw = self.body()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            req = json.loads(raw or b"{}")
            paths, expand = req.get("paths", []), req.get("expand") is True
        else:
            form = urllib.parse.parse_qs(raw.decode())
            paths, expand = form.get("paths", []), form.get("expand") == ["true"]
        files = repo["commits"][commit]["files"]
        out = []
        for p in paths:
            p = p.strip("/")
            if p in files:
                entry = file_entry(p, files[p])
                if expand:
                    entry["lastCommit"] = {"id": commit, "title": repo["commits"][commit]["message"],
                                           "date": "2026-01-01T00:00:00.000Z"}
                out.append(entry)
            elif any(f.startswith(p + "/") for f in files):
                out.append({"type": "directory", "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0, "path": p})
        return self.send(200, out)

    def api_refs(self, rtype, repo_id, rev, sub, q):
        repo, _ = self.hub.find(rtype, repo_id, None, self.user())
        branches = [{"name": b, "ref": "refs/heads/" + b, "targetCommit": c}
                    for b, c in repo["branches"].items() if not b.startswith("refs/")]
        return self.send(200, {"branches": branches, "tags": [], "converts": []})

    def api_branch(self, rtype, repo_id, branch, sub, q):  # HfApi.create_branch
        user = self.user()
        if self.command != "POST":
            raise HubError(405, None, "use POST to create a branch")
        repo, _ = self.hub.find(rtype, repo_id, None, user, write=True)
        with self.hub.lock:
            req = json.loads(self.body() or b"{}")
            _, start = self.hub.find(rtype, repo_id, req.get("startingPoint") or "main", user, write=True)
            if branch in repo["branches"] and not req.get("overwrite"):
                raise HubError(409, None, "Reference already exists")
            repo["branches"][branch] = start
        return self.send(200, {})

    def create_repo(self):
        user = self.user()
        if user is None:
            raise HubError(401, None, "Invalid credentials in Authorization header")
        req = json.loads(self.body() or b"{}")
        repo_id = (req.get("organization") + "/" if req.get("organization") else user + "/") + req["name"]
        rtype = req.get("type") or "model"
        private = req.get("private") is True or req.get("visibility") == "private"
        url = "%s/%s%s" % (self.endpoint(), PREFIX[rtype], repo_id)
        if not self.hub.create_repo(rtype, repo_id, private=private):
            raise HubError(409, None, "You already created this %s repo" % rtype, {})
        return self.send(200, {"url": url, "name": repo_id, "id": hashlib.sha1(repo_id.encode()).hexdigest()[:24]})

    def api_preupload(self, rtype, repo_id, rev, sub, q):
        user = self.user()
        repo, _ = self.hub.find(rtype, repo_id, None, user, write=True)
        commit = repo["branches"].get(rev) or repo["branches"]["main"]
        files = repo["commits"][commit]["files"]
        out = []
        for f in json.loads(self.body() or b"{}").get("files", []):
            sample = base64.b64decode(f.get("sample", ""))
            lfs = f["size"] > 0 and self.hub.is_lfs(f["path"], f["size"], sample)
            entry = {"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            if f["path"] in files:
                old = files[f["path"]]
                entry["oid"] = old["sha256"] if old["lfs"] else old["oid"]
            out.append(entry)
        return self.send(200, {"files": out, "commitOid": commit})

    def api_commit(self, rtype, repo_id, rev, sub, q):
        user = self.user()
        self.hub.find(rtype, repo_id, None, user, write=True)
        create_pr = q.get("create_pr") == ["1"]
        lines = [json.loads(l) for l in self.body().decode().splitlines() if l.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, None, "the first NDJSON line must be the header")
        header, ops = lines[0]["value"], []
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                data = base64.b64decode(value["content"])
                if len(data) > 10 * 1024 * 1024:
                    raise HubError(400, None, "Your push was rejected because it contains files larger than 10 MiB")
                ops.append(("file", value["path"], data))
            elif key == "lfsFile":
                ops.append(("lfs", value["path"], value["oid"], value["size"]))
            elif key == "deletedFile":
                ops.append(("delete", value["path"]))
            elif key == "deletedFolder":
                ops.append(("delete_folder", value["path"]))
            else:
                raise HubError(400, None, "unknown NDJSON key %s" % key)
        if not header.get("summary"):
            raise HubError(400, None, "commit summary is required")
        commit, branch = self.hub.commit(rtype, repo_id, rev, ops, header["summary"], header.get("parentCommit"),
                                         create_pr)
        out = {"success": True, "commitOid": commit, "hookOutput": "",
               "commitUrl": "%s/%s%s/commit/%s" % (self.endpoint(), PREFIX[rtype], repo_id, commit)}
        if create_pr:
            out["pullRequestUrl"] = "%s/%s%s/discussions/%s" % (self.endpoint(), PREFIX[rtype], repo_id,
                                                                branch.rsplit("/", 1)[1])
        return self.send(200, out)

    # -- LFS -----------------------------------------------------------------------------------------
    def lfs_batch(self, rtype, repo_id):
        self.hub.find(rtype, repo_id, None, self.user(), write=True)
        req = json.loads(self.body() or b"{}")
        if req.get("operation") != "upload":
            raise HubError(400, None, "only upload is supported")
        multipart_ok = "multipart" in req.get("transfers", [])
        objects = []
        for obj in req.get("objects", []):
            oid, size = obj["oid"], obj["size"]
            entry = {"oid": oid, "size": size}
            if self.hub.object_size(oid) != size:
                verify = {"href": "%s/_lfs/verify/%s" % (self.endpoint(), oid), "header": {}}
                if multipart_ok and size > self.hub.multipart_threshold:
                    chunk = self.hub.chunk_size
                    header = {"chunk_size": str(chunk)}
                    for i in range(1, (size + chunk - 1) // chunk + 1):
                        header[str(i)] = "%s/_lfs/part/%s/%d" % (self.hub.cdn, oid, i)
                    upload = {"href": "%s/_lfs/complete/%s" % (self.hub.cdn, oid), "header": header}
                else:
                    upload = {"href": "%s/_lfs/upload/%s?size=%d" % (self.hub.cdn, oid, size), "header": {}}
                entry["actions"] = {"upload": upload, "verify": verify}
            objects.append(entry)
        return self.send(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                         content_type="application/vnd.git-lfs+json")

    def lfs_transfer(self, parts):
        kind, oid = parts[0], parts[1].split("?")[0]
        if kind == "upload" and self.command == "PUT":
            data = self.body()
            if hashlib.sha256(data).hexdigest() != oid:
                raise HubError(400, None, "content does not match oid %s" % oid)
            self.hub.put_object(data)
            return self.send(200, b"", {"ETag": '"%s"' % hashlib.md5(data).hexdigest()})
        if kind == "part" and self.command == "PUT":
            data = self.body()
            path = os.path.join(self.hub.root, "parts", oid, parts[2])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            return self.send(200, b"", {"ETag": '"%s"' % hashlib.md5(data).hexdigest()})
        if kind == "complete" and self.command == "POST":
            req = json.loads(self.body() or b"{}")
            data = b""
            for part in sorted(req.get("parts", []), key=lambda p: p["partNumber"]):
                with open(os.path.join(self.hub.root, "parts", oid, str(part["partNumber"])), "rb") as f:
                    chunk = f.read()
                if part["etag"].strip('"') != hashlib.md5(chunk).hexdigest():
                    raise HubError(400, None, "part %d etag mismatch" % part["partNumber"])
                data += chunk
            if hashlib.sha256(data).hexdigest() != oid or req.get("oid") != oid:
                raise HubError(400, None, "assembled content does not match oid %s" % oid)
            self.hub.put_object(data)
            return self.send(200, {"success": True})
        if kind == "verify" and self.command == "POST":
            if self.user() is None:
                raise HubError(401, None, "Invalid credentials in Authorization header")
            req = json.loads(self.body() or b"{}")
            if self.hub.object_size(req.get("oid", "")) != req.get("size"):
                raise HubError(404, None, "object %s not found" % req.get("oid"))
            return self.send(200, {"success": True})
        raise HubError(404, None, "no LFS route %s" % "/".join(parts))

    # -- admin (tests only) --------------------------------------------------------------------------
    def admin(self, what):
        hub = self.hub
        if what == "log":
            with hub.lock:
                return self.send(200, list(hub.log))
        req = json.loads(self.body() or b"{}")
        with hub.lock:
            if what == "fault":
                hub.faults.append(req)
            elif what == "clear":
                hub.faults.clear()
                hub.log.clear()
            elif what == "config":
                hub.page_size = req.get("page_size", hub.page_size)
                hub.multipart_threshold = req.get("multipart_threshold", hub.multipart_threshold)
                hub.chunk_size = req.get("chunk_size", hub.chunk_size)
                for old, new in req.get("aliases", {}).items():
                    hub.aliases[("model", old)] = new
            elif what == "commit":
                rtype = req.get("type", "model")
                hub.create_repo(rtype, req["repo"], req.get("private", False), req.get("gated", False))
                ops = [("file", p, base64.b64decode(b)) for p, b in sorted(req.get("files", {}).items())]
                ops += [("delete", p) for p in req.get("delete", [])]
                commit, branch = hub.commit(rtype, req["repo"], req.get("branch", "main"), ops,
                                            req.get("message", "test commit"), create_pr=False)
                return self.send(200, {"commit": commit, "branch": branch})
            else:
                raise HubError(404, None, "no admin route %s" % what)
        return self.send(200, {"ok": True})


def seed(hub, spec):
    kind, rest = spec.split(":", 1)
    repo_id, directory = rest.split("=", 1)
    hub.create_repo(kind, repo_id)
    ops = []
    for dirpath, _, names in os.walk(directory):
        for name in sorted(names):
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                ops.append(("file", os.path.relpath(full, directory).replace(os.sep, "/"), f.read()))
    hub.commit(kind, repo_id, "main", ops, "seed")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", default=[], help="TOKEN=USER")
    ap.add_argument("--seed", action="append", default=[], help="TYPE:ORG/NAME=DIR")
    ap.add_argument("--max-seconds", type=float, default=900)
    args = ap.parse_args()
    tokens = dict(t.split("=", 1) for t in args.token) or {"hf_testtoken_write": "tester"}
    hub = Hub(args.root, tokens)
    Handler.hub = hub
    main_server = Server(("127.0.0.1", args.port), Handler)
    cdn_server = Server(("127.0.0.2", 0), Handler)
    hub.cdn = "http://127.0.0.2:%d" % cdn_server.server_address[1]
    for spec in args.seed:
        seed(hub, spec)
    for server in (main_server, cdn_server):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (main_server.server_address[1], cdn_server.server_address[1]))
    os.replace(tmp, args.port_file)
    parent, deadline = os.getppid(), time.time() + args.max_seconds
    while os.getppid() == parent and time.time() < deadline:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
