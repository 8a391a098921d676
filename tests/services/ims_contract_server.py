#!/usr/bin/python3
"""IMS/IAM contract server: the documented subset of OTC IAM + IMS on 127.0.0.1.

No public IMS server exists, so the register tests run the client against this one.  It is a
*contract checker*, not a mock that agrees with everything: every request is validated against
the documented contract (../shared/specs/cloud-api.md §1, §3, §6) and anything outside it is
refused with the documented error code.  Every request and verdict is kept in a log that the
tests read back (GET /_test/log) to prove that no request of ours failed validation.

Implemented:
  POST /v3/auth/tokens               password auth, project scope -> 201 + X-Subject-Token + catalog
  AK/SK "SDK-HMAC-SHA256" signatures  verified with the documented algorithm; 5 failures lock the AK
  POST /v2/cloudimages/action        create image (ISO with type IsoImage, or disk image) -> job
  GET  /v1/{project_id}/jobs/{id}    INIT -> RUNNING -> SUCCESS|FAIL with configurable delays
  GET  /v2/cloudimages?name=...      list (name, status, __imagetype, tag filters)
  GET|DELETE /v2/images/{id}         details / delete (IMG.0090 while being created)
  POST /v2/cloudimages/action        with volume_id: system-disk image from a data volume (spec §4.5a)
  /ecs/v1/{project_id}/...           ECS: create server, jobs, details/list, remote console, stop, delete
                                     (tests/services/ecs_contract.py; spec §4)
Test control (not part of the contract):
  POST /_test/config {json}          change behaviour (see DEFAULTS); GET /_test/log; GET /_test/images;
                                     GET /_test/ecs (servers and volumes)

Usage: ims_contract_server.py --port N --config FILE    (FILE: JSON merged over DEFAULTS)
"""
import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ecs_contract import ECS_DEFAULTS, EcsMixin  # noqa: E402

DEFAULTS = {
    "domain": "OTC-EU-DE-00000000001000000001",
    "user": "ci-user",
    "password": "",
    "project_id": "0123456789abcdef0123456789abcdef",
    "project_name": "eu-de",
    "region": "eu-de",
    "ak": "",
    "sk": "",
    "token_ttl": 86400,          # seconds a token lives
    "job_init_s": 0.5,           # seconds a job stays INIT, then RUNNING
    "job_run_s": 1.5,            # seconds RUNNING before SUCCESS/FAIL
    "job_fail": None,            # {"error_code": "IMG.1075", "fail_reason": "..."} -> next jobs fail
    "throttle_create": 0,        # next N create calls answer 400 IMG.0060
    "throttle_jobs": 0,          # next N job polls answer 400 IMG.0060
    "os_versions": [],           # accepted os_version strings (the client's list, both spec lists)
    "min_disk_min": 1, "min_disk_max": 1024,
    **ECS_DEFAULTS,
}

