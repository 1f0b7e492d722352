"""A stateful stand-in cloud for the generated scripts (tests/cloud.rs).

Every tool the scripts call (doctl, az, hcloud, hetzner-k3s, k3d, kind, kubectl, helm, docker,
curl) is this one program, run as `standin.py TOOL ARGS...` by a small wrapper on PATH. It keeps
an account and its clusters in `$CLOUD_DIR/state.json`, answers `get`/`list` from that state and
exits as the real tool does when something does not exist, and models the controllers whose
behaviour the review's defects lived in:

- a LoadBalancer Service gets an address only from what the cluster runs: the cloud's controller
  manager (Hetzner's only with a location or network-zone annotation), k3s's servicelb when the
  ports are not already held by the Traefik k3s bundles, nothing at all on kind;
- an address from a cloud controller is a billable load balancer in the account, tagged or
  labelled with its cluster; a PersistentVolumeClaim is a billable volume; deleting the Service
  or the claim deletes them, deleting a cluster deletes only what the provider deletes with it;
- `helm --wait` fails when a release's LoadBalancer Service gets no address; custom resources
  apply only once their CRDs are installed (cert-manager's only with `crds.enabled=true`);
- a rollout completes only when the pods' Secrets, ServiceAccount and image pull credentials
  exist; a namespace whose KafkaTopics keep Strimzi's finalizer does not finish deleting;
- a certificate is Ready only when its issuer exists and can issue for the host (no ACME
  HTTP-01 on a local cluster); `curl` answers from the Ingresses, Services and certificates.

Each fact carries the upstream source it was read from. Unknown commands fail loudly (exit 64)
so that a script calling something the model does not know is noticed, not waved through.
"""

import fcntl
import json
import os
import re
import subprocess
import sys

import yaml

STATE_DIR = os.environ["CLOUD_DIR"]
STATE_FILE = os.path.join(STATE_DIR, "state.json")

# Kinds every cluster serves without a CRD (Kubernetes 1.32 built-ins the scripts use).
BUILTIN_KINDS = {
    "Namespace", "ServiceAccount", "Secret", "ConfigMap", "Service", "Deployment", "StatefulSet",
    "DaemonSet", "Job", "CronJob", "Ingress", "IngressClass", "NetworkPolicy", "PodDisruptionBudget",
    "HorizontalPodAutoscaler", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "PersistentVolumeClaim", "LimitRange", "ResourceQuota", "PriorityClass", "StorageClass",
}
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass", "IngressClass",
    "ClusterIssuer", "ClusterSecretStore", "CustomResourceDefinition",
}
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}

