"""ECS part of the IMS/IAM contract server (ims_contract_server.py imports this; cloud-api spec §4, §6.3).

The ISO route of `win2cloud onboard`: create a server from an ISO image with a system disk and exactly one
data disk, ECS jobs, server details and list, remote console, stop, delete (with or without its volumes), and
IMS image-from-volume.  Every field is checked against the documented contract; anything else is refused with
the documented code.  ECS is served under the path prefix /ecs (the catalog's "ecs" endpoint) so that the
server can tell an ECS job query from an IMS one, as two hosts would (spec §4.3).

Time drives the state: a create job is INIT, RUNNING, then SUCCESS (server ACTIVE) or FAIL (server ERROR);
an ACTIVE server becomes SHUTOFF ("install_result") "install_s" seconds later, as an unattended Setup that
powers off would make it; "never" keeps it ACTIVE.  Stop and delete are jobs too.
"""
import re
import time
import urllib.parse
import uuid

ECS_DEFAULTS = {
    "vpc": "3b9b5f1e-5c2a-4b8e-9a77-0c6f2d7f1a01",
    "subnet": "7d1c6a52-0e4b-4f0a-bd3c-5b8e9e2a4c02",
    "azs": ["eu-de-01", "eu-de-02"],
    "volume_types": ["SSD", "SAS", "SATA", "GPSSD"],  # what the AZs sell; ESSD/GPSSD2 -> Ecs.0015
    "flavors": {                                          # id -> vcpus, ram (MB), KVM general purpose?
        "s3.large.2": {"vcpus": 2, "ram": 4096, "general": True},
        "s3.large.4": {"vcpus": 2, "ram": 8192, "general": True},
        "s3.medium.2": {"vcpus": 1, "ram": 2048, "general": True},
        "s3.xlarge.2": {"vcpus": 4, "ram": 8192, "general": True},
        "c4.large.2": {"vcpus": 2, "ram": 4096, "general": False},
    },
    "server_quota": 10,          # servers per project
    "ecs_job_init_s": 0.3, "ecs_job_run_s": 0.7,
    "ecs_job_fail": None,        # {"error_code": "Ecs.0319", "fail_reason": "..."}: next create jobs fail
    "ecs_flow_limit": 0,         # next N ECS calls answer 202 + Common.0024 (flow limit in a 2xx body)
    "install_s": 2.0,            # ACTIVE -> install_result after this long
    "install_result": "SHUTOFF", # SHUTOFF | ERROR | never
}

SERVER_FIELDS = {"imageRef", "flavorRef", "name", "vpcid", "nics", "root_volume", "data_volumes",
                 "availability_zone", "security_groups", "publicip", "adminPass", "key_name", "user_data",
                 "metadata", "tags", "server_tags", "count", "description", "extendparam", "isAutoRename"}
ROOT_FIELDS = {"volumetype", "size", "hw:passthrough", "extendparam", "cluster_type", "cluster_id", "metadata"}
DATA_FIELDS = ROOT_FIELDS | {"multiattach", "data_image_id"}
VOLTYPES = {"ESSD", "GPSSD2", "GPSSD", "SSD", "SAS", "SATA"}
SERVER_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LIST_QUERY = {"flavor", "name", "status", "limit", "offset", "not-tags", "reservation_id",
              "enterprise_project_id", "tags", "ip"}
VOLUME_IMAGE_FIELDS = {"name", "volume_id", "type", "os_version", "description", "min_ram", "max_ram", "tags",
                       "image_tags", "enterprise_project_id"}


