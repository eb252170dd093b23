"""Checks the built Kubernetes manifests for least privilege and consistency with the code.

Usage: check_manifests.py APP.yaml INFRA.yaml libs/kafka/src/topics.ts [OVERLAY]
(`make k8s-check` builds the overlays with kustomize and runs this on each.)
Checks: pod/container security contexts, service accounts, probes, resources, network
policies isolating every pod both ways, KafkaTopics equal to the topics declared in code,
KafkaUser ACLs without broad operations, ClickHouse users and secrets matching the pods.
"""

import re
import sys

import yaml

problems = []


def bad(msg):
    problems.append(msg)


def load(p):
    return [d for d in yaml.safe_load_all(open(p)) if d]


app = load(sys.argv[1])
infra = load(sys.argv[2])
with open(sys.argv[3]) as f:
    topics_ts = f.read()
overlay = sys.argv[4] if len(sys.argv) > 4 else ""


def by(kind):
    return [d for d in app if d["kind"] == kind]


cm = by("ConfigMap")[0]
cmname = cm["metadata"]["name"]
cfg = cm["data"]
sas = {d["metadata"]["name"]: d for d in by("ServiceAccount")}


def pod_specs():
    for d in by("Deployment"):
        yield d["metadata"]["name"], d["spec"]["template"], "Deployment"
    for d in by("CronJob"):
        yield d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"], "CronJob"


secret_refs = set()
pods = {}
for name, tpl, kind in pod_specs():
    spec = tpl["spec"]
    labels = tpl["metadata"]["labels"]
    pods[name] = labels
    psc = spec.get("securityContext", {})
    for k, v in [
        ("runAsNonRoot", True),
        ("runAsUser", 10001),
        ("seccompProfile", {"type": "RuntimeDefault"}),
    ]:
        if psc.get(k) != v:
            bad(f"{name}: pod securityContext.{k}={psc.get(k)}")
    if spec.get("automountServiceAccountToken") is not False:
        bad(f"{name}: pod automountServiceAccountToken")
    sa = spec.get("serviceAccountName")
    if sa not in sas:
        bad(f"{name}: SA {sa} missing")
    elif sas[sa].get("automountServiceAccountToken") is not False:
        bad(f"SA {sa} automount")
    if spec.get("enableServiceLinks") is not False:
        bad(f"{name}: enableServiceLinks")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for v in vols.values():
        if "secret" in v:
            secret_refs.add(
                (v["secret"]["secretName"], tuple(i["key"] for i in v["secret"].get("items", [])))
            )
    for c in spec["containers"]:
        csc = c.get("securityContext", {})
        for k, v in [
            ("allowPrivilegeEscalation", False),
            ("readOnlyRootFilesystem", True),
            ("runAsNonRoot", True),
            ("runAsUser", 10001),
            ("capabilities", {"drop": ["ALL"]}),
            ("seccompProfile", {"type": "RuntimeDefault"}),
        ]:
            if csc.get(k) != v:
                bad(f"{name}/{c['name']}: securityContext.{k}={csc.get(k)}")
        if ":" not in c["image"].split("/")[-1]:
            bad(f"{name}: untagged image {c['image']}")
        r = c.get("resources", {})
        for a in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if res not in r.get(a, {}):
                    bad(f"{name}: resources.{a}.{res} missing")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        if mounts.get("/tmp") not in vols or "emptyDir" not in vols.get(mounts.get("/tmp"), {}):
            bad(f"{name}: /tmp not an emptyDir")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                bad(f"{name}: mount of unknown volume {m['name']}")
        for ef in c.get("envFrom", []):
            if ef.get("configMapRef", {}).get("name") != cmname:
                bad(f"{name}: envFrom {ef}")
        env = {e["name"]: e for e in c.get("env", [])}
        for e in env.values():
            sk = e.get("valueFrom", {}).get("secretKeyRef")
            if sk:
                secret_refs.add(
                    (sk["name"], (sk["key"],), sk.get("optional", False))
                    if sk.get("optional")
                    else (sk["name"], (sk["key"],))
                )
        if kind == "Deployment":
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            for pr in ("startupProbe", "livenessProbe", "readinessProbe"):
                if pr not in c:
                    bad(f"{name}: {pr} missing")
                    continue
                if c[pr]["httpGet"]["port"] not in ports:
                    bad(f"{name}: {pr} port")
            if (
                c["livenessProbe"]["httpGet"]["path"] != "/healthz"
                or c["readinessProbe"]["httpGet"]["path"] != "/readyz"
            ):
                bad(f"{name}: probe paths")
            if ports != {"grpc": int(cfg["GRPC_PORT"]), "http": int(cfg["HTTP_PORT"])}:
                bad(f"{name}: ports {ports} vs config")
            if spec["terminationGracePeriodSeconds"] * 1000 <= int(cfg["SHUTDOWN_TIMEOUT_MS"]):
                bad(f"{name}: grace <= shutdown timeout")
            if not spec.get("topologySpreadConstraints"):
                bad(f"{name}: no topology spread")
            heap = re.search(
                r"--max-old-space-size=(\d+)", env.get("NODE_OPTIONS", {}).get("value", "")
            )
            lim = r["limits"]["memory"]
            limmi = int(lim[:-2]) * (1024 if lim.endswith("Gi") else 1)
            if not heap or int(heap.group(1)) > 0.8 * limmi:
                bad(f"{name}: heap {heap and heap.group(1)} vs limit {lim}")
            if "KAFKA_SASL_USERNAME" in env:
                pass
        if name in ("scoring",) and overlay == "prod-gpu":
            if r["limits"].get("nvidia.com/gpu") != 1:
                bad("scoring: no GPU limit")
            if env.get("SCORING_EXECUTION_PROVIDER", {}).get("value") != "cuda":
                bad("scoring: provider not cuda")
            if not spec.get("nodeSelector") or not spec.get("tolerations"):
                bad("scoring: GPU scheduling")
            if not c["image"].endswith("-cuda"):
                bad("scoring: not the cuda image")