# What each chart installs that the scripts depend on, read from the chart at the version the
# stdlib pins (2026-12-01):
# - crds: the custom resource kinds; `crds_when` names the values key that must be true for the
#   chart to install them (cert-manager v1.18.2 deploy/charts/cert-manager/values.yaml:
#   `crds.enabled: false`, templates/crds.yaml guarded by it).
# - load_balancer: the Service of type LoadBalancer (traefik chart v37.1.1 values.yaml
#   `service.type: LoadBalancer`, ports web 80/websecure 443, templates/service.yaml names it
#   after the release's fullname; ingress-nginx chart 4.13.1 `controller.service.type:
#   LoadBalancer`, named `<fullname>-controller`), with the values key of its annotations.
# - pvcs: claims the chart's StatefulSets make (dapr v1.15.12
#   charts/dapr/charts/dapr_scheduler/templates/dapr_scheduler_statefulset.yaml: 3 replicas with
#   a 1Gi `dapr-scheduler-data-dir` claim, labelled with the selector `app: dapr-scheduler-server`
#   only, since the StatefulSet controller labels claims with the set's selector).
CHARTS = {
    "cert-manager": {"crds": ["Certificate", "CertificateRequest", "Issuer", "ClusterIssuer", "Order", "Challenge"],
                     "crds_when": ["crds.enabled", "installCRDs"], "controller": "cert-manager"},
    "dapr": {"crds": ["Component", "Configuration", "Subscription", "Resiliency", "HTTPEndpoint"],
             "pvcs": [("dapr-scheduler-data-dir-dapr-scheduler-server-%d" % i, {"app": "dapr-scheduler-server"}) for i in range(3)]},
    "traefik": {"crds": ["IngressRoute", "Middleware", "TLSOption", "ServersTransport", "TraefikService"],
                "load_balancer": {"name": "{release}", "ports": [80, 443], "annotations": "service.annotations"},
                "ingress_class": "traefik"},
    "ingress-nginx": {"load_balancer": {"name": "{release}-controller", "ports": [80, 443],
                                        "annotations": "controller.service.annotations"},
                      "ingress_class": "nginx"},
    # Strimzi 0.48.0 helm-charts/helm3/strimzi-kafka-operator/templates/060-Deployment-strimzi-cluster-operator.yaml
    # names its Deployment strimzi-cluster-operator whatever the release is called.
    "strimzi-kafka-operator": {"crds": ["Kafka", "KafkaTopic", "KafkaUser", "KafkaNodePool", "KafkaConnect"],
                               "workloads": ["strimzi-cluster-operator"]},
    # kube-prometheus-stack 77.13.0 charts/crds/crds/: crd-alertmanagerconfigs.yaml and the rest (read 2026-12-02).
    "kube-prometheus-stack": {"crds": ["ServiceMonitor", "PodMonitor", "PrometheusRule", "Prometheus", "Alertmanager",
                                       "AlertmanagerConfig", "Probe", "ScrapeConfig"]},
    "external-secrets": {"crds": ["ExternalSecret", "SecretStore", "ClusterSecretStore"], "controller": "external-secrets"},
    "argo-cd": {"crds": ["Application", "AppProject", "ApplicationSet"]},
    "argo-rollouts": {"crds": ["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "Experiment"]},
    "cloudnative-pg": {"crds": ["Cluster", "Backup", "ScheduledBackup", "Pooler"]},
    "redis": {"pvcs": [("redis-data-redis-master-0", {"app.kubernetes.io/instance": "redis"})]},
    "metrics-server": {},
}

# How each provider's clusters give LoadBalancer Services an address and claims a volume.
#   cloud:   the provider's controller manager, always (DOKS, AKS, EKS, GKE);
#   hetzner: hcloud-cloud-controller-manager v1.33.0 refuses a Service without
#            `load-balancer.hetzner.cloud/location` or `.../network-zone`
#            (internal/hcops/load_balancer.go; notes/hetzner-k3s-research.md);
#   servicelb: k3s's klipper-lb binds the Service's ports on the nodes; a port already bound
#            by another LoadBalancer Service leaves it Pending (k3s pkg/cloudprovider/servicelb.go);
#   cloud-provider-kind: kind runs no load-balancer controller of its own; cloud-provider-kind
#            on the host assigns an address while it runs, reaching only nodes without the
#            node.kubernetes.io/exclude-from-external-load-balancers label, which kubeadm puts on
#            control planes (cloud-provider-kind v0.11.1 README), and makes a container per
#            load balancer labelled io.x-k8s.cloud-provider-kind.cluster=<cluster>.
LB_MODE = {"doks": "cloud", "aks": "cloud", "eks": "cloud", "gke": "cloud", "hetzner": "hetzner",
           "k3d": "servicelb", "kind": "cloud-provider-kind"}
# Local clusters keep volumes on the node's disk (local-path-provisioner): nothing bills.
CLOUD_VOLUMES = {"doks", "aks", "eks", "gke", "hetzner"}


def fail(message, code=1):
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.exit(code)


class Cloud:
    def __init__(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        self.lock = open(os.path.join(STATE_DIR, "lock"), "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            with open(STATE_FILE) as f:
                self.s = json.load(f)
        except FileNotFoundError:
            self.s = {}
        self.s.setdefault("resources", [])
        self.s.setdefault("clusters", {})
        self.s.setdefault("next_id", 1)
        for r in self.s["resources"]:
            if "id" not in r:
                r["id"] = self.new_id()

    def save(self):
        tmp = STATE_FILE + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.s, f, indent=1, sort_keys=True)
        os.replace(tmp, STATE_FILE)

    # ---- account resources -------------------------------------------------------------
    def new_id(self):
        n = self.s["next_id"]
        self.s["next_id"] = n + 1
        return n

    def add(self, provider, rtype, name, billable=True, **attrs):
        res = {"id": self.new_id(), "provider": provider, "type": rtype, "name": name,
               "billable": billable, "origin": os.environ.get("CLOUD_ORIGIN", "run")}
        res.update(attrs)
        self.s["resources"].append(res)
        return res

    def find(self, provider, rtype, **match):
        return [r for r in self.s["resources"] if r["provider"] == provider and r["type"] == rtype
                and all(r.get(k) == v for k, v in match.items())]

    def remove(self, pred):
        self.s["resources"] = [r for r in self.s["resources"] if not pred(r)]

    # ---- clusters ----------------------------------------------------------------------
    def new_cluster(self, provider, name, bundled=(), **attrs):
        key = "%s/%s" % (provider, name)
        cluster = {"provider": provider, "name": name, "bundled": list(bundled), "objects": {},
                   "releases": {}, "crds": [], "id": "%s-id-%d" % (provider, self.new_id())}
        cluster.update(attrs)
        self.s["clusters"][key] = cluster
        for ns in SYSTEM_NAMESPACES:
            self.put(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        if "traefik" in bundled:
            # k3s's packaged Traefik: a LoadBalancer Service on 80 and 443 in kube-system.
            self.put(cluster, {"apiVersion": "v1", "kind": "Service",
                               "metadata": {"name": "traefik", "namespace": "kube-system"},
                               "spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]}})
            cluster["ingress_classes"] = ["traefik"]
        return key, cluster

    def delete_cluster(self, key):
        cluster = self.s["clusters"].pop(key, None)
        if cluster:
            self.remove(lambda r: r.get("owned_by_cluster") == cluster["id"])
        return cluster

    def current(self, required=True):
        path = os.environ.get("KUBECONFIG") or os.path.join(os.environ.get("HOME", "/"), ".kube", "config")
        context = None
        try:
            with open(path.split(":")[0]) as f:
                context = (yaml.safe_load(f) or {}).get("current-context")
        except (OSError, yaml.YAMLError):
            pass
        cluster = self.s["clusters"].get(context or "")
        if cluster is None and required:
            fail("The connection to the server localhost:8080 was refused - did you specify the right host or port?")
        return cluster

    def save_kubeconfig(self, key, path=None):
        # client-go's default path options: the first file of $KUBECONFIG, else ~/.kube/config
        # (doctl v1.166.0 commands/kubernetes.go:230 `clientcmd.NewDefaultPathOptions()`; az,
        # aws, gcloud and kind also write to $KUBECONFIG when it is set).
        default = (os.environ.get("KUBECONFIG") or "").split(":")[0]
        path = path or default or os.path.join(os.environ.get("HOME", "/"), ".kube", "config")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with open(path) as f:
                config = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError):
            config = {}
        # A whole entry (cluster, user, context), as the providers' CLIs write it, so that the
        # real `kubectl config view --minify --flatten` can cut it out.
        entries = {}
        for section, entry in (("clusters", {"name": key, "cluster": {"server": "https://%s.standin:6443" % key.replace("/", "-")}}),
                               ("users", {"name": key, "user": {"token": "standin"}}),
                               ("contexts", {"name": key, "context": {"cluster": key, "user": key}})):
            entries[section] = [e for e in config.get(section, []) if e.get("name") != key] + [entry]
        config.update(entries)
        config.update({"apiVersion": "v1", "kind": "Config", "current-context": key})
        with open(path, "w") as f:
            yaml.safe_dump(config, f)

    # ---- objects and controllers -------------------------------------------------------
    @staticmethod
    def okey(kind, ns, name):
        return "%s/%s/%s" % (kind, ns or "", name)

    def get(self, cluster, kind, ns, name):
        return cluster["objects"].get(self.okey(kind, ns if kind not in CLUSTER_SCOPED else "", name))

    def put(self, cluster, obj):
        kind = obj.get("kind")
        meta = obj.setdefault("metadata", {})
        ns = "" if kind in CLUSTER_SCOPED else (meta.get("namespace") or "default")
        if ns:
            meta["namespace"] = ns
        cluster["objects"][self.okey(kind, ns, meta.get("name"))] = obj

    def objects(self, cluster, kind=None, ns=None):
        return [o for o in cluster["objects"].values()
                if (kind is None or o["kind"] == kind) and (ns is None or o["metadata"].get("namespace") == ns)]

    def apply(self, cluster, docs):
        errors = []
        for obj in docs:
            if not isinstance(obj, dict) or "kind" not in obj:
                continue
            if obj["kind"] == "List":
                errors += self.apply(cluster, obj.get("items", [])) or []
                continue
            kind, meta = obj["kind"], obj.get("metadata", {})
            if kind not in BUILTIN_KINDS and kind not in cluster["crds"]:
                errors.append('error: resource mapping not found for name: "%s" namespace: "%s" from "STDIN": '
                              'no matches for kind "%s" in version "%s"\nensure CRDs are installed first'
                              % (meta.get("name"), meta.get("namespace", ""), kind, obj.get("apiVersion")))
                continue
            ns = meta.get("namespace") or "default"
            if kind not in CLUSTER_SCOPED:
                nso = self.get(cluster, "Namespace", "", ns)
                if nso is None:
                    errors.append('Error from server (NotFound): namespaces "%s" not found' % ns)
                    continue
                if nso.get("terminating"):
                    errors.append('Error from server (Forbidden): unable to create new content in namespace %s '
                                  'because it is being terminated' % ns)
                    continue
            self.put(cluster, obj)
            print("%s/%s configured" % (kind.lower(), meta.get("name")))
        self.reconcile(cluster)
        return errors

    def reconcile(self, cluster):
        """Run the controllers until nothing changes."""
        provider = cluster["provider"]
        # StatefulSets make their claims (named <template>-<set>-<ordinal>, labelled with the
        # set's selector: kubernetes pkg/controller/statefulset/stateful_set_utils.go).
        for sts in self.objects(cluster, "StatefulSet"):
            spec = sts.get("spec", {})
            labels = (spec.get("selector") or {}).get("matchLabels") or {}
            for tpl in spec.get("volumeClaimTemplates") or []:
                for i in range(int(spec.get("replicas", 1))):
                    name = "%s-%s-%d" % (tpl["metadata"]["name"], sts["metadata"]["name"], i)
                    if self.get(cluster, "PersistentVolumeClaim", sts["metadata"]["namespace"], name) is None:
                        self.put(cluster, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                           "metadata": {"name": name, "namespace": sts["metadata"]["namespace"],
                                                        "labels": dict(labels)}})
        # Strimzi: a Kafka with persistent storage gets one claim per broker; its topic operator
        # puts a finalizer on each KafkaTopic (strimzi 0.4x, `strimzi.io/topic-operator`).
        for kafka in self.objects(cluster, "Kafka"):
            ns, name = kafka["metadata"]["namespace"], kafka["metadata"]["name"]
            for pool in self.objects(cluster, "KafkaNodePool", ns):
                storage = pool.get("spec", {}).get("storage", {})
                vols = storage.get("volumes", [storage]) if storage.get("type") == "jbod" else [storage]
                for v in vols:
                    if v.get("type") == "persistent-claim":
                        for i in range(int(pool["spec"].get("replicas", 1))):
                            claim = "data-%s%s-%s-%d" % (
                                "%s-" % v["id"] if "id" in v and storage.get("type") == "jbod" else "",
                                name, pool["metadata"]["name"], i)
                            if self.get(cluster, "PersistentVolumeClaim", ns, claim) is None:
                                self.put(cluster, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                   "metadata": {"name": claim, "namespace": ns,
                                                                "labels": {"strimzi.io/cluster": name}}})
            if kafka.get("spec", {}).get("entityOperator", {}).get("topicOperator") is not None:
                for topic in self.objects(cluster, "KafkaTopic", ns):
                    topic["metadata"].setdefault("finalizers", ["strimzi.io/topic-operator"])
        # Claims are volumes in the account.
        # The CSI drivers name the volume after the PersistentVolume (pvc-<uid>); Hetzner's labels
        # it pv-name=<PV> (csi-driver v2.21.2 internal/driver/controller.go); AKS puts the disk
        # in the node resource group.
        for pvc in self.objects(cluster, "PersistentVolumeClaim"):
            if not pvc.get("volume_name"):
                pvc["volume_name"] = "pvc-%d" % self.new_id()
            if cluster.get("no_storage_class") and not (pvc.get("spec") or {}).get("storageClassName"):
                default = [sc for sc in self.objects(cluster, "StorageClass")
                           if (sc["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
                if not default:
                    pvc["pending"] = "no StorageClass: EKS has no default one and eksctl installs no EBS CSI driver"
                    continue
                if default[0].get("provisioner") == "ebs.csi.aws.com" and not cluster.get("ebs_csi"):
                    pvc["pending"] = "waiting for a volume to be created by the external provisioner ebs.csi.aws.com"
                    continue
            if provider in CLOUD_VOLUMES and not pvc.get("volume"):
                vol = self.add(provider, "volume", pvc["volume_name"], cluster_id=cluster["id"], pv=pvc["volume_name"],
                               tags=["k8s:%s" % cluster["id"]], labels={"pv-name": pvc["volume_name"]},
                               group=cluster.get("node_group"))
                pvc["volume"] = vol["id"]
        # cert-manager's ingress-shim: an Ingress annotated with an issuer gets a Certificate per
        # TLS secret (cert-manager pkg/controller/certificate-shim).
        if self.release_of_chart(cluster, "cert-manager"):
            for ing in self.objects(cluster, "Ingress"):
                ann = ing["metadata"].get("annotations") or {}
                issuer = ann.get("cert-manager.io/cluster-issuer") or ann.get("cert-manager.io/issuer")
                if not issuer:
                    continue
                for tls in ing.get("spec", {}).get("tls") or []:
                    if tls.get("secretName") and self.get(cluster, "Certificate", ing["metadata"]["namespace"], tls["secretName"]) is None:
                        self.put(cluster, {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                                           "metadata": {"name": tls["secretName"], "namespace": ing["metadata"]["namespace"]},
                                           "spec": {"dnsNames": tls.get("hosts", []), "secretName": tls["secretName"],
                                                    "issuerRef": {"name": issuer, "kind": "ClusterIssuer" if "cluster-issuer" in str(ann) else "Issuer"}}})
        # External Secrets Operator: an ExternalSecret whose store exists becomes its target Secret
        # (external-secrets.io/latest/api/externalsecret: target.name defaults to the object's name).
        if self.release_of_chart(cluster, "external-secrets"):
            for es in self.objects(cluster, "ExternalSecret"):
                ref = es.get("spec", {}).get("secretStoreRef", {})
                store = (self.get(cluster, "ClusterSecretStore", "", ref.get("name")) if ref.get("kind") == "ClusterSecretStore"
                         else self.get(cluster, "SecretStore", es["metadata"]["namespace"], ref.get("name")))
                target = (es["spec"].get("target") or {}).get("name") or es["metadata"]["name"]
                if store and self.get(cluster, "Secret", es["metadata"]["namespace"], target) is None:
                    self.put(cluster, {"apiVersion": "v1", "kind": "Secret",
                                       "metadata": {"name": target, "namespace": es["metadata"]["namespace"]}})
        # Load balancers.
        self.assign_addresses(cluster)

    def assign_addresses(self, cluster):
        mode = LB_MODE[cluster["provider"]]
        held = set()
        services = sorted(self.objects(cluster, "Service"), key=lambda s: s.get("created", 0))
        for svc in services:
            if svc.get("spec", {}).get("type") != "LoadBalancer":
                continue
            ports = {int(p.get("port", 0)) for p in svc["spec"].get("ports", [])}
            if svc.get("address"):
                held |= ports
                continue
            ann = svc["metadata"].get("annotations") or {}
            if mode == "cloud-provider-kind":
                if not self.s.get("ccm_running"):
                    svc["pending"] = "no load-balancer controller: cloud-provider-kind is not running"
                    continue
                if not cluster.get("workers") and "node.kubernetes.io/exclude-from-external-load-balancers" not in cluster.get("removed_labels", []):
                    svc["pending"] = "every node is excluded from external load balancers (control planes only)"
                    continue
                lb = self.add("kind", "lb_container", "kindccm-%d" % self.new_id(), billable=False, local=True,
                              labels={"io.x-k8s.cloud-provider-kind.cluster": cluster["name"]})
                svc["address"] = "172.18.0.%d" % (lb["id"] % 250 + 2)
                svc["cloud_lb"] = lb["id"]
                held |= ports
                continue
            if mode == "servicelb":
                if ports & held:
                    svc["pending"] = "ports %s are held by another LoadBalancer Service (servicelb)" % sorted(ports & held)
                    continue
                held |= ports
                svc["address"] = "172.18.0.3"
                continue
            if mode == "hetzner" and not (ann.get("load-balancer.hetzner.cloud/location")
                                          or ann.get("load-balancer.hetzner.cloud/network-zone")):
                svc["pending"] = ("hcloud-ccm: neither load-balancer.hetzner.cloud/location nor "
                                  "load-balancer.hetzner.cloud/network-zone set")
                continue
            uid = svc.setdefault("uid", "uid-%d" % self.new_id())
            lb = self.add(cluster["provider"], "load_balancer", "a%s" % uid.replace("-", ""), cluster_id=cluster["id"],
                          tags=["k8s:%s" % cluster["id"]], labels={"hcloud-ccm/service-uid": uid},
                          group=cluster.get("node_group"))
            # AWS load balancers give the Service a host name; the others an IP.
            if cluster["provider"] == "eks":
                svc["address"] = "%s-%d.%s.elb.amazonaws.com" % (lb["name"][:32], lb["id"], cluster.get("region"))
            else:
                svc["address"] = "203.0.113.%d" % (lb["id"] % 250 + 1)
            lb["address"] = svc["address"]
            svc["cloud_lb"] = lb["id"]

    def delete_object(self, cluster, obj):
        """Delete one object as the API server and its controllers would; False when a finalizer holds it."""
        kind = obj["kind"]
        if kind == "KafkaTopic" and obj["metadata"].get("finalizers"):
            ns = obj["metadata"]["namespace"]
            operator = [k for k in self.objects(cluster, "Kafka", ns) if not k.get("deleting")]
            if not operator or not self.release_of_chart(cluster, "strimzi-kafka-operator"):
                obj["deleting"] = True
                return False
        cluster["objects"].pop(self.okey(kind, obj["metadata"].get("namespace", "") if kind not in CLUSTER_SCOPED else "",
                                         obj["metadata"]["name"]), None)
        if kind == "Service" and obj.get("cloud_lb"):
            self.remove(lambda r: r["id"] == obj["cloud_lb"])
        if kind == "PersistentVolumeClaim" and obj.get("volume"):
            self.remove(lambda r: r["id"] == obj["volume"])
        if kind == "Namespace":
            name = obj["metadata"]["name"]
            obj["terminating"] = True
            stuck = False
            # Topics first would let the operator finalize them; a namespace deletes everything at
            # once, the Kafka (and its topic operator) with them.
            for o in self.objects(cluster, "Kafka", name):
                o["deleting"] = True
            for o in list(self.objects(cluster, ns=name)):
                if not self.delete_object(cluster, o):
                    stuck = True
            if stuck:
                self.put(cluster, obj)
                return False
        return True

    def release_of_chart(self, cluster, chart):
        return [r for r in cluster["releases"].values() if r["chart"] == chart]


# ---- helpers ----------------------------------------------------------------------------
def opts(args, flags_with_values):
    """Split args into positionals and {flag: value}; flags not in flags_with_values are booleans."""
    pos, kv = [], {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1:
            if "=" in a and a.startswith("--"):
                k, v = a.split("=", 1)
                kv.setdefault(k, []).append(v)
            elif a in flags_with_values:
                kv.setdefault(a, []).append(args[i + 1] if i + 1 < len(args) else "")
                i += 1
            else:
                kv.setdefault(a, []).append(True)
        else:
            pos.append(a)
        i += 1
    return pos, kv


def one(kv, *names, default=None):
    for n in names:
        if n in kv:
            return kv[n][-1]
    return default


STDIN = None  # read before the state lock is taken: the other side of a pipe needs the lock to write


def read_docs(path):
    text = STDIN if path == "-" else open(path).read()
    return [d for d in yaml.safe_load_all(text) if d]


def kustomize(directory):
    real = os.environ["REAL_KUBECTL"]
    out = subprocess.run([real, "kustomize", directory], capture_output=True, text=True)
    if out.returncode != 0:
        fail(out.stderr)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def columns(resources, wanted):
    for r in resources:
        row = []
        for col in wanted:
            col = col.strip().lower()
            value = {"name": r["name"], "id": str(r["id"]), "ip": r.get("ip", r["name"]), "ipv4": r.get("ip", ""),
                     "tags": ",".join(r.get("tags", [])),
                     "labels": ",".join("%s=%s" % kv for kv in sorted(r.get("labels", {}).items())),
                     "description": r.get("description", r["name"])}.get(col, "")
            row.append(value)
        print("\t".join(row) if len(row) > 1 else row[0])


def selector_matches(labels, selector):
    for term in (selector or "").split(","):
        if not term:
            continue
        if "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k.rstrip("=!")) != v:
                return False
        elif term not in labels:
            return False
    return True


# ---- tools ------------------------------------------------------------------------------
def doctl(cloud, args):
    pos, kv = opts(args, {"--region", "--version", "--node-pool", "--format", "--name", "--size", "--count",
                          "--min-nodes", "--max-nodes", "--subscription-tier", "--namespace", "--resource",
                          "--tag-name", "--context", "-t", "--access-token", "-o", "--output", "--vpc-uuid",
                          "--tag", "--maintenance-window", "--control-plane-firewall-allowed-addresses",
                          "--record-type", "--record-name", "--record-data", "--record-ttl", "--record-id"})
    cmd = " ".join(pos[:3])
    fmt = (one(kv, "--format") or "Name").split(",")
    if pos[:2] == ["account", "get"]:
        return print("standin@example.com")
    if pos[:3] == ["kubernetes", "options", "versions"]:
        if "--format" in kv or "--no-header" in kv:
            fail('Error: unknown flag: %s' % ("--format" if "--format" in kv else "--no-header"))
        # doctl v1.166.0 displayers/kubernetes.go KubernetesVersions: Slug, Kubernetes Version, Supported Features.
        return print("Slug           Kubernetes Version    Supported Features\n1.36.2-do.0    1.36.2                cluster-autoscaler\n"
                     "1.35.6-do.1    1.35.6                cluster-autoscaler\n1.34.9-do.2    1.34.9                cluster-autoscaler")
    if cmd == "kubernetes cluster get":
        c = cloud.s["clusters"].get("doks/" + pos[3])
        if not c:
            fail("Error: GET https://api.digitalocean.com/v2/kubernetes/clusters: 404 cluster not found")
        return print(c["id"] if fmt == ["ID"] else c["name"])
    if cmd == "kubernetes cluster create":
        name = pos[3]
        if "doks/" + name in cloud.s["clusters"]:
            fail("Error: POST https://api.digitalocean.com/v2/kubernetes/clusters: 422 a cluster with this name already exists")
        pool = dict(p.split("=", 1) for p in (one(kv, "--node-pool") or "").split(";") if "=" in p)
        # doctl v1.166.0 parseMaintenancePolicy: `day=HH:MM`, the day one godo knows.
        window = one(kv, "--maintenance-window") or "any=00:00"
        day, _, start = window.partition("=")
        if not start or day not in ("any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
            fail("Error: A maintenance window argument must be of the form `day=HH:MM`, got: %s" % window)
        vpc = one(kv, "--vpc-uuid")
        if vpc and not [r for r in cloud.find("doks", "vpc") if r["name"] == vpc and r.get("region") == one(kv, "--region")]:
            fail("Error: POST https://api.digitalocean.com/v2/kubernetes/clusters: 422 vpc %s not found in region" % vpc)
        key, c = cloud.new_cluster("doks", name, region=one(kv, "--region"), maintenance=window,
                                   tags=[t for v in kv.get("--tag", []) for t in v.split(",")],
                                   auto_upgrade=one(kv, "--auto-upgrade") in (True, "true"))
        cloud.add("doks", "cluster", name, owned_by_cluster=c["id"], cluster_id=c["id"])
        for i in range(int(pool.get("count", 1))):
            cloud.add("doks", "droplet", "%s-%s-%d" % (name, pool.get("name", "pool"), i),
                      owned_by_cluster=c["id"], tags=["k8s:%s" % c["id"]])
        return
    if cmd == "kubernetes cluster kubeconfig" and pos[3:4] == ["save"]:
        if "doks/" + pos[4] not in cloud.s["clusters"]:
            fail("Error: cluster not found")
        return cloud.save_kubeconfig("doks/" + pos[4])
    if cmd == "kubernetes cluster list-associated-resources":
        c = cloud.s["clusters"].get("doks/" + pos[3])
        if not c:
            fail("Error: GET https://api.digitalocean.com/v2/kubernetes/clusters: 404 cluster not found")
        column = {"LoadBalancers": "load_balancer", "Volumes": "volume", "VolumeSnapshots": "snapshot"}[fmt[0]]
        ids = [str(r["id"]) for r in cloud.find("doks", column) if r.get("cluster_id") == c["id"]]
        return print("[%s]" % " ".join(ids))
    if cmd == "kubernetes cluster registry":
        return
    if cmd == "kubernetes cluster node-pool":
        c = cloud.s["clusters"].get("doks/" + pos[4])
        if not c:
            fail("Error: cluster not found")
        if pos[3] == "get":
            if pos[5] not in c.setdefault("pools", []):
                fail("Error: node pool not found")
            return
        c.setdefault("pools", []).append(one(kv, "--name"))
        return
    if cmd == "kubernetes cluster delete":
        key = "doks/" + pos[3]
        c = cloud.s["clusters"].get(key)
        if not c:
            fail("Error: cluster not found")
        if "--force" not in kv and "-f" not in kv:
            fail("Error: Operation aborted.")  # doctl asks for confirmation; a closed stdin aborts
        cloud.delete_cluster(key)
        # Without --dangerous the cluster's load balancers and volumes stay
        # (doctl commands/kubernetes.go RunKubernetesClusterDelete).
        if "--dangerous" in kv:
            cloud.remove(lambda r: r.get("cluster_id") == c["id"])
        return
    if pos[:3] == ["compute", "domain", "get"]:
        if not [d for d in cloud.find("doks", "domain") if d["name"] == pos[3]]:
            fail("Error: GET https://api.digitalocean.com/v2/domains/%s: 404 (request \"standin\") The resource you were accessing could not be found." % pos[3])
        return print(pos[3])
    if pos[:3] == ["compute", "domain", "records"]:
        # doctl v1.166.0 commands/domains.go: records are named relative to the domain.
        domains = [d for d in cloud.find("doks", "domain") if d["name"] == pos[4]]
        if not domains:
            fail("Error: GET https://api.digitalocean.com/v2/domains/%s/records: 404 not found" % pos[4])
        records = domains[0].setdefault("records", [])
        verb = pos[3]
        if verb == "list":
            for r in records:
                row = {"id": str(r["id"]), "type": r["type"], "name": r["name"], "data": r["data"]}
                print("\t".join(row.get(c.strip().lower(), "") for c in fmt))
            return
        if verb == "create":
            if one(kv, "--record-type") != "A" or not one(kv, "--record-name") or not one(kv, "--record-data"):
                fail("Error: POST https://api.digitalocean.com/v2/domains/%s/records: 422 invalid record" % pos[4])
            r = {"id": cloud.new_id(), "type": "A", "name": one(kv, "--record-name"), "data": one(kv, "--record-data")}
            records.append(r)
            return print(r["id"] if fmt == ["ID"] else r["name"])
        if verb == "update":
            for r in records:
                if str(r["id"]) == str(one(kv, "--record-id")):
                    r["data"] = one(kv, "--record-data") or r["data"]
                    return print(r["id"])
            fail("Error: PUT https://api.digitalocean.com/v2/domains/%s/records: 404 not found" % pos[4])
        if verb == "delete":
            if "--force" not in kv and "-f" not in kv:
                fail("Error: Operation aborted.")
            for rid in pos[5:]:
                if not [r for r in records if str(r["id"]) == rid]:
                    fail("Error: DELETE https://api.digitalocean.com/v2/domains/%s/records/%s: 404 not found" % (pos[4], rid))
            domains[0]["records"] = [r for r in records if str(r["id"]) not in pos[5:]]
            return
    if pos[:3] == ["projects", "resources", "assign"]:
        if not [r for r in cloud.find("doks", "project") if r["name"] == pos[3]]:
            fail("Error: POST https://api.digitalocean.com/v2/projects/%s/resources: 404 project not found" % pos[3])
        for urn in kv.get("--resource", []):
            ids = [c["id"] for c in cloud.s["clusters"].values() if c["provider"] == "doks"]
            if not urn.startswith("do:kubernetes:") or urn.split(":", 2)[2] not in ids:
                fail("Error: POST https://api.digitalocean.com/v2/projects/%s/resources: 422 invalid urn %s" % (pos[3], urn))
            for c in cloud.s["clusters"].values():
                if c["id"] == urn.split(":", 2)[2]:
                    c["project"] = pos[3]
        return
    if pos[:2] == ["registry", "get"]:
        regs = cloud.find("doks", "registry")
        if not regs:
            fail("Error: GET https://api.digitalocean.com/v2/registry: 404 registry not found")
        return print(regs[0]["name"])
    if pos[:2] == ["registry", "create"]:
        if cloud.find("doks", "registry"):
            fail("Error: POST https://api.digitalocean.com/v2/registry: 409 a registry already exists for this account")
        cloud.add("doks", "registry", pos[2], region=one(kv, "--region"))
        return
    if pos[:2] == ["registry", "delete"]:
        if not cloud.find("doks", "registry"):
            fail("Error: registry not found")
        if "--force" not in kv and "-f" not in kv:
            fail("Error: Operation aborted.")
        cloud.remove(lambda r: r["provider"] == "doks" and r["type"] == "registry")
        return
    if pos[:2] == ["registry", "kubernetes-manifest"]:
        reg = cloud.find("doks", "registry")
        if not reg:
            fail("Error: registry not found")
        return print(yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                                     "metadata": {"name": one(kv, "--name") or "registry-" + reg[0]["name"],
                                                  "namespace": one(kv, "--namespace") or "default"},
                                     "data": {".dockerconfigjson": "e30="}}))
    listing = {("compute", "load-balancer"): "load_balancer", ("compute", "volume"): "volume",
               ("compute", "snapshot"): "snapshot", ("compute", "reserved-ip"): "reserved_ip",
               ("compute", "droplet"): "droplet"}
    if tuple(pos[:2]) in listing and pos[2:3] == ["get"]:
        if not [r for r in cloud.find("doks", listing[tuple(pos[:2])]) if str(r["id"]) == pos[3]]:
            fail("Error: GET https://api.digitalocean.com/v2/%s/%s: 404 not found" % (pos[1], pos[3]))
        return print(pos[3])
    if tuple(pos[:2]) in listing and pos[2:3] == ["list"]:
        items = cloud.find("doks", listing[tuple(pos[:2])])
        tag = one(kv, "--tag-name")
        if tag:
            items = [r for r in items if tag in r.get("tags", [])]
        return columns(items, fmt)
    fail("standin doctl: unmodelled command: %s" % " ".join(args), 64)


def az(cloud, args):
    # `--tags a=b c=d`: azure-cli's nargs='*' takes every word up to the next flag.
    tags, rest, i = [], [], 0
    while i < len(args):
        if args[i] == "--tags":
            i += 1
            while i < len(args) and not args[i].startswith("-"):
                tags.append(args[i])
                i += 1
            continue
        rest.append(args[i])
        i += 1
    args = rest
    pos, kv = opts(args, {"--name", "-n", "--location", "-l", "--resource-group", "-g", "--output", "-o", "--query",
                          "--kubernetes-version", "--nodepool-name", "--node-vm-size", "--node-count",
                          "--network-plugin", "--network-plugin-mode", "--network-dataplane", "--min-count",
                          "--max-count", "--cluster-name", "--sku", "--attach-acr", "--network-policy",
                          "--auto-upgrade-channel", "--api-server-authorized-ip-ranges", "--schedule-type",
                          "--day-of-week", "--interval-weeks", "--start-time", "--duration", "--utc-offset"})
    name = one(kv, "--name", "-n")
    group = one(kv, "--resource-group", "-g")
    groups = {r["name"]: r for r in cloud.find("aks", "group")}
    words = " ".join(pos[:2])

    def need_group(g):
        if g not in groups:
            fail("(ResourceGroupNotFound) Resource group '%s' could not be found." % g, 3)

    def out(value):
        if one(kv, "--output", "-o") != "none":
            print(value)

    if words == "account show":
        return out('{"name": "standin"}')
    if words == "group create":
        if name not in groups:
            cloud.add("aks", "group", name, billable=False, location=one(kv, "--location", "-l"), labels=dict(t.partition("=")[::2] for t in tags))
        return
    if words == "group exists":
        return print("true" if name in groups else "false")
    if words == "group delete":
        need_group(name)
        clusters = [c for c in cloud.s["clusters"].values() if c.get("group") == name]
        for c in clusters:
            cloud.delete_cluster("aks/" + c["name"])
            cloud.remove(lambda r, c=c: r.get("group") == c["node_group"] or r["name"] == c["node_group"])
        cloud.remove(lambda r: r.get("group") == name or (r["type"] == "group" and r["name"] == name))
        return
    if words == "group list":
        query = one(kv, "--query") or ""
        m = re.fullmatch(r"\[\?starts_with\(name, '([^']*)'\)\]\.name", query)
        if not m:
            fail("standin az: unmodelled query %r" % query, 64)
        for g in sorted(groups):
            if g.startswith(m.group(1)):
                print(g)
        return
    if words == "aks show":
        need_group(group)
        if "aks/" + name not in cloud.s["clusters"]:
            fail("(ResourceNotFound) The Resource 'Microsoft.ContainerService/managedClusters/%s' under resource group '%s' was not found." % (name, group), 3)
        return out("{}")
    if words == "aks create":
        need_group(group)
        location = groups[group].get("location")
        node_group = "MC_%s_%s_%s" % (group, name, location)
        key, c = cloud.new_cluster("aks", name, bundled=["metrics-server"], group=group, node_group=node_group,
                                   tags=dict(t.partition("=")[::2] for t in tags),
                                   auto_upgrade=one(kv, "--auto-upgrade-channel") or "none",
                                   network_policy=one(kv, "--network-policy") or (
                                       "cilium" if one(kv, "--network-dataplane") == "cilium" else "none"))
        cloud.add("aks", "cluster", name, group=group, owned_by_cluster=c["id"])
        cloud.add("aks", "group", node_group, billable=False)
        # AKS's node resource group: the scale set, the outbound load balancer and its public IP
        # (learn.microsoft.com/azure/aks/concepts-network#azure-load-balancer).
        cloud.add("aks", "vmss", "aks-%s-vmss" % one(kv, "--nodepool-name"), group=node_group)
        cloud.add("aks", "load_balancer", "kubernetes", group=node_group)
        cloud.add("aks", "public_ip", "outbound-ip", group=node_group)
        return
    if words == "aks get-credentials":
        if "aks/" + name not in cloud.s["clusters"]:
            fail("(ResourceNotFound) cluster not found", 3)
        return cloud.save_kubeconfig("aks/" + name)
    if words == "aks nodepool":
        c = cloud.s["clusters"].get("aks/" + one(kv, "--cluster-name"))
        if not c:
            fail("(ResourceNotFound) cluster not found", 3)
        if pos[2] == "show":
            if name not in c.setdefault("pools", []):
                fail("(ResourceNotFound) agent pool not found", 3)
            return
        c.setdefault("pools", []).append(name)
        return
    if words == "aks update":
        return
    if words == "aks maintenanceconfiguration":
        c = cloud.s["clusters"].get("aks/" + (one(kv, "--cluster-name") or ""))
        if not c:
            fail("(ResourceNotFound) cluster not found", 3)
        if pos[2] == "show":
            if name not in c.setdefault("maintenance", {}):
                fail("(NotFound) maintenance configuration not found", 3)
            return
        # azure-cli 2.91 acs maintenanceconfiguration: a weekly schedule needs a day and a
        # duration of 4 to 24 hours.
        if one(kv, "--schedule-type") == "Weekly":
            if one(kv, "--day-of-week") not in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
                fail("(InvalidParameter) day-of-week is required for a weekly schedule", 1)
            if not 4 <= int(one(kv, "--duration") or 0) <= 24:
                fail("(InvalidParameter) duration must be between 4 and 24 hours", 1)
        c.setdefault("maintenance", {})[name] = {"day": one(kv, "--day-of-week"), "start": one(kv, "--start-time")}
        return
    if words == "aks delete":
        need_group(group)
        c = cloud.s["clusters"].get("aks/" + name)
        if not c or c.get("group") != group:
            fail("(ResourceNotFound) cluster not found", 3)
        if "--yes" not in kv and "-y" not in kv:
            fail("Are you sure you want to perform this operation? (y/n): EOF when reading a line")
        # The cluster goes with its node resource group and everything in it.
        cloud.delete_cluster("aks/" + name)
        cloud.remove(lambda r, c=c: r.get("group") == c["node_group"] or (r["type"] == "group" and r["name"] == c["node_group"]))
        return
    if words == "acr delete":
        if not cloud.find("aks", "registry", name=name):
            fail("(ResourceNotFound) registry not found", 3)
        if "--yes" not in kv and "-y" not in kv:
            fail("Are you sure you want to perform this operation? (y/n): EOF when reading a line")
        cloud.remove(lambda r: r["provider"] == "aks" and r["type"] == "registry" and r["name"] == name)
        return
    if words == "acr show":
        if not cloud.find("aks", "registry", name=name):
            fail("(ResourceNotFound) registry not found", 3)
        return
    if words == "acr create":
        need_group(group)
        cloud.add("aks", "registry", name, group=group)
        return
    if words in ("disk list", "network public-ip"):
        rtype = "volume" if words == "disk list" else "public_ip"
        need_group(group)
        for r in cloud.find("aks", rtype, group=group):
            print(r["name"])
        return
    fail("standin az: unmodelled command: %s" % " ".join(args), 64)


def server(cloud, cluster, name, role):
    """A hetzner-k3s node: the server, labelled with its cluster, and the primary IP the API
    creates with it (auto-deleted with the server)."""
    ip = "198.51.100.%d" % (cloud.new_id() % 250 + 1)
    cloud.add("hetzner", "server", name, owned_by_cluster=cluster["id"], ip=ip,
              labels={"cluster": cluster["name"], "role": role})
    cloud.add("hetzner", "primary_ip", "primary_ip-%s" % name, owned_by_cluster=cluster["id"], ip=ip)


def hetzner_k3s(cloud, args):
    pos, kv = opts(args, {"--config", "-c"})
    if pos[:1] == ["releases"]:
        return print("v1.35.4+k3s1\nv1.35.10+k3s1\nv1.36.2+k3s1")
    config = yaml.safe_load(open(one(kv, "--config", "-c"))) or {}
    name = config.get("cluster_name")
    key = "hetzner/%s" % name
    if pos[:1] == ["create"]:
        networking = config.get("networking") or {}
        # hetzner-k3s v2.6.0 validators/networking_config/ssh.cr: both key files must exist
        # (`~/` is the home directory); private_network.cr: an existing network must exist.
        ssh = networking.get("ssh") or {}
        for which in ("public_key_path", "private_key_path"):
            path = str(ssh.get(which, "~/.ssh/id_rsa.pub" if which == "public_key_path" else "~/.ssh/id_rsa"))
            path = os.path.join(os.environ.get("HOME", "/"), path[2:]) if path.startswith("~/") else path
            if not os.path.isfile(path):
                fail("Configuration errors:\n  - %s does not exist: %s" % (which, path))
        existing = (networking.get("private_network") or {}).get("existing_network_name")
        if existing and not [r for r in cloud.find("hetzner", "network") if r["name"] == existing]:
            fail("Configuration errors:\n  - You have specified that you want to use the existing network named '%s' but this network doesn't exist" % existing)
        pools = [config.get("masters_pool", {})] + list(config.get("worker_node_pools", []) or [])
        # Workers name their `location`; masters list one per master in `locations`.
        wanted = [(p.get("instance_type"), loc) for p in pools
                  for loc in ([p["location"]] if p.get("location") else p.get("locations") or [])]
        short = [(t, loc) for t, loc in wanted if unavailable(cloud, t, loc)]
        if key not in cloud.s["clusters"] and short:
            # The API refuses the server only when hetzner-k3s creates it, after the network
            # and the firewall (v2.6.0 checks only that the type exists).
            if not existing:
                cloud.add("hetzner", "network", name, billable=False, labels={"cluster": name})
            cloud.add("hetzner", "firewall", name, billable=False, labels={"cluster": name})
            fail("[Instance %s] Error creating server: server type %s is unavailable in %s (resource_unavailable)"
                 % (name, short[0][0], short[0][1]))
        if key not in cloud.s["clusters"]:
            # hetzner-k3s v2.6.0 src/configuration/models/addons.cr: traefik, servicelb and
            # metrics-server are off by default, so the cluster bundles none of them.
            key, c = cloud.new_cluster("hetzner", name, protect=config.get("protect_against_deletion", True))
            masters = config.get("masters_pool", {})
            for i in range(int(masters.get("instance_count", 1))):
                server(cloud, c, "%s-master%d" % (name, i + 1), "master")
            for pool in config.get("worker_node_pools", []) or []:
                for i in range(int(pool.get("instance_count", 1))):
                    server(cloud, c, "%s-pool-%s-worker%d" % (name, pool["name"], i + 1), "worker")
            if not existing:
                cloud.add("hetzner", "network", name, billable=False, owned_by_cluster=c["id"], labels={"cluster": name})
            cloud.add("hetzner", "firewall", name, billable=False, owned_by_cluster=c["id"], labels={"cluster": name})
        cloud.save_kubeconfig(key, config.get("kubeconfig_path"))
        return
    if pos[:1] == ["delete"]:
        c = cloud.s["clusters"].get(key)
        if "--force" not in kv:
            # hetzner-k3s v2.6.0 src/cluster/delete.cr: asks for the cluster name until it gets it.
            fail("Please enter the cluster name to confirm that you want to delete it: (stdin closed, asking forever)", 124)
        if c and c.get("protect"):
            fail("[Delete] Cannot delete the cluster because deletion protection is enabled (protect_against_deletion)")
        # Servers, network, firewall, placement groups and the API load balancer go; load
        # balancers made by the cloud controller manager and CSI volumes stay.
        cloud.delete_cluster(key)
        return
    fail("standin hetzner-k3s: unmodelled command: %s" % " ".join(args), 64)


HETZNER_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]


def unavailable(cloud, server_type, location):
    """Whether the scenario made `server_type` impossible to order in `location` (a seeded
    `unavailable_server_type` named `TYPE@LOCATION`)."""
    return bool(cloud.find("hetzner", "unavailable_server_type", name="%s@%s" % (server_type, location)))


def hcloud(cloud, args):
    pos, kv = opts(args, {"-o", "--output", "--type", "--selector", "-l"})
    if pos[:2] == ["server-type", "list"]:
        return print("cx23\ncx33\ncpx21\ncpx31")
    if pos[:2] == ["server-type", "describe"] and len(pos) == 3:
        # hcloud 1.63.0+ `-o format=…` runs a Go template over hcloud-go's ServerType; the
        # scripts' template prints `LOCATION=AVAILABLE ` for each of its Locations.
        form = [o for o in kv.get("-o", []) + kv.get("--output", []) if isinstance(o, str) and o.startswith("format=")]
        if not form or ".Locations" not in form[0] or ".Available" not in form[0]:
            fail("standin hcloud: unmodelled output for server-type describe: %s" % " ".join(args), 64)
        return print("".join("%s=%s " % (loc, "false" if unavailable(cloud, pos[2], loc) else "true")
                             for loc in HETZNER_LOCATIONS), end="")
    kinds = {"server": "server", "load-balancer": "load_balancer", "volume": "volume",
             "primary-ip": "primary_ip", "image": "snapshot", "network": "network", "firewall": "firewall"}
    if pos[:1] and pos[0] in kinds and pos[1:2] == ["list"]:
        items = cloud.find("hetzner", kinds[pos[0]])
        sel = one(kv, "--selector", "-l")
        if sel:
            items = [r for r in items if selector_matches(r.get("labels", {}), sel)]
        wanted = ["name"]
        for o in kv.get("-o", []) + kv.get("--output", []):
            if isinstance(o, str) and o.startswith("columns="):
                wanted = o[len("columns="):].split(",")
        return columns(items, wanted)
    fail("standin hcloud: unmodelled command: %s" % " ".join(args), 64)


def k3d(cloud, args):
    pos, kv = opts(args, {"--servers", "-s", "--agents", "-a", "--image", "-i", "--k3s-arg", "--port", "-p",
                          "--registry-use", "--timeout"})
    words = " ".join(pos[:2])
    if words == "registry get":
        if not cloud.find("k3d", "registry", name=pos[2]):
            fail('FATA[0000] failed to get registry %s' % pos[2])
        return print(pos[2])
    if words == "registry create":
        name = "k3d-" + pos[2]
        if cloud.find("k3d", "registry", name=name):
            fail("FATA[0000] registry %s already exists" % name)
        cloud.add("k3d", "registry", name, billable=False, local=True, port=one(kv, "--port", "-p"))
        return
    if words == "registry delete":
        if not cloud.find("k3d", "registry", name=pos[2]):
            fail("FATA[0000] No nodes found for given role/name")
        cloud.remove(lambda r: r["provider"] == "k3d" and r["type"] == "registry" and r["name"] == pos[2])
        return
    if words == "cluster get":
        if "k3d/" + pos[2] not in cloud.s["clusters"]:
            fail("FATA[0000] failed to get cluster %s" % pos[2])
        return print(pos[2])
    if words == "cluster create":
        name = pos[2]
        if "k3d/" + name in cloud.s["clusters"]:
            fail("FATA[0000] Failed to create cluster '%s' because a cluster with that name already exists" % name)
        # k3s packages traefik, servicelb, metrics-server and local-storage unless --disable'd
        # (k3s pkg/cli/cmds/server.go; tests/contracts/k3d-5.9.0.json).
        bundled = ["traefik", "servicelb", "metrics-server", "local-storage"]
        for arg in kv.get("--k3s-arg", []):
            m = re.fullmatch(r"--disable=([a-z-]+)@server:.*", str(arg))
            if m and m.group(1) in bundled:
                bundled.remove(m.group(1))
        reg = one(kv, "--registry-use")
        if reg and not cloud.find("k3d", "registry", name=reg.split(":")[0]):
            fail("FATA[0000] Failed to find registry %s" % reg)
        key, c = cloud.new_cluster("k3d", name, bundled=bundled, image=one(kv, "--image", "-i"),
                                   ports=kv.get("--port", []) + kv.get("-p", []))
        cloud.add("k3d", "cluster", name, billable=False, local=True, owned_by_cluster=c["id"])
        return
    if words == "cluster delete":
        key = "k3d/" + pos[2]
        # k3d deletes a missing cluster without error (it logs "No nodes found").
        cloud.delete_cluster(key)
        return
    if words == "kubeconfig merge":
        if "k3d/" + pos[2] not in cloud.s["clusters"]:
            fail("FATA[0000] cluster not found")
        # Without --kubeconfig-merge-default (or --output) k3d writes
        # ~/.config/k3d/kubeconfig-NAME.yaml and leaves the default kubeconfig alone (k3d v5.9.0
        # cmd/kubeconfig/kubeconfigMerge.go:98-100).
        if "--kubeconfig-merge-default" in args or "-d" in args:
            return cloud.save_kubeconfig("k3d/" + pos[2])
        own = os.path.join(os.environ.get("HOME", "/"), ".config", "k3d", "kubeconfig-%s.yaml" % pos[2])
        cloud.save_kubeconfig("k3d/" + pos[2], own)
        return print(own)
    fail("standin k3d: unmodelled command: %s" % " ".join(args), 64)


def kind(cloud, args):
    pos, kv = opts(args, {"--name", "-n", "--image", "--config", "--wait", "--kubeconfig"})
    name = one(kv, "--name", "-n") or "kind"
    words = " ".join(pos[:2])
    if words == "get clusters":
        for c in cloud.s["clusters"].values():
            if c["provider"] == "kind":
                print(c["name"])
        return
    if pos[:1] == ["version"]:
        return print("kind v0.32.0 go1.24.4 linux/amd64")
    if words == "create cluster":
        if "kind/" + name in cloud.s["clusters"]:
            fail('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "%s"' % name)
        config = yaml.safe_load(open(one(kv, "--config"))) if one(kv, "--config") else {}
        workers = [n for n in (config or {}).get("nodes", []) if n.get("role") == "worker"]
        key, c = cloud.new_cluster("kind", name, image=one(kv, "--image"), workers=len(workers))
        cloud.add("kind", "cluster", name, billable=False, local=True, owned_by_cluster=c["id"])
        cloud.save_kubeconfig(key)
        return
    if words == "delete cluster":
        cloud.delete_cluster("kind/" + name)
        return
    if words == "export kubeconfig":
        if "kind/" + name not in cloud.s["clusters"]:
            fail('ERROR: could not locate any control plane nodes for cluster named \'%s\'' % name)
        return cloud.save_kubeconfig("kind/" + name)
    fail("standin kind: unmodelled command: %s" % " ".join(args), 64)


def helm(cloud, args):
    pos, kv = opts(args, {"--repo", "--version", "--namespace", "-n", "--set", "--set-string", "--timeout",
                          "-f", "--values"})
    cluster = cloud.current()
    ns = one(kv, "--namespace", "-n") or "default"
    if pos[:1] == ["upgrade"] and "--install" in kv:
        release, chart = pos[1], pos[2]
        facts = CHARTS.get(chart)
        if facts is None:
            fail("Error: chart \"%s\" version \"%s\" not found in %s repository" % (chart, one(kv, "--version"), one(kv, "--repo")))
        if chart == "metrics-server" and "metrics-server" in cluster.get("bundled", []):
            # The cluster's own metrics-server owns the APIService; helm will not adopt it.
            fail('Error: Unable to continue with install: APIService "v1beta1.metrics.k8s.io" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata')
        values = {}
        for s in kv.get("--set", []) + kv.get("--set-string", []):
            for part in re.split(r"(?<!\\),", s):
                k, _, v = part.partition("=")
                values[k] = v
        for f in kv.get("-f", []) + kv.get("--values", []):
            flat(yaml.safe_load(open(f)) or {}, "", values)
        if cloud.get(cluster, "Namespace", "", ns) is None:
            if "--create-namespace" not in kv:
                fail('Error: create: failed to create: namespaces "%s" not found' % ns)
            cloud.put(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        cluster["releases"]["%s/%s" % (ns, release)] = {"chart": chart, "namespace": ns, "name": release,
                                                       "values": values}
        when = facts.get("crds_when")
        if not when or any(values.get(k) == "true" for k in when):
            for crd in facts.get("crds", []):
                if crd not in cluster["crds"]:
                    cluster["crds"].append(crd)
        lb = facts.get("load_balancer")
        if lb:
            prefix = lb["annotations"] + "."
            ann = {k[len(prefix):].replace("\\.", "."): v for k, v in values.items() if k.startswith(prefix)}
            svc_name = lb["name"].format(release=release)
            if cloud.get(cluster, "Service", ns, svc_name) is None:
                cloud.put(cluster, {"apiVersion": "v1", "kind": "Service", "created": cloud.new_id(),
                                    "metadata": {"name": svc_name, "namespace": ns, "annotations": ann,
                                                 "labels": {"app.kubernetes.io/instance": release}},
                                    "spec": {"type": "LoadBalancer", "ports": [{"port": p} for p in lb["ports"]]}})
            cluster.setdefault("ingress_classes", []).append(facts["ingress_class"])
        for name, labels in facts.get("pvcs", []):
            if cloud.get(cluster, "PersistentVolumeClaim", ns, name) is None:
                cloud.put(cluster, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                    "metadata": {"name": name, "namespace": ns, "labels": labels}})
        cloud.reconcile(cluster)
        if lb and "--wait" in kv:
            svc = cloud.get(cluster, "Service", ns, lb["name"].format(release=release))
            if not svc.get("address"):
                cloud.save()
                fail("Error: UPGRADE FAILED: context deadline exceeded (Service %s/%s has no load-balancer "
                     "address: %s)" % (ns, svc["metadata"]["name"], svc.get("pending", "no controller assigns one")))
        return print('Release "%s" has been upgraded. Happy Helming!' % release)
    if pos[:1] == ["uninstall"]:
        release = pos[1]
        rel = cluster["releases"].pop("%s/%s" % (ns, release), None)
        if rel is None:
            if "--ignore-not-found" in kv:
                return
            fail("Error: uninstall: Release not loaded: %s: release: not found" % release)
        facts = CHARTS.get(rel["chart"], {})
        lb = facts.get("load_balancer")
        if lb:
            svc = cloud.get(cluster, "Service", ns, lb["name"].format(release=release))
            if svc:
                cloud.delete_object(cluster, svc)
            cluster["ingress_classes"] = [c for c in cluster.get("ingress_classes", []) if c != facts["ingress_class"]]
        # helm leaves the claims of the release's StatefulSets behind (helm.sh/docs: "PVCs are
        # not deleted"); CRDs stay too.
        return print('release "%s" uninstalled' % release)
    fail("standin helm: unmodelled command: %s" % " ".join(args), 64)


def flat(value, prefix, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flat(v, "%s%s." % (prefix, str(k).replace(".", "\\.")), out)
    else:
        out[prefix[:-1]] = "true" if value is True else "false" if value is False else str(value)


def pod_ready(cloud, cluster, workload):
    """Why the workload's pods cannot start, or None."""
    ns = workload["metadata"]["namespace"]
    pod = workload.get("spec", {}).get("template", {}).get("spec", {})
    sa = pod.get("serviceAccountName") or "default"
    if sa != "default" and cloud.get(cluster, "ServiceAccount", ns, sa) is None:
        return 'serviceaccount "%s" not found' % sa
    # A StatefulSet's pods wait for their claims (named <template>-<set>-<ordinal>).
    for tpl in workload.get("spec", {}).get("volumeClaimTemplates") or []:
        prefix = "%s-%s-" % (tpl["metadata"]["name"], workload["metadata"]["name"])
        for claim in cloud.objects(cluster, "PersistentVolumeClaim", ns):
            if claim["metadata"]["name"].startswith(prefix) and claim.get("pending"):
                return "pod has unbound PersistentVolumeClaims: %s" % claim["pending"]
    pull = [p.get("name") for p in pod.get("imagePullSecrets") or []]
    sa_obj = cloud.get(cluster, "ServiceAccount", ns, sa) or {}
    pull += [p.get("name") for p in sa_obj.get("imagePullSecrets") or []]
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        image = c.get("image", "")
        if image.startswith("registry.digitalocean.com/") and not any(
                cloud.get(cluster, "Secret", ns, p) for p in pull):
            return "ErrImagePull: %s: unauthorized (no imagePullSecrets)" % image
        if image.startswith("localhost:") and cluster["provider"] == "k3d":
            return "ErrImagePull: %s: connection refused (localhost inside the node)" % image
        refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) or []
                if (e.get("valueFrom") or {}).get("secretKeyRef")]
        refs += [e["secretRef"]["name"] for e in c.get("envFrom", []) or [] if e.get("secretRef")]
        for r in refs:
            if cloud.get(cluster, "Secret", ns, r) is None:
                return 'CreateContainerConfigError: secret "%s" not found' % r
    for v in pod.get("volumes", []) or []:
        if v.get("secret") and cloud.get(cluster, "Secret", ns, v["secret"]["secretName"]) is None:
            return 'FailedMount: secret "%s" not found' % v["secret"]["secretName"]
    return None


def kubectl(cloud, args):
    pos, kv = opts(args, {"--namespace", "-n", "--for", "--timeout", "-f", "--filename", "-k", "--kustomize",
                          "--selector", "-l", "-o", "--output", "--request-timeout", "--from-file",
                          "--from-literal", "--dry-run", "--type", "--context", "--kubeconfig"})
    ns = one(kv, "--namespace", "-n")
    verb = pos[0] if pos else ""
    if verb == "create" and pos[1:2] == ["secret"] and one(kv, "--dry-run") == "client":
        data = {}
        for f in kv.get("--from-file", []):
            key, _, path = f.rpartition("=") if "=" in f else (os.path.basename(f), "", f)
            data[key] = "x"
        for lit in kv.get("--from-literal", []):
            data[lit.split("=", 1)[0]] = "x"
        return print(yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                     "metadata": {"name": pos[3], "namespace": ns or "default"}, "stringData": data}))
    if verb == "create" and pos[1:3] == ["secret", "tls"]:
        cluster = cloud.current()
        if cloud.get(cluster, "Namespace", "", ns or "default") is None:
            fail('error: failed to create secret namespaces "%s" not found' % (ns or "default"))
        if cloud.get(cluster, "Secret", ns or "default", pos[3]):
            fail('error: failed to create secret secrets "%s" already exists' % pos[3])
        cloud.put(cluster, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                            "metadata": {"name": pos[3], "namespace": ns or "default"}})
        return print("secret/%s created" % pos[3])
    if verb == "kustomize" or pos[:2] == ["config", "view"]:
        return subprocess.run([os.environ["REAL_KUBECTL"]] + args).returncode
    cluster = cloud.current()
    if verb == "label" and pos[1:2] == ["node"]:
        for label in pos[3:]:
            if label.endswith("-"):
                cluster.setdefault("removed_labels", []).append(label[:-1])
        cloud.reconcile(cluster)
        return print("node/%s labeled" % pos[2])
    if verb == "cluster-info":
        return print("Kubernetes control plane is running at https://%s" % cluster["id"])
    if verb == "apply":
        docs = kustomize(one(kv, "-k", "--kustomize")) if one(kv, "-k", "--kustomize") else read_docs(one(kv, "-f", "--filename"))
        errors = cloud.apply(cluster, docs)
        if errors:
            cloud.save()
            fail("\n".join(errors))
        return
    if verb == "wait":
        what = pos[1] if len(pos) > 1 else ""
        cond = one(kv, "--for")
        if what == "nodes":
            return
        kind, _, name = what.partition("/")
        if kind == "certificate":
            cert = cloud.get(cluster, "Certificate", ns or "default", name)
            why = certificate_problem(cloud, cluster, cert) if cert else "not found"
            if why:
                fail("error: timed out waiting for the condition on certificates/%s (%s)" % (name, why))
            return
        if kind in ("kafka", "kafkas.kafka.strimzi.io", "kafka.kafka.strimzi.io"):
            kafka = cloud.get(cluster, "Kafka", ns or "default", name)
            if kafka is None:
                fail('Error from server (NotFound): kafkas.kafka.strimzi.io "%s" not found' % name)
            why = kafka_problem(cloud, cluster, kafka)
            if why:
                fail("error: timed out waiting for the condition on kafkas/%s (%s)" % (name, why))
            return
        fail("standin kubectl: unmodelled wait %s %s" % (what, cond), 64)
    if verb == "rollout" and pos[1:2] == ["status"]:
        kind, _, name = pos[2].partition("/")
        kind = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}[kind]
        obj = cloud.get(cluster, kind, ns or "default", name)
        if obj is None:
            # A chart's workloads are named after the release's fullname (helm create's
            # _helpers.tpl convention, which every chart the stdlib pins follows).
            pending = [c for c in cloud.objects(cluster, "PersistentVolumeClaim", ns or "default")
                       if c.get("pending") and name in c["metadata"]["name"]]
            if pending:
                fail("error: timed out waiting for the condition (%s/%s: pod has unbound PersistentVolumeClaims: %s)"
                     % (kind.lower(), name, pending[0]["pending"]))
            rel = [r for r in cluster["releases"].values() if r["namespace"] == (ns or "default")
                   and (name in CHARTS.get(r["chart"], {}).get("workloads", [])
                        or name.startswith(r["name"]) or name.startswith(r["chart"]))]
            if rel:
                return print('%s "%s" successfully rolled out' % (kind.lower(), name))
            fail('Error from server (NotFound): %ss.apps "%s" not found' % (kind.lower(), name))
        why = pod_ready(cloud, cluster, obj)
        if why:
            fail("error: timed out waiting for the condition (%s/%s: %s)" % (kind.lower(), name, why))
        return print('%s "%s" successfully rolled out' % (kind.lower(), name))
    if verb == "get":
        jp = one(kv, "-o", "--output") or ""
        if pos[1:2] == ["services"] and "--all-namespaces" in kv and "LoadBalancer" in jp:
            for svc in cloud.objects(cluster, "Service"):
                if svc.get("spec", {}).get("type") == "LoadBalancer":
                    print("%s %s" % (svc.setdefault("uid", "uid-%d" % cloud.new_id()), svc.get("address", "")))
            return
        if pos[1:2] == ["persistentvolumes"]:
            for pvc in cloud.objects(cluster, "PersistentVolumeClaim"):
                if pvc.get("volume_name"):
                    print(pvc["volume_name"])
            return
        if pos[1:2] == ["service"]:
            svc = cloud.get(cluster, "Service", ns or "default", pos[2])
            if svc is None:
                fail('Error from server (NotFound): services "%s" not found' % pos[2])
            out = one(kv, "-o", "--output") or ""
            if out.startswith("jsonpath="):
                sys.stdout.write(svc.get("address", ""))
                return
            return print(pos[2])
        if pos[1:2] == ["secret"]:
            for name in pos[2:]:
                if cloud.get(cluster, "Secret", ns or "default", name) is None:
                    fail('Error from server (NotFound): secrets "%s" not found' % name)
            return
        if pos[1:2] in (["clustersecretstore"], ["clustersecretstores.external-secrets.io"]):
            for name in pos[2:]:
                if "ClusterSecretStore" not in cluster["crds"] or cloud.get(cluster, "ClusterSecretStore", "", name) is None:
                    fail('Error from server (NotFound): clustersecretstores.external-secrets.io "%s" not found' % name)
            return
        fail("standin kubectl: unmodelled get %s" % " ".join(pos[1:]), 64)
    if verb == "delete":
        timeout = one(kv, "--timeout")
        if one(kv, "-k", "--kustomize"):
            docs = kustomize(one(kv, "-k", "--kustomize"))
            targets = []
            for d in docs:
                o = cloud.get(cluster, d["kind"], d.get("metadata", {}).get("namespace") or "default", d["metadata"]["name"])
                if o is None and "--ignore-not-found" not in kv:
                    fail('Error from server (NotFound): %s "%s" not found' % (d["kind"].lower(), d["metadata"]["name"]))
                if o is not None:
                    targets.append(o)
        else:
            what = pos[1] if len(pos) > 1 else ""
            kind = {"pvc": "PersistentVolumeClaim", "namespace": "Namespace",
                    "kafkatopics.kafka.strimzi.io": "KafkaTopic", "kafkatopic": "KafkaTopic"}.get(what)
            if kind is None:
                fail("standin kubectl: unmodelled delete %s" % what, 64)
            if kind == "Namespace":
                targets = [o for o in [cloud.get(cluster, "Namespace", "", n) for n in pos[2:]] if o]
                if len(targets) < len(pos[2:]) and "--ignore-not-found" not in kv:
                    fail('Error from server (NotFound): namespaces not found')
            else:
                if kind not in BUILTIN_KINDS and kind not in cluster["crds"]:
                    if "--ignore-not-found" in kv:
                        return
                    fail('error: the server doesn\'t have a resource type "%s"' % what)
                sel = one(kv, "--selector", "-l")
                targets = [o for o in cloud.objects(cluster, kind, ns or "default")
                           if "--all" in kv or selector_matches(o["metadata"].get("labels") or {}, sel)]
        stuck = []
        for o in targets:
            if not cloud.delete_object(cluster, o):
                stuck.append("%s/%s" % (o["kind"].lower(), o["metadata"]["name"]))
        cloud.save()
        if stuck and one(kv, "--wait") != "false":
            fail("error: timed out waiting for the condition on %s (finalizers: nothing removes them)%s"
                 % (", ".join(stuck), "" if timeout else "; no --timeout: kubectl waits forever"))
        return
    fail("standin kubectl: unmodelled command: %s" % " ".join(args), 64)