class EcsMixin:
    """Methods of the request handler for the ECS paths; self.server.state holds everything."""

    def ecs_error(self, code, message, status=400):
        return self.ContractError(status, {"error": {"message": message, "code": code, "details": []}})

    def is_int(self, v):
        return type(v) is int

    # ---- time ----
    def ecs_tick(self):
        """Apply every transition that is due (called under the lock)."""
        st, now = self.server.state, time.time()
        for job in st.ecs_jobs.values():
            if job["done"] or now < job["begin"] + job["init_s"] + job["run_s"]:
                continue
            job["done"] = True
            srv = st.servers.get(job["server_id"])
            if job["type"] == "createServer" and srv:
                srv["status"] = "ERROR" if job["fail"] else "ACTIVE"
                srv["active_at"] = now
            elif job["type"] == "stopServer" and srv:
                srv["status"], srv["stopped"] = "SHUTOFF", True
            elif job["type"] == "deleteServer" and srv:
                for vid in srv["volumes"]:
                    if job["delete_volume"]:
                        st.volumes.pop(vid, None)
                    elif vid in st.volumes:
                        st.volumes[vid]["server"] = None  # detached: it stays and keeps costing
                del st.servers[srv["id"]]
        for srv in st.servers.values():
            if srv["status"] == "ACTIVE" and not srv.get("stopped") and st.cfg["install_result"] != "never" \
                    and now >= srv["active_at"] + st.cfg["install_s"]:
                srv["status"] = st.cfg["install_result"]

    def ecs_flow_limited(self):
        st = self.server.state
        if st.cfg["ecs_flow_limit"] > 0:
            st.cfg["ecs_flow_limit"] -= 1
            return True
        return False

    # ---- routing ----
    def ecs_route(self, method, path, body, project):
        st = self.server.state
        m = re.fullmatch(r"/v1/([^/]+)/(.+)", path)
        if not m:
            raise self.ecs_error("Ecs.0005", f"no such ECS API: {method} {path}", 404)
        if m.group(1) != project:
            raise self.ecs_error("Ecs.0023", "The project ID in the URL does not match the token.")
        rest = m.group(2)
        with st.lock:
            self.ecs_tick()
            if self.ecs_flow_limited():  # spec §6.1: a 2xx answer that is an error
                return 202, {"error": {"code": "Common.0024", "message": "Flow limit exceeded."}}, {}
        if method == "POST" and rest == "cloudservers":
            return self.ecs_create(body, project)
        if method == "GET" and rest == "cloudservers/detail":
            return self.ecs_list(project)
        if method == "POST" and rest == "cloudservers/delete":
            return self.ecs_delete(body, project)
        if method == "POST" and rest == "cloudservers/action":
            return self.ecs_action(body, project)
        mm = re.fullmatch(r"jobs/([^/]+)", rest)
        if method == "GET" and mm:
            return self.ecs_job(mm.group(1), project)
        mm = re.fullmatch(r"cloudservers/([^/]+)/remote_console", rest)
        if method == "POST" and mm:
            return self.ecs_console(mm.group(1), body, project)
        mm = re.fullmatch(r"cloudservers/([^/]+)", rest)
        if method == "GET" and mm:
            with st.lock:
                srv = self.own_server(mm.group(1), project, visible_only=True)
                return 200, {"server": self.server_view(srv)}, {}
        raise self.ecs_error("Ecs.0005", f"no such ECS API: {method} {path}", 404)

    def own_server(self, sid, project, visible_only=False):
        st = self.server.state
        srv = st.servers.get(sid)
        # spec §4.3: the server may be 404 while its create job is still young
        if not srv or srv["project"] != project or (visible_only and time.time() < srv["visible_at"]):
            raise self.ecs_error("Ecs.0114", f"The ECS {sid} does not exist.", 404)
        return srv

    def server_view(self, srv):
        st = self.server.state
        vols = [{"id": v, "bootIndex": st.volumes[v]["boot_index"], "device": st.volumes[v]["device"],
                 "delete_on_termination": "false"} for v in srv["volumes"] if v in st.volumes]
        return {"id": srv["id"], "name": srv["name"], "status": srv["status"], "flavor": {"id": srv["flavor"]},
                "image": {"id": srv["image"]}, "metadata": dict(srv["metadata"]),
                "tags": [f"{t['key']}={t['value']}" for t in srv["tags"]],
                "OS-EXT-AZ:availability_zone": srv["az"], "os-extended-volumes:volumes_attached": vols}

    # ---- create ----
    def check_volume(self, v, fields, lo, hi, what):
        cfg = self.server.state.cfg
        if not isinstance(v, dict) or set(v) - fields:
            raise self.ecs_error("Ecs.0005", f"{what}: expected an object with {sorted(fields)}")
        if v.get("volumetype") not in VOLTYPES:
            raise self.ecs_error("Ecs.0005", f"{what}.volumetype must be one of {sorted(VOLTYPES)}")
        if v["volumetype"] not in cfg["volume_types"]:
            raise self.ecs_error("Ecs.0015", f"{what}.volumetype {v['volumetype']} is not sold here.")
        if not self.is_int(v.get("size")) or not lo <= v["size"] <= hi:
            raise self.ecs_error("Ecs.0005", f"{what}.size must be an integer {lo}-{hi} GiB")

    def check_server_fields(self, s, image):
        cfg = self.server.state.cfg
        for f in ("imageRef", "flavorRef", "name", "vpcid", "nics", "root_volume"):
            if f not in s:
                raise self.ecs_error("Ecs.0005", f"server.{f} is required.")
        if not isinstance(s["name"], str) or not SERVER_NAME_RE.match(s["name"]):
            raise self.ecs_error("Ecs.0005", "server.name: 1-128 letters, digits, _, -, .")
        if s["vpcid"] != cfg["vpc"]:
            raise self.ecs_error("Ecs.0014", "The VPC does not exist or does not match the subnet.")
        nics = s["nics"]
        if not isinstance(nics, list) or not 1 <= len(nics) <= 12 or \
                any(not isinstance(n, dict) or n.get("subnet_id") != cfg["subnet"] for n in nics):
            raise self.ecs_error("Ecs.0014", "server.nics: 1-12 NICs on a subnet of the VPC.")
        self.check_volume(s["root_volume"], ROOT_FIELDS, 1, 1024, "root_volume")
        if s["root_volume"]["size"] < image["min_disk"]:
            raise self.ecs_error("Ecs.0005", f"root_volume.size must be >= the image's min_disk {image['min_disk']}")
        dv = s.get("data_volumes", [])
        if not isinstance(dv, list) or len(dv) > 59:
            raise self.ecs_error("Ecs.0005", "data_volumes: a list of at most 59 volumes")
        for i, v in enumerate(dv):
            self.check_volume(v, DATA_FIELDS, 10, 32768, f"data_volumes[{i}]")
        if "availability_zone" in s and s["availability_zone"] not in cfg["azs"]:
            raise self.ecs_error("Ecs.0005", f"availability_zone must be one of {cfg['azs']}")
        md = s.get("metadata", {})
        if not isinstance(md, dict) or len(md) > 10 or any(
                not isinstance(k, str) or not 1 <= len(k) <= 255 or not isinstance(v, str) or len(v) > 255
                for k, v in md.items()):
            raise self.ecs_error("Ecs.0005", "metadata: at most 10 string pairs (key 1-255, value <= 255)")
        tags = s.get("server_tags", [])
        if not isinstance(tags, list) or len(tags) > 10 or any(
                not isinstance(t, dict) or set(t) != {"key", "value"} or not 1 <= len(str(t["key"])) <= 36
                or len(str(t["value"])) > 43 for t in tags):
            raise self.ecs_error("Ecs.0005", "server_tags: at most 10 {key (1-36), value (<= 43)}")
        if s.get("count", 1) != 1:
            raise self.ecs_error("Ecs.0005", "count must be 1 here.")

    def check_iso_rules(self, s, flavor):
        """The documented ISO procedure (spec §4.1 step 2)."""
        if flavor["vcpus"] != 2 or flavor["ram"] < 4096 or not flavor["general"]:
            raise self.ecs_error("Ecs.0005", "An ISO image needs a general-purpose KVM flavor with 2 vCPUs "
                                 "and >= 4 GB RAM.")
        if len(s.get("data_volumes", [])) != 1:
            raise self.ecs_error("Ecs.0005", "An ISO server needs exactly one system disk and one data disk.")
        if s.get("metadata", {}).get("virtual_env_type") != "IsoImage":
            raise self.ecs_error("Ecs.0007", "metadata.virtual_env_type must be IsoImage for an ISO image.")
        if s.get("extendparam", {}).get("diskPrior") != "true":
            raise self.ecs_error("Ecs.0005", "extendparam.diskPrior must be \"true\" for an ISO image.")

    def ecs_create(self, body, project):
        st, cfg = self.server.state, self.server.state.cfg
        req = self.json_body(body, lambda m: self.ecs_error("Ecs.0005", m))
        if not isinstance(req, dict) or set(req) - {"server", "dry_run"} or not isinstance(req.get("server"), dict):
            raise self.ecs_error("Ecs.0005", "expected {\"server\": {...}, \"dry_run\": bool}")
        s = req["server"]
        if set(s) - SERVER_FIELDS:
            raise self.ecs_error("Ecs.0005", f"Unknown parameters: {sorted(set(s) - SERVER_FIELDS)}")
        with st.lock:
            image = st.images.get(s.get("imageRef"))
            image = dict(image) if image and image["owner"] == project else None
        if not image:
            raise self.ecs_error("Ecs.0031", "The image does not exist.")
        if image["status"] != "active":
            raise self.ecs_error("Ecs.0032", "The image is not active.")
        flavor = cfg["flavors"].get(s.get("flavorRef"))
        if not flavor:
            raise self.ecs_error("Ecs.0029", "The flavor does not exist.")
        self.check_server_fields(s, image)
        if image["virtual_env_type"] == "IsoImage":
            self.check_iso_rules(s, flavor)
        if req.get("dry_run") is True:
            return 202, {"error": {"code": "Ecs.0000", "message": "dry run: the request is valid"}}, {}
        return self.ecs_make_server(s, project)

    def ecs_make_server(self, s, project):
        st, cfg, now = self.server.state, self.server.state.cfg, time.time()
        with st.lock:
            if sum(1 for x in st.servers.values() if x["project"] == project) >= cfg["server_quota"]:
                raise self.ecs_error("Ecs.0001", "The ECS quota is insufficient.")
            sid, job_id = str(uuid.uuid4()), uuid.uuid4().hex
            vols = []
            for i, v in enumerate([s["root_volume"]] + s.get("data_volumes", [])):
                vid = str(uuid.uuid4())
                st.volumes[vid] = {"id": vid, "size": v["size"], "type": v["volumetype"], "server": sid,
                                   "boot_index": "0" if i == 0 else "-1", "device": "/dev/vd" + "abcdefgh"[i],
                                   "project": project}
                vols.append(vid)
            st.servers[sid] = {"id": sid, "name": s["name"], "project": project, "status": "BUILD",
                               "flavor": s["flavorRef"], "image": s["imageRef"], "metadata": s.get("metadata", {}),
                               "tags": s.get("server_tags", []), "az": s.get("availability_zone", cfg["azs"][0]),
                               "volumes": vols, "visible_at": now + cfg["ecs_job_init_s"], "active_at": 0}
            self.new_ecs_job(job_id, "createServer", sid, project, fail=cfg["ecs_job_fail"])
        return 200, {"job_id": job_id, "serverIds": [sid]}, {}

    def new_ecs_job(self, job_id, typ, sid, project, fail=None, delete_volume=False):
        st, cfg = self.server.state, self.server.state.cfg
        st.ecs_jobs[job_id] = {"job_id": job_id, "type": typ, "server_id": sid, "project": project,
                               "begin": time.time(), "init_s": cfg["ecs_job_init_s"], "run_s": cfg["ecs_job_run_s"],
                               "fail": fail, "done": False, "delete_volume": delete_volume}

    # ---- jobs, list, console ----
    def ecs_job(self, job_id, project):
        st = self.server.state
        with st.lock:
            job = st.ecs_jobs.get(job_id)
            if not job or job["project"] != project:
                raise self.ecs_error("Common.0011", "The job ID is invalid.", 404)
            age = time.time() - job["begin"]
            status = "INIT" if age < job["init_s"] else "RUNNING" if age < job["init_s"] + job["run_s"] else \
                "FAIL" if job["fail"] else "SUCCESS"
        sub = {"status": status, "job_id": job_id + "-1", "job_type": {"createServer": "createSingleServer",
               "deleteServer": "deleteSingleServer", "stopServer": "stopSingleServer"}[job["type"]],
               "begin_time": self.iso_time(job["begin"]), "end_time": "", "error_code": None, "fail_reason": None,
               "entities": {"server_id": job["server_id"]}}
        out = {"status": status, "job_id": job_id, "job_type": job["type"], "begin_time": self.iso_time(job["begin"]),
               "end_time": "", "error_code": None, "fail_reason": None,
               "entities": {"sub_jobs_total": 1, "sub_jobs": [sub]}}
        if status in ("SUCCESS", "FAIL"):
            out["end_time"] = sub["end_time"] = self.iso_time(job["begin"] + job["init_s"] + job["run_s"])
        if status == "FAIL":
            sub["error_code"] = job["fail"].get("error_code", "Ecs.0000")
            sub["fail_reason"] = job["fail"].get("fail_reason", "Creating the server failed.")
            out["error_code"], out["fail_reason"] = sub["error_code"], sub["fail_reason"]
        return 200, out, {}

    def ecs_list(self, project):
        st = self.server.state
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        if set(q) - LIST_QUERY:
            raise self.ecs_error("Ecs.0005", f"Unsupported query parameters {sorted(set(q) - LIST_QUERY)}")
        limit = q.get("limit", ["25"])[0]
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise self.ecs_error("Ecs.0005", "limit must be 1-1000")
        name = q.get("name", [""])[0]
        with st.lock:
            hits = [self.server_view(s) for s in st.servers.values()
                    if s["project"] == project and re.search(name, s["name"])]
        return 200, {"count": len(hits), "servers": hits[:int(limit)]}, {}

    def ecs_console(self, sid, body, project):
        st = self.server.state
        req = self.json_body(body, lambda m: self.ecs_error("Ecs.0005", m))
        if req != {"remote_console": {"protocol": "vnc", "type": "novnc"}}:
            raise self.ecs_error("Ecs.0005", "remote_console: protocol vnc and type novnc are required.")
        with st.lock:
            srv = self.own_server(sid, project, visible_only=True)
            if srv["status"] != "ACTIVE":
                raise self.ecs_error("Ecs.0005", f"The ECS is {srv['status']}; a console needs it running.")
        url = f"https://novnc.contract.invalid/vnc_auto.html?token={uuid.uuid4()}&lang=EN"
        return 200, {"remote_console": {"type": "novnc", "protocol": "vnc", "url": url}}, {}

    # ---- stop, delete ----
    def server_ids(self, servers, project, lo=1, hi=1000):
        st = self.server.state
        if not isinstance(servers, list) or not lo <= len(servers) <= hi or \
                any(not isinstance(s, dict) or set(s) != {"id"} for s in servers):
            raise self.ecs_error("Ecs.0005", f"servers: {lo}-{hi} objects {{\"id\": ...}}")
        with st.lock:
            for s in servers:
                self.own_server(s["id"], project)
        return [s["id"] for s in servers]

    def ecs_action(self, body, project):
        st = self.server.state
        req = self.json_body(body, lambda m: self.ecs_error("Ecs.0005", m))
        if not isinstance(req, dict) or set(req) != {"os-stop"} or not isinstance(req["os-stop"], dict) or \
                set(req["os-stop"]) - {"type", "servers"} or req["os-stop"].get("type", "SOFT") not in ("SOFT", "HARD"):
            raise self.ecs_error("Ecs.0005", "Only {\"os-stop\": {\"type\": SOFT|HARD, \"servers\": [...]}} is "
                                 "supported here.")
        ids = self.server_ids(req["os-stop"].get("servers"), project)
        job_id = uuid.uuid4().hex
        with st.lock:
            self.new_ecs_job(job_id, "stopServer", ids[0], project)
        return 200, {"job_id": job_id}, {}

    def ecs_delete(self, body, project):
        st = self.server.state
        req = self.json_body(body, lambda m: self.ecs_error("Ecs.0005", m))
        if not isinstance(req, dict) or set(req) - {"servers", "delete_publicip", "delete_volume"} or \
                any(k in req and type(req[k]) is not bool for k in ("delete_publicip", "delete_volume")):
            raise self.ecs_error("Ecs.0005", "expected servers[], delete_publicip (bool), delete_volume (bool)")
        ids = self.server_ids(req.get("servers"), project, 1, 1)
        job_id = uuid.uuid4().hex
        with st.lock:
            self.new_ecs_job(job_id, "deleteServer", ids[0], project, delete_volume=req.get("delete_volume", False))
        return 200, {"job_id": job_id}, {}

    # ---- IMS: image from a data volume (spec §4.5a) ----
    def validate_volume_image(self, req, project):
        st, cfg = self.server.state, self.server.state.cfg
        extra = set(req) - VOLUME_IMAGE_FIELDS
        if extra:
            raise self.img_error("IMG.0001", f"Unknown parameters for an image from a volume: {sorted(extra)}")
        name = req.get("name")
        if not isinstance(name, str) or not self.NAME_RE.match(name) or name != name.strip():
            raise self.img_error("IMG.0002", "Invalid image name (1-128 letters, digits, -, ., _, space).")
        if req.get("type", "ECS") not in ("ECS", "FusionCompute", "BMS", "Ironic"):
            raise self.img_error("IMG.0024", "Invalid image type for an image from a volume.")
        osv = req.get("os_version")
        if osv not in cfg["os_versions"]:
            raise self.img_error("IMG.0056", f"Invalid OS version {osv!r} (required for an image from a volume).")
        if "tags" in req and "image_tags" in req:
            raise self.img_error("IMG.0001", "Use only one of tags and image_tags.")
        tags = []
        for t in req.get("image_tags", []):
            if not isinstance(t, dict) or set(t) != {"key", "value"} or not 1 <= len(t["key"]) <= 36 or \
                    len(t["value"]) > 43:
                raise self.img_error("IMG.0001", "image_tags items are {key (1-36), value (<= 43)}.")
            tags.append((t["key"], t["value"]))
        if len(tags) > 10:
            raise self.img_error("IMG.0116", "At most 10 tags per image.")
        with st.lock:
            self.ecs_tick()
            vol = st.volumes.get(req.get("volume_id"))
            if not vol or vol["project"] != project:
                raise self.img_error("IMG.0022", "The volume does not exist.")
            srv = st.servers.get(vol["server"])
            if not srv or srv["status"] != "SHUTOFF":
                raise self.img_error("IMG.0008", "The volume's server must be stopped (SHUTOFF).")
            if vol["size"] > 1024:
                raise self.img_error("IMG.0111", "A system disk image can be made from disks up to 1 TB.")
        return name, osv, tags, vol

    def volume_image(self, req, project):
        st, cfg = self.server.state, self.server.state.cfg
        name, osv, tags, vol = self.validate_volume_image(req, project)
        now = time.time()
        with st.lock:
            if any(i["name"] == name for i in st.images.values()):
                raise self.img_error("IMG.0009", f"An image named {name!r} already exists.")
            image_id, job_id = str(uuid.uuid4()), uuid.uuid4().hex
            st.images[image_id] = {
                "id": image_id, "name": name, "status": "queued", "min_disk": vol["size"], "min_ram": 0,
                "disk_format": "zvhd2", "virtual_env_type": "FusionCompute", "hw_firmware_type": "bios",
                "__os_version": osv, "__os_type": "Windows", "__imagetype": "private", "owner": project,
                "tags": [f"{k}.{v}" for k, v in tags], "__description": req.get("description", ""),
                "visibility": "private", "protected": False, "created_at": self.iso_time(now),
                "__source_volume": vol["id"]}
            st.jobs[job_id] = {"job_id": job_id, "project": project, "image_id": image_id, "begin": now,
                               "init_s": cfg["job_init_s"], "run_s": cfg["job_run_s"], "fail": cfg["job_fail"],
                               "volume_id": vol["id"], "job_type": "imsVolumeCreateImageJob"}
        return 200, {"job_id": job_id}, {}