# Deployments: selectors, HPA, PDB, Services
deps = {d["metadata"]["name"]: d for d in by("Deployment")}
for n, d in deps.items():
    sel = d["spec"]["selector"]["matchLabels"]
    if any(d["spec"]["template"]["metadata"]["labels"].get(k) != v for k, v in sel.items()):
        bad(f"{n}: selector/template mismatch")
    if "replicas" in d["spec"]:
        bad(f"{n}: replicas set although an HPA owns it")
hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by("HorizontalPodAutoscaler")}
pdbs = {p["metadata"]["name"]: p for p in by("PodDisruptionBudget")}
for n in deps:
    if n not in hpas:
        bad(f"{n}: no HPA")
    if n not in pdbs:
        bad(f"{n}: no PDB")
    if overlay == "dev" and hpas[n]["spec"]["minReplicas"] > 1:
        bad(f"dev HPA {n} min>1")
for s in by("Service"):
    sel = s["spec"]["selector"]
    tgt = [
        n for n, lbl in pods.items() if all(lbl.get(k) == v for k, v in sel.items()) and n in deps
    ]
    if not tgt:
        bad(f"Service {s['metadata']['name']} selects nothing")
    for p in s["spec"]["ports"]:
        for t in tgt:
            names = {
                pp["name"] for pp in deps[t]["spec"]["template"]["spec"]["containers"][0]["ports"]
            }
            if p["targetPort"] not in names:
                bad(f"Service {s['metadata']['name']}: targetPort {p['targetPort']}")
svcnames = {s["metadata"]["name"] for s in by("Service")}
for k in ("FEATURE_SERVICE_ADDR", "SCORING_SERVICE_ADDR"):
    host, port = cfg[k].split(":")
    if host not in svcnames or port != cfg["GRPC_PORT"]:
        bad(f"{k}={cfg[k]} does not name a Service")

# Network policy flow evaluation (pods in this namespace + external peers)
nps = by("NetworkPolicy")


def selects(sel, labels):
    if sel == {}:
        return True
    ok = all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items())
    for e in sel.get("matchExpressions", []):
        if e["operator"] == "In":
            ok &= labels.get(e["key"]) in e["values"]
    return ok


def peer_str(p):
    if "ipBlock" in p:
        return f"ipBlock {p['ipBlock']['cidr']}"
    ns = p.get("namespaceSelector")
    ps = p.get("podSelector")
    nsd = (
        "ns(" + ",".join(f"{k}={v}" for k, v in (ns or {}).get("matchLabels", {}).items()) + ")"
        if ns is not None
        else "ns(offerstream)"
    )
    psd = (
        ""
        if ps is None
        else "pod(" + ",".join(f"{k}={v}" for k, v in ps.get("matchLabels", {}).items()) + ")"
    )
    return nsd + psd