def kafka_problem(cloud, cluster, kafka):
    """Why Strimzi does not make `kafka` Ready, or None."""
    ns = kafka["metadata"]["namespace"]
    releases = cloud.release_of_chart(cluster, "strimzi-kafka-operator")
    if not releases:
        return "the Strimzi operator is not installed"
    # The operator watches its own namespace unless told otherwise (strimzi 0.48.0 chart
    # values.yaml: watchNamespaces: [], watchAnyNamespace: false).
    rel = releases[0]
    if ns != rel["namespace"] and rel["values"].get("watchAnyNamespace") != "true" and ns not in rel["values"].get("watchNamespaces", ""):
        return "the Strimzi operator in %s does not watch namespace %s" % (rel["namespace"], ns)
    # KRaft clusters need node pools (strimzi.io/docs 0.48: ZooKeeper-based clusters are gone).
    pools = [p for p in cloud.objects(cluster, "KafkaNodePool", ns)
             if (p["metadata"].get("labels") or {}).get("strimzi.io/cluster") == kafka["metadata"]["name"]]
    if not pools:
        return "no KafkaNodePool labelled strimzi.io/cluster=%s" % kafka["metadata"]["name"]
    return None


def certificate_problem(cloud, cluster, cert, trusted=False):
    """Why `cert` is not Ready (or, with `trusted`, not one a client trusts by default), or None."""
    if not cloud.release_of_chart(cluster, "cert-manager"):
        return "cert-manager is not installed"
    ref = cert.get("spec", {}).get("issuerRef", {})
    issuer = (cloud.get(cluster, "ClusterIssuer", "", ref.get("name")) if ref.get("kind", "Issuer") == "ClusterIssuer"
              else cloud.get(cluster, "Issuer", cert["metadata"]["namespace"], ref.get("name")))
    if issuer is None:
        return "issuer %s not found" % ref.get("name")
    spec = issuer.get("spec", {})
    if "acme" in spec:
        if LB_MODE[cluster["provider"]] in ("servicelb", "none"):
            return "ACME HTTP-01: Let's Encrypt cannot reach a local cluster"
        if trusted and "staging" in spec["acme"].get("server", ""):
            return "issued by Let's Encrypt's staging CA, which no client trusts"
    elif trusted:
        return "issued by a self-signed or private CA, which no client trusts by default"
    return None