NAME_RE = re.compile(r"^[A-Za-z0-9._\- ]{1,128}$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
CREATE_FIELDS = {"name", "image_url", "type", "os_version", "min_disk", "os_type", "hw_firmware_type",
                 "description", "tags", "image_tags", "enterprise_project_id", "min_ram", "max_ram",
                 "is_config", "cmk_id", "is_quick_import", "data_images"}
TYPES = {"ECS", "FusionCompute", "BMS", "Ironic", "IsoImage"}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class State:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.tokens = {}        # token -> (expires_epoch, project_id)
        self.jobs = {}          # job_id -> dict
        self.images = {}        # image_id -> dict
        self.log = []           # [{method, path, status, code, auth}]
        self.sig_failures = {}  # ak -> consecutive failures
        self.locked_until = {}  # ak -> epoch
        self.servers = {}       # ECS server_id -> dict
        self.volumes = {}       # EVS volume_id -> dict
        self.ecs_jobs = {}      # ECS job_id -> dict


class ContractError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(json.dumps(body))
        self.status, self.body, self.headers = status, body, headers or {}


def img_error(code, message, status=400):
    return ContractError(status, {"error": {"message": message, "code": code}})


def iso_time(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def uri_encode(s, keep_slash=False):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def canonical_request(method, raw_path, headers, signed, body):
    """The documented algorithm (spec §1.3), written independently of the C client."""
    path, _, query = raw_path.partition("?")
    segs = [uri_encode(urllib.parse.unquote(p)) for p in path.split("/")]
    curi = "/".join(segs)
    if not curi.endswith("/"):
        curi += "/"
    items = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        items.append((uri_encode(urllib.parse.unquote(k)), uri_encode(urllib.parse.unquote(v))))
    items.sort()
    cquery = "&".join(f"{k}={v}" for k, v in items)
    lower = {k.lower(): v for k, v in headers.items()}
    cheaders = "".join(f"{h}:{lower.get(h, '').strip()}\n" for h in signed)
    payload = lower.get("x-sdk-content-sha256")
    if payload != "UNSIGNED-PAYLOAD":
        payload = hashlib.sha256(body).hexdigest()
    return "\n".join([method, curi, cquery, cheaders, ";".join(signed), payload])


class Handler(EcsMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ims-contract/1"
    ContractError = ContractError
    NAME_RE = NAME_RE
    img_error = staticmethod(img_error)
    iso_time = staticmethod(iso_time)

    def json_body(self, body, error):
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise error("Content-Type must be application/json.")
        try:
            return json.loads(body)
        except ValueError:
            raise error("The request body is not JSON.")

    def log_message(self, fmt, *args):  # quiet; the JSON log is the record
        pass

    # ---- plumbing ----
    def _send(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        entry = {"method": method, "path": self.path, "status": 0, "code": None, "auth": None}
        try:
            status, out, headers = self.route(method, body, entry)
        except ContractError as e:
            status, out, headers = e.status, e.body, e.headers
            err = out.get("error") if isinstance(out.get("error"), dict) else {}
            entry["code"] = out.get("error_code") or err.get("code")
            entry["message"] = out.get("error_msg") or err.get("message")
        except Exception as e:  # a bug here must be loud, never a silent pass
            status, out, headers = 500, {"error": {"message": f"contract server bug: {e!r}", "code": "BUG"}}, {}
            entry["code"] = "BUG"
        entry["status"] = status
        if not self.path.startswith("/_test/"):
            with st.lock:
                st.log.append(entry)
        self._send(status, out, headers)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    # ---- routing ----
    def route(self, method, body, entry):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_test/"):
            return self.test_control(method, path, body)
        if method == "POST" and path == "/v3/auth/tokens":
            entry["auth"] = "password"
            return self.auth_tokens(body)
        project = self.authenticate(method, body, entry)
        if path.startswith("/ecs/"):
            return self.ecs_route(method, path[4:], body, project)
        if method == "POST" and path == "/v2/cloudimages/action":
            return self.create_image(body, project)
        m = re.fullmatch(r"/v1/([^/]+)/jobs/([^/]+)", path)
        if method == "GET" and m:
            return self.get_job(m.group(1), m.group(2), project)
        if method == "GET" and path == "/v2/cloudimages":
            return self.list_images(project)
        m = re.fullmatch(r"/v2/images/([^/]+)", path)
        if m and method == "GET":
            img = self.own_image(m.group(1), project)
            return 200, img, {}
        if m and method == "DELETE":
            img = self.own_image(m.group(1), project)
            with st.lock:
                if img["status"] in ("queued", "saving"):
                    raise img_error("IMG.0090", "The image is being created.")
                del st.images[img["id"]]
            return 204, None, {}
        raise ContractError(404, {"error": {"message": f"no such API: {method} {path}", "code": "IMG.0001"}})

    # ---- IAM ----
    def auth_tokens(self, body):
        st, cfg = self.server.state, self.server.state.cfg
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise ContractError(400, {"error": {"code": 400, "message": "Content-Type must be application/json",
                                                "title": "Bad Request"}})
        try:
            auth = json.loads(body)["auth"]
            ident = auth["identity"]
            if ident["methods"] != ["password"]:
                raise KeyError("methods")
            user = ident["password"]["user"]
            name, pw, dom = user["name"], user["password"], user["domain"]
            scope = auth.get("scope", {})
        except (ValueError, KeyError, TypeError) as e:
            raise ContractError(400, {"error": {"code": 400, "message": f"The request is malformed: {e}",
                                                "title": "Bad Request"}})
        if dom.get("name", dom.get("id")) != cfg["domain"] or name != cfg["user"] or pw != cfg["password"]:
            raise ContractError(401, {"error": {"code": 401, "message": "The username or password is wrong.",
                                                "title": "Unauthorized"}})
        proj = scope.get("project") if isinstance(scope, dict) else None
        if not proj or (proj.get("id") != cfg["project_id"] and proj.get("name") != cfg["project_name"]):
            # IMS needs a project-scoped token (spec §1.1): anything else is our bug.
            raise ContractError(400, {"error": {"code": 400, "message": "project scope required (id or name)",
                                                "title": "Bad Request"}})
        now = time.time()
        token = "MIID" + uuid.uuid4().hex * 8
        with st.lock:
            st.tokens[token] = (now + cfg["token_ttl"], cfg["project_id"])
        base = f"http://{self.headers.get('Host')}"
        out = {"token": {
            "methods": ["password"], "issued_at": iso_time(now), "expires_at": iso_time(now + cfg["token_ttl"]),
            "user": {"id": "u-" + cfg["user"], "name": cfg["user"],
                     "domain": {"id": "d-1", "name": cfg["domain"]}, "password_expires_at": ""},
            "project": {"id": cfg["project_id"], "name": cfg["project_name"],
                        "domain": {"id": "d-1", "name": cfg["domain"]}},
            "roles": [{"id": "r-1", "name": "te_admin"}],
            "catalog": [
                {"id": "c-iam", "name": "iam", "type": "identity",
                 "endpoints": [{"id": "e1", "interface": "public", "region": "*", "region_id": "*",
                                "url": base + "/v3"}]},
                {"id": "c-ims", "name": "glance", "type": "image",
                 "endpoints": [{"id": "e2", "interface": "public", "region": cfg["region"],
                                "region_id": cfg["region"], "url": base}]},
                {"id": "c-ecs", "name": "ecs", "type": "ecs",
                 "endpoints": [{"id": "e3", "interface": "public", "region": cfg["region"],
                                "region_id": cfg["region"], "url": base + "/ecs/v1/" + cfg["project_id"]}]},
            ]}}
        return 201, out, {"X-Subject-Token": token}

    def authenticate(self, method, body, entry):
        st, cfg = self.server.state, self.server.state.cfg
        tok = self.headers.get("X-Auth-Token")
        code = "Common.0013" if self.path.startswith("/ecs/") else "IMG.0030"
        if tok:
            entry["auth"] = "token"
            with st.lock:
                info = st.tokens.get(tok)
            if not info:
                raise img_error(code, "The token is invalid.", 401)
            if info[0] < time.time():
                raise img_error(code, "The token must be updated.", 401)
            return info[1]
        authz = self.headers.get("Authorization")
        if authz:
            entry["auth"] = "aksk"
            return self.verify_signature(method, body, authz)
        raise img_error("IMG.0030", "No X-Auth-Token or Authorization header.", 401)

    def apig_fail(self, ak, msg):
        st = self.server.state
        with st.lock:
            st.sig_failures[ak] = st.sig_failures.get(ak, 0) + 1
            if st.sig_failures[ak] >= 5:
                st.locked_until[ak] = time.time() + 300
        raise ContractError(401, {"error_msg": msg, "error_code": "APIG.0301", "request_id": uuid.uuid4().hex})

    def verify_signature(self, method, body, authz):
        st, cfg = self.server.state, self.server.state.cfg
        m = re.fullmatch(r"SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})", authz)
        if not m:
            raise ContractError(401, {"error_msg": "Incorrect IAM authentication information: "
                                      "Authorization header malformed", "error_code": "APIG.0301",
                                      "request_id": uuid.uuid4().hex})
        ak, signed, sig = m.group(1), m.group(2).split(";"), m.group(3)
        if st.locked_until.get(ak, 0) > time.time():
            raise ContractError(401, {"error_msg": "AK access failed to reach the limit,forbidden",
                                      "error_code": "APIG.0301", "request_id": uuid.uuid4().hex})
        if ak != cfg["ak"]:
            self.apig_fail(ak, "Incorrect IAM authentication information: ak not found")
        if signed != sorted(signed) or "host" not in signed or "x-sdk-date" not in signed:
            self.apig_fail(ak, "Incorrect IAM authentication information: host and x-sdk-date must be signed")
        date = self.headers.get("X-Sdk-Date", "")
        try:
            when = dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
        except ValueError:
            self.apig_fail(ak, "Incorrect IAM authentication information: bad X-Sdk-Date")
        if abs(when - time.time()) > 900:
            self.apig_fail(ak, "Incorrect IAM authentication information: signature expired")
        headers = {k: v for k, v in self.headers.items()}
        creq = canonical_request(method, self.path, headers, signed, body)
        sts = "SDK-HMAC-SHA256\n" + date + "\n" + hashlib.sha256(creq.encode()).hexdigest()
        want = hmac.new(cfg["sk"].encode(), sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            self.apig_fail(ak, "Incorrect IAM authentication information: verify aksk signature fail")
        with st.lock:
            st.sig_failures[ak] = 0
        pid = self.headers.get("X-Project-Id")
        if pid != cfg["project_id"]:
            raise img_error("IMG.0087", "X-Project-Id missing or not the project of this AK.", 400)
        return pid

    # ---- IMS ----
    def validate_create(self, req):
        cfg = self.server.state.cfg
        if not isinstance(req, dict) or not req:
            raise img_error("IMG.0007", "The request body is empty or not a JSON object.")
        extra = set(req) - CREATE_FIELDS
        if extra:
            raise img_error("IMG.0001", f"Unknown parameters: {sorted(extra)}")
        name = req.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name) or name != name.strip():
            raise img_error("IMG.0002", "Invalid image name (1-128 letters, digits, -, ., _, space).")
        url = req.get("image_url")
        if not isinstance(url, str) or ":" not in url:
            raise img_error("IMG.0057", "image_url must be \"bucket:object\".")
        bucket, key = url.split(":", 1)
        if not bucket:
            raise img_error("IMG.0068", "The bucket name is empty.")
        if not BUCKET_RE.match(bucket):
            raise img_error("IMG.0109", "The bucket name is invalid.")
        if not key or key.startswith("/"):
            raise img_error("IMG.0121", "The object does not exist.")
        typ = req.get("type", "ECS")
        if typ not in TYPES:
            raise img_error("IMG.0024", f"Invalid image type {typ!r}.")
        osv = req.get("os_version")
        if typ == "IsoImage" and osv is None:
            raise img_error("IMG.0166", "os_version is required for an ISO image.")
        if osv is not None and osv not in cfg["os_versions"]:
            raise img_error("IMG.0056", f"Invalid OS version {osv!r}.")
        md = req.get("min_disk")
        if type(md) is not int or not cfg["min_disk_min"] <= md <= cfg["min_disk_max"]:
            raise img_error("IMG.0055", f"min_disk must be an integer {cfg['min_disk_min']}-{cfg['min_disk_max']}.")
        if req.get("os_type", "Windows") not in ("Linux", "Windows", "Other"):
            raise img_error("IMG.0122", "Invalid os_type.")
        qi = req.get("is_quick_import", False)
        if type(qi) is not bool:
            raise img_error("IMG.0001", "is_quick_import must be a boolean.")
        if qi and typ == "IsoImage":  # spec §3.3: quick import is not applicable to ISO
            raise img_error("IMG.0001", "is_quick_import is not applicable to an ISO image.")
        if req.get("hw_firmware_type", "bios") not in ("bios", "uefi"):
            raise img_error("IMG.0141", "hw_firmware_type must be bios or uefi.")
        desc = req.get("description", "")
        if not isinstance(desc, str) or len(desc) > 1024 or re.search(r"[\r<>]", desc):
            raise img_error("IMG.0004", "Invalid description.")
        if "tags" in req and "image_tags" in req:
            raise img_error("IMG.0001", "Use only one of tags and image_tags.")
        tags = [tuple(t.split(".", 1)) if isinstance(t, str) else (None, None) for t in req.get("tags", [])]
        for t in req.get("image_tags", []):
            if not isinstance(t, dict) or set(t) != {"key", "value"}:
                raise img_error("IMG.0001", "image_tags items are {key, value}.")
            tags.append((t["key"], t["value"]))
        if len(tags) > 10:
            raise img_error("IMG.0116", "At most 10 tags per image.")
        for k, v in tags:
            if not isinstance(k, str) or not isinstance(v, str) or not 1 <= len(k) <= 36 or len(v) > 43:
                raise img_error("IMG.0001", "Tag key 1-36 chars, value <= 43 chars.")
        if typ == "IsoImage" and ("cmk_id" in req or req.get("is_config")):
            raise img_error("IMG.0167", "ISO images cannot be encrypted or auto-configured.")
        return name, typ, osv, md, tags

    def create_image(self, body, project):
        st, cfg = self.server.state, self.server.state.cfg
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise img_error("IMG.0001", "Content-Type must be application/json.")
        with st.lock:
            if cfg["throttle_create"] > 0:
                cfg["throttle_create"] -= 1
                raise img_error("IMG.0060", "The request is rejected due to flow control.")
        try:
            req = json.loads(body)
        except ValueError:
            raise img_error("IMG.0001", "The request body is not JSON.")
        if isinstance(req, dict) and "volume_id" in req:
            if "image_url" in req or "instance_id" in req:
                raise img_error("IMG.0001", "volume_id cannot be combined with image_url or instance_id.")
            return self.volume_image(req, project)
        name, typ, osv, md, tags = self.validate_create(req)
        now = time.time()
        with st.lock:
            if any(i["name"] == name for i in st.images.values()):
                raise img_error("IMG.0009", f"An image named {name!r} already exists.")
            image_id = str(uuid.uuid4())
            job_id = uuid.uuid4().hex
            st.images[image_id] = {
                "id": image_id, "name": name, "status": "queued", "min_disk": md, "min_ram": 0,
                "disk_format": "iso" if typ == "IsoImage" else "qcow2",
                "virtual_env_type": "IsoImage" if typ == "IsoImage" else "FusionCompute",
                "hw_firmware_type": req.get("hw_firmware_type", "bios"), "__os_version": osv or "",
                "__os_type": req.get("os_type", "Windows"), "__imagetype": "private", "owner": project,
                "tags": [f"{k}.{v}" for k, v in tags], "__description": req.get("description", ""),
                "visibility": "private", "protected": False, "created_at": iso_time(now)}
            st.jobs[job_id] = {"job_id": job_id, "project": project, "image_id": image_id, "begin": now,
                               "init_s": cfg["job_init_s"], "run_s": cfg["job_run_s"], "fail": cfg["job_fail"]}
        return 200, {"job_id": job_id}, {}

    def get_job(self, project_in_path, job_id, project):
        st, cfg = self.server.state, self.server.state.cfg
        if project_in_path != project:
            raise img_error("IMG.0087", "The project ID in the URL does not match the token.")
        with st.lock:
            if cfg["throttle_jobs"] > 0:
                cfg["throttle_jobs"] -= 1
                raise img_error("IMG.0060", "The request is rejected due to flow control.")
            job = st.jobs.get(job_id)
            if not job or job["project"] != project:
                raise ContractError(404, {"error": {"message": "job not found", "code": "Common.0011"}})
            self.ecs_tick()
            if job.get("volume_id") and job["volume_id"] not in st.volumes and not job.get("finished") \
                    and not job["fail"]:  # its source volume was deleted under it
                job["fail"] = {"error_code": "IMG.0022", "fail_reason": "The source volume was deleted."}
            age = time.time() - job["begin"]
            img = st.images.get(job["image_id"])
            status = "INIT" if age < job["init_s"] else "RUNNING" if age < job["init_s"] + job["run_s"] else \
                "FAIL" if job["fail"] else "SUCCESS"
            out = {"status": status, "job_id": job_id, "job_type": job.get("job_type", "imsImportImageJob"),
                   "begin_time": iso_time(job["begin"]), "end_time": "", "error_code": None, "fail_reason": None,
                   "entities": {}}
            if status in ("SUCCESS", "FAIL"):
                out["end_time"] = iso_time(job["begin"] + job["init_s"] + job["run_s"])
            if status == "SUCCESS" and img:
                job["finished"] = True
                img["status"] = "active"
                out["entities"] = {"image_id": img["id"], "image_name": img["name"],
                                   "sub_jobs_result": [{"status": "SUCCESS", "job_type": "imsImportIsoFileImageJob",
                                                        "entities": {"image_id": img["id"]}}]}
            elif status == "FAIL":
                out["error_code"] = job["fail"].get("error_code", "IMG.1075")
                out["fail_reason"] = job["fail"].get("fail_reason", "Registration failed.")
                if img:
                    img["status"] = "killed"
            elif img and status == "RUNNING":
                img["status"] = "saving"
        return 200, out, {}

    def list_images(self, project):
        st = self.server.state
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        known = {"name", "status", "__imagetype", "tag", "limit", "owner", "virtual_env_type", "id"}
        if set(q) - known:
            raise img_error("IMG.0001", f"Unsupported filters {sorted(set(q) - known)}")
        with st.lock:
            imgs = [dict(i) for i in st.images.values() if i["owner"] == project]
        for key in ("name", "status", "__imagetype", "virtual_env_type", "id"):
            if key in q:
                imgs = [i for i in imgs if i.get(key) == q[key][0]]
        if "tag" in q:  # tag=key=value, matched against "key.value" tags
            k, _, v = q["tag"][0].partition("=")
            imgs = [i for i in imgs if f"{k}.{v}" in i["tags"]]
        return 200, {"images": imgs}, {}

    def own_image(self, image_id, project):
        with self.server.state.lock:
            img = self.server.state.images.get(image_id)
            img = dict(img) if img else None
        if not img or img["owner"] != project:
            raise img_error("IMG.0086", "The image does not exist.", 404)
        return img

    # ---- test control ----
    def test_control(self, method, path, body):
        st = self.server.state
        if method == "POST" and path == "/_test/config":
            with st.lock:
                st.cfg.update(json.loads(body or b"{}"))
            return 200, {"ok": True}, {}
        if method == "GET" and path == "/_test/log":
            with st.lock:
                return 200, {"log": list(st.log), "sig_failures": st.sig_failures}, {}
        if method == "GET" and path == "/_test/images":
            with st.lock:
                return 200, {"images": list(st.images.values())}, {}
        if method == "GET" and path == "/_test/ecs":
            with st.lock:
                self.ecs_tick()
                return 200, {"servers": list(st.servers.values()), "volumes": list(st.volumes.values())}, {}
        raise ContractError(404, {"error": {"message": "unknown test call", "code": "TEST"}})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--config", help="JSON file merged over the defaults")
    ap.add_argument("--ready-file", help="written once the socket listens")
    a = ap.parse_args()
    cfg = dict(DEFAULTS)
    if a.config:
        with open(a.config) as f:
            cfg.update(json.load(f))
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(cfg)
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write(str(a.port))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