print("== NetworkPolicy flows ==")
for n, labels in sorted(pods.items()):
    ing, eg = [], []
    types = set()
    for np in nps:
        if not selects(np["spec"]["podSelector"], labels):
            continue
        types |= set(np["spec"]["policyTypes"])
        for r in np["spec"].get("ingress", []):
            for p in r.get("from", []):
                ing.append(f"{peer_str(p)}:{'/'.join(str(x['port']) for x in r.get('ports', []))}")
        for r in np["spec"].get("egress", []):
            for p in r.get("to", []):
                eg.append(f"{peer_str(p)}:{'/'.join(str(x['port']) for x in r.get('ports', []))}")
    if types != {"Ingress", "Egress"}:
        bad(f"{n}: not isolated both ways")
    print(f"{n}\n   IN : {ing or ['(none)']}\n   OUT: {eg}")

# Kafka: topics vs code; users vs deployments
ts_topics = {}
for m in re.finditer(
    r"name: '([^']+)',\s*partitions: (\d+),\s*cleanupPolicy: '(\w+)',\s*retentionMs: ([^,]+),",
    topics_ts,
):
    ret = m.group(4).strip()
    mm = re.fullmatch(r"(-?\d+)(?:\s*\*\s*DAY)?", ret)
    if not mm:
        bad(f"cannot read retentionMs {ret!r} in topics.ts")
        continue
    ret = int(mm.group(1)) * (86400000 if "DAY" in ret else 1)
    ts_topics[m.group(1)] = (int(m.group(2)), m.group(3), int(ret))
kt = {t["metadata"]["name"]: t for t in infra if t["kind"] == "KafkaTopic"}
for name, (parts, pol, ret) in ts_topics.items():
    t = kt.get(name)
    if not t:
        bad(f"topic {name} declared in code but no KafkaTopic")
        continue
    c = t["spec"]["config"]
    if (t["spec"]["partitions"], c["cleanup.policy"], int(c["retention.ms"])) != (parts, pol, ret):
        bad(f"topic {name} differs from code")
    if t["spec"]["replicas"] != 3 or str(c["min.insync.replicas"]) != "2":
        bad(f"topic {name} rf/minisr")
if set(kt) != set(ts_topics):
    bad(f"KafkaTopics {set(kt) ^ set(ts_topics)} not in code")
print(f"== {len(ts_topics)} topics match libs/kafka/src/topics.ts ==")
ku = {u["metadata"]["name"]: u for u in infra if u["kind"] == "KafkaUser"}
for n, tpl, _kind in pod_specs():
    for c in tpl["spec"]["containers"]:
        env = {e["name"]: e for e in c.get("env", [])}
        if "KAFKA_SASL_USERNAME" in env:
            u = env["KAFKA_SASL_USERNAME"]["value"]
            if u not in ku:
                bad(f"{n}: KafkaUser {u} missing")
            if env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] != {
                "name": u,
                "key": "password",
            }:
                bad(f"{n}: kafka secret ref")
            cid = env["KAFKA_CLIENT_ID"]["value"]
            grp = [
                a["resource"]["name"]
                for a in ku[u]["spec"]["authorization"]["acls"]
                if a["resource"]["type"] == "group"
            ]
            if grp and grp != [cid]:
                bad(f"{n}: group prefix {grp} != client id {cid}")
for u in ku.values():
    if u["metadata"]["namespace"] != "offerstream":
        bad("KafkaUser namespace")
    for a in u["spec"]["authorization"]["acls"]:
        if a["resource"]["type"] == "topic" and a["resource"]["name"] not in kt:
            bad(f"ACL on unknown topic {a['resource']['name']}")
        if set(a["operations"]) & {
            "All",
            "Create",
            "Delete",
            "Alter",
            "AlterConfigs",
            "ClusterAction",
        }:
            bad(f"{u['metadata']['name']}: broad ACL {a}")
# ClickHouse users vs deployments
chi = next(d for d in infra if d["kind"] == "ClickHouseInstallation")
chusers = {k.split("/")[0] for k in chi["spec"]["configuration"]["users"]}
chkeys = {
    v["valueFrom"]["secretKeyRef"]["key"]
    for k, v in chi["spec"]["configuration"]["users"].items()
    if k.endswith("password_sha256_hex")
}
for n, tpl, _kind in pod_specs():
    env = {e["name"]: e for e in tpl["spec"]["containers"][0].get("env", [])}
    if "CLICKHOUSE_USER" in env:
        u = env["CLICKHOUSE_USER"]["value"]
        if u not in chusers:
            bad(f"{n}: CH user {u} not in CHI")
        key = env["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        if key not in chkeys:
            bad(f"{n}: CH secret key {key} not a CHI users key")
print("== Secrets the operator (or Strimzi) must provide in offerstream ==")
for s in sorted(secret_refs, key=str):
    print("  ", s)
print("PROBLEMS:", len(problems))
for p in problems:
    print("  -", p)
sys.exit(1 if problems else 0)