def curl(cloud, args):
    pos, kv = opts(args, {"--output", "-o", "--max-time", "--write-out", "-w", "--connect-timeout"})
    url = pos[-1] if pos else ""
    m = re.match(r"(https?)://([^/:]+)(?::(\d+))?(/.*)?$", url)
    code = "000"
    if m:
        scheme, host, _port, path = m.group(1), m.group(2), m.group(3), m.group(4) or "/"
        address = resolve(cloud, host)
        if address is None:
            sys.exit(6)  # curl: (6) Could not resolve host
        code = serve(cloud, scheme, host, path, "--insecure" in kv or "-k" in kv, address)
    if one(kv, "--write-out", "-w"):
        sys.stdout.write(code)
    if code == "000":
        sys.exit(7)  # curl: (7) Failed to connect
    if "--fail" in kv and int(code) >= 400:
        sys.exit(22)
    return


def resolve(cloud, host):
    """A host in a DNS domain of the account resolves only through its A record; any other
    name is taken to point where the user made it point ("any")."""
    for domain in cloud.find("doks", "domain"):
        zone = domain["name"]
        if host == zone or host.endswith("." + zone):
            name = "@" if host == zone else host[: -len(zone) - 1]
            for r in domain.get("records", []):
                if r["type"] == "A" and r["name"] == name:
                    return r["data"]
            return None
    return "any"


def serve(cloud, scheme, host, path, insecure, address="any"):
    """The HTTP status an Ingress controller answers `path` on `host` with (000: no connection)."""
    for cluster in cloud.s["clusters"].values():
        # Every rule for the host, across Ingresses; the longest matching prefix wins
        # (networking.k8s.io/v1 Ingress, pathType Prefix).
        routes = []
        for ing in cloud.objects(cluster, "Ingress"):
            for rule in ing.get("spec", {}).get("rules", []):
                if rule.get("host") == host:
                    for p in rule.get("http", {}).get("paths", []):
                        routes.append((ing, p))
        if not routes:
            continue
        lbs = [s for s in cloud.objects(cluster, "Service") if s.get("address") and s["spec"].get("type") == "LoadBalancer"]
        if not lbs:
            return "000"
        if address != "any" and address not in [s["address"] for s in lbs]:
            return "000"  # the record points somewhere else
        matching = [(ing, p) for ing, p in routes if path.startswith(p.get("path", "/"))]
        if not matching:
            return "404"
        ing, p = max(matching, key=lambda r: len(r[1].get("path", "/")))
        if ing["spec"].get("ingressClassName") not in cluster.get("ingress_classes", []):
            return "404"  # no controller serves this class: the running one answers 404
        if scheme == "https" and not insecure:
            tls = [t for t in ing["spec"].get("tls", []) if host in t.get("hosts", [])]
            cert = tls and cloud.get(cluster, "Certificate", ing["metadata"]["namespace"], tls[0].get("secretName"))
            if not cert or certificate_problem(cloud, cluster, cert, trusted=True):
                return "000"  # curl: (60) SSL certificate problem
        svc = p["backend"]["service"]["name"]
        ns = ing["metadata"]["namespace"]
        if cloud.get(cluster, "Service", ns, svc) is None:
            return "503"
        workloads = [w for w in cloud.objects(cluster, ns=ns) if w["kind"] in ("Deployment", "StatefulSet")
                     and w["metadata"]["name"] == svc]
        if workloads and pod_ready(cloud, cluster, workloads[0]):
            return "503"
        return "200"
    return "000"


def eksctl(cloud, args):
    pos, kv = opts(args, {"--name", "--region", "--version", "--nodegroup-name", "--node-type", "--nodes",
                          "--nodes-min", "--nodes-max", "--cluster", "--tags", "--vpc-private-subnets",
                          "--vpc-public-subnets", "--public-access-cidrs"})
    words = " ".join(pos[:2])
    name = one(kv, "--name")
    if words == "get cluster":
        if "eks/" + name not in cloud.s["clusters"]:
            fail('Error: unable to describe cluster control plane: ResourceNotFoundException: No cluster found for name: %s.' % name)
        return print(name)
    if words == "create cluster":
        if "eks/" + name in cloud.s["clusters"]:
            fail("Error: creating CloudFormation stack \"eksctl-%s-cluster\": AlreadyExistsException" % name)
        # eksctl v0.230.0: one CloudFormation stack for the cluster (and its VPC, NAT gateway and
        # Elastic IP), one per node group, tagged alpha.eksctl.io/cluster-name; it writes the
        # kubeconfig. No EBS CSI driver and no default StorageClass (EKS 1.30+).
        subnets = (one(kv, "--vpc-private-subnets") or "").split(",") + (one(kv, "--vpc-public-subnets") or "").split(",")
        known = {r["name"]: r for r in cloud.find("eks", "subnet")}
        for subnet in [x for x in subnets if x]:
            if subnet not in known:
                fail("Error: describing subnets: InvalidSubnetID.NotFound: The subnet ID '%s' does not exist" % subnet)
        if "--node-private-networking" in kv and not one(kv, "--vpc-private-subnets") and [x for x in subnets if x]:
            fail("Error: --node-private-networking needs private subnets")
        # eksctl's default add-ons include metrics-server (known_addons.go, v0.230.0).
        key, c = cloud.new_cluster("eks", name, bundled=["metrics-server"], region=one(kv, "--region"), no_storage_class=True)
        tags = {"alpha.eksctl.io/cluster-name": name}
        # --tags k=v,k2=v2 (pflag StringToString) tags every stack and what it creates.
        for pair in (one(kv, "--tags") or "").split(","):
            if pair:
                if "=" not in pair:
                    fail('Error: invalid argument "%s" for "--tags" flag: %s must be formatted as key=value' % (one(kv, "--tags"), pair))
                tags[pair.split("=", 1)[0]] = pair.split("=", 1)[1]
        cloud.add("eks", "stack", "eksctl-%s-cluster" % name, owned_by_cluster=c["id"], labels=tags)
        cloud.add("eks", "stack", "eksctl-%s-nodegroup-%s" % (name, one(kv, "--nodegroup-name")),
                  owned_by_cluster=c["id"], labels=tags)
        cloud.save_kubeconfig(key)
        return
    if words == "delete cluster":
        key = "eks/" + name
        if key not in cloud.s["clusters"]:
            fail("Error: cluster %s not found" % name)
        # The stacks go; load balancers and volumes the cluster made do not (eksctl deletes the
        # Services of type LoadBalancer it finds first, docs eksctl.io/usage/creating-and-managing-clusters).
        c = cloud.s["clusters"][key]
        for svc in cloud.objects(c, "Service"):
            if svc.get("cloud_lb"):
                cloud.delete_object(c, svc)
        cloud.delete_cluster(key)
        return
    if pos[:2] in (["get", "addon"], ["create", "addon"]):
        c = cloud.s["clusters"].get("eks/" + (one(kv, "--cluster") or ""))
        if not c:
            fail("Error: cluster not found")
        addon = one(kv, "--name")
        if pos[0] == "get":
            if addon not in c.setdefault("addons", []):
                fail('Error: addon %s not found' % addon)
            return print(addon)
        if addon in c.setdefault("addons", []):
            fail('Error: addon %s already exists' % addon)
        c["addons"].append(addon)
        # The driver's controller gets AWS credentials only through the pod identity agent
        # (pod identity association) or IRSA.
        if addon == "aws-ebs-csi-driver":
            c["ebs_csi"] = "--auto-apply-pod-identity-associations" in kv and "eks-pod-identity-agent" in c["addons"]
        return
    if pos[:2] == ["utils", "update-cluster-vpc-config"]:
        c = cloud.s["clusters"].get("eks/" + (one(kv, "--cluster") or ""))
        if not c:
            fail("Error: cluster not found")
        if "--approve" not in kv:
            return print("(plan) no changes applied: add --approve")
        c["public_access_cidrs"] = (one(kv, "--public-access-cidrs") or "").split(",")
        c["private_access"] = one(kv, "--private-access") in (True, "true")
        return
    if words in ("get nodegroup", "create nodegroup"):
        c = cloud.s["clusters"].get("eks/" + (one(kv, "--cluster") or ""))
        if not c:
            fail("Error: cluster not found")
        if pos[0] == "get":
            if one(kv, "--name") not in c.setdefault("pools", []):
                fail("Error: nodegroup not found")
            return
        c.setdefault("pools", []).append(one(kv, "--name"))
        return
    fail("standin eksctl: unmodelled command: %s" % " ".join(args), 64)


def aws(cloud, args):
    pos, kv = opts(args, {"--region", "--query", "--output", "--name", "--filters", "--repository-names",
                          "--repository-name", "--cluster-name", "--addon-name", "--resolve-conflicts",
                          "--configuration-values"})
    words = " ".join(pos[:2])
    query = one(kv, "--query") or ""
    if words == "sts get-caller-identity":
        return print('{"Account": "123456789012"}')
    if words in ("eks update-addon", "eks wait"):
        c = cloud.s["clusters"].get("eks/" + (one(kv, "--cluster-name") or ""))
        if not c:
            fail("An error occurred (ResourceNotFoundException) when calling the UpdateAddon operation: No cluster found", 254)
        if one(kv, "--addon-name") != "vpc-cni":
            fail("An error occurred (ResourceNotFoundException): addon %s not found" % one(kv, "--addon-name"), 254)
        if pos[1] == "update-addon":
            config = json.loads(one(kv, "--configuration-values") or "{}")
            c["network_policy"] = config.get("enableNetworkPolicy") == "true"
            print("InProgress")
        return
    if words == "eks update-kubeconfig":
        if "eks/" + one(kv, "--name") not in cloud.s["clusters"]:
            fail("An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found", 254)
        return cloud.save_kubeconfig("eks/" + one(kv, "--name"))
    if words in ("elbv2 describe-load-balancers", "elb describe-load-balancers"):
        m = re.fullmatch(r"(LoadBalancers|LoadBalancerDescriptions)\[\?DNSName=='([^']*)'\]\.LoadBalancerName", query)
        if not m:
            fail("standin aws: unmodelled query %r" % query, 64)
        names = [r["name"] for r in cloud.find("eks", "load_balancer") if r.get("address") == m.group(2)
                 and (r.get("api", "elb") == "elbv2") == (pos[0] == "elbv2")]
        return print("\t".join(names))
    if words == "ec2 describe-volumes":
        m = re.fullmatch(r"Name=tag:CSIVolumeName,Values=(.+)", one(kv, "--filters") or "")
        if not m or query != "Volumes[].VolumeId":
            fail("standin aws: unmodelled describe-volumes %r %r" % (one(kv, "--filters"), query), 64)
        return print("\t".join(r["name"] for r in cloud.find("eks", "volume") if r.get("pv") in m.group(1).split(",")))
    if words == "cloudformation describe-stacks":
        m = re.fullmatch(r"Stacks\[\?Tags\[\?Key=='alpha\.eksctl\.io/cluster-name' && Value=='([^']*)'\]\]\.StackName", query)
        if not m:
            fail("standin aws: unmodelled query %r" % query, 64)
        return print("\t".join(r["name"] for r in cloud.find("eks", "stack")
                               if r.get("labels", {}).get("alpha.eksctl.io/cluster-name") == m.group(1)))
    fail("standin aws: unmodelled command: %s" % " ".join(args), 64)


def gcloud(cloud, args):
    pos, kv = opts(args, {"--region", "--node-locations", "--cluster-version", "--machine-type", "--num-nodes",
                          "--min-nodes", "--max-nodes", "--filter", "--format", "--cluster", "--location", "--project",
                          "--total-min-nodes", "--total-max-nodes", "--labels", "--maintenance-window-start",
                          "--maintenance-window-end", "--maintenance-window-recurrence", "--master-authorized-networks"})
    words = " ".join(pos[:3])
    if pos[:2] == ["auth", "list"]:
        return print("standin@example.com")
    if pos[:3] == ["config", "get-value", "project"]:
        # CLOUDSDK_CORE_PROJECT overrides the configured core/project (gcloud config --help).
        return print(os.environ.get("CLOUDSDK_CORE_PROJECT") or "standin-project")
    name = pos[3] if len(pos) > 3 else ""
    key = "gke/" + name
    if words == "container clusters describe":
        if key not in cloud.s["clusters"]:
            fail("ERROR: (gcloud.container.clusters.describe) ResponseError: code=404, message=Not found: projects/standin-project/locations/%s/clusters/%s." % (one(kv, "--region"), name))
        return print("name: %s" % name)
    if words == "container clusters create":
        if key in cloud.s["clusters"]:
            fail("ERROR: (gcloud.container.clusters.create) ResponseError: code=409, message=Already exists")
        zones = (one(kv, "--node-locations") or "").split(",")
        for zone in zones:
            if not zone.startswith(one(kv, "--region") + "-"):
                fail("ERROR: (gcloud.container.clusters.create) ResponseError: code=400, message=Node location %s is not in region %s." % (zone, one(kv, "--region")))
        if "--maintenance-window-start" in kv:
            start, end = one(kv, "--maintenance-window-start"), one(kv, "--maintenance-window-end") or ""
            hours = (int(end[8:10]) - int(start[8:10])) * 24 + int(end[11:13]) - int(start[11:13])
            # GKE: at least 48 hours of maintenance in any 32 days; a weekly window occurs 4 times.
            if "FREQ=WEEKLY" in (one(kv, "--maintenance-window-recurrence") or "") and hours * 4 < 48:
                fail("ERROR: (gcloud.container.clusters.create) ResponseError: code=400, message=Maintenance policy would go longer than 32d without 48h maintenance availability.")
        # A NetworkPolicy is enforced only with Dataplane V2 or the network-policy add-on; gcloud
        # counts --num-nodes per zone.
        key, c = cloud.new_cluster("gke", name, bundled=["metrics-server"], region=one(kv, "--region"), nodes=int(one(kv, "--num-nodes") or 3) * len(zones),
                                   project=os.environ.get("CLOUDSDK_CORE_PROJECT") or "standin-project",
                                   labels=dict(p.partition("=")[::2] for p in (one(kv, "--labels") or "").split(",") if p),
                                   network_policy="--enable-dataplane-v2" in kv or "--enable-network-policy" in kv)
        cloud.add("gke", "cluster", name, owned_by_cluster=c["id"])
        cloud.save_kubeconfig(key)
        return
    if words == "container clusters delete":
        if key not in cloud.s["clusters"]:
            fail("ERROR: (gcloud.container.clusters.delete) Not found")
        if "--quiet" not in kv and "-q" not in kv:
            fail("ERROR: (gcloud.container.clusters.delete) This prompt could not be answered because you are not in an interactive session.")
        cloud.delete_cluster(key)  # forwarding rules and PD disks the cluster made stay
        return
    if words == "container clusters get-credentials":
        if key not in cloud.s["clusters"]:
            fail("ERROR: (gcloud.container.clusters.get-credentials) Not found")
        return cloud.save_kubeconfig(key)
    if words in ("container node-pools describe", "container node-pools create"):
        c = cloud.s["clusters"].get("gke/" + (one(kv, "--cluster") or ""))
        if not c:
            fail("ERROR: cluster not found")
        if pos[2] == "describe":
            if name not in c.setdefault("pools", []):
                fail("ERROR: node pool not found")
            return
        c.setdefault("pools", []).append(name)
        return
    if words in ("compute forwarding-rules list", "compute disks list"):
        flt = one(kv, "--filter") or ""
        m = re.fullmatch(r"(IPAddress|name)=(.+)", flt)
        if not m or one(kv, "--format") != "value(name)":
            fail("standin gcloud: unmodelled %s %r" % (words, flt), 64)
        rtype = "load_balancer" if pos[1] == "forwarding-rules" else "volume"
        field = "address" if m.group(1) == "IPAddress" else "name"
        for r in cloud.find("gke", rtype):
            if r.get(field) == m.group(2):
                print(r["name"])
        return
    fail("standin gcloud: unmodelled command: %s" % " ".join(args), 64)


def docker(cloud, args):
    if args[:1] == ["info"]:
        return print("Server Version: 28.0.0")
    if args[:1] == ["ps"]:
        pos, kv = opts(args[1:], {"--filter", "--format"})
        flt = one(kv, "--filter") or ""
        m = re.fullmatch(r"label=([^=]+)=(.*)", flt)
        for r in cloud.s["resources"]:
            if r["type"] == "lb_container" and (not m or r.get("labels", {}).get(m.group(1)) == m.group(2)):
                print(r["name"])
        return
    fail("standin docker: unmodelled command: %s" % " ".join(args), 64)


def cloud_provider_kind(cloud, args):
    """The daemon: from now on kind clusters get load balancers; it runs until killed."""
    cloud.s["ccm_running"] = True
    for cluster in cloud.s["clusters"].values():
        cloud.reconcile(cluster)
    cloud.save()
    fcntl.flock(cloud.lock, fcntl.LOCK_UN)
    os.execv("/bin/sleep", ["sleep", "600"])


TOOLS = {"cloud-provider-kind": cloud_provider_kind, "doctl": doctl, "az": az, "eksctl": eksctl, "aws": aws, "gcloud": gcloud, "hetzner-k3s": hetzner_k3s, "hcloud": hcloud, "k3d": k3d, "kind": kind,
         "gke-gcloud-auth-plugin": lambda cloud, args: fail("standin: the auth plugin is run by kubectl only", 64),
         "helm": helm, "kubectl": kubectl, "curl": curl, "docker": docker}


def main():
    global STDIN
    tool, args = sys.argv[1], sys.argv[2:]
    if any(a == "-" and b in ("-f", "--filename") for b, a in zip(args, args[1:])):
        STDIN = sys.stdin.read()
    cloud = Cloud()
    try:
        result = TOOLS[tool](cloud, args)
    except SystemExit:
        raise
    except Exception as error:  # a model bug must show, not pass
        fail("standin %s crashed on %s: %r" % (tool, args, error), 70)
    cloud.save()
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
