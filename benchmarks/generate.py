"""Generate a synthetic Flux GitOps repository with an exact number of YAML documents.

``python benchmarks/generate.py N OUT_DIR [--seed S]`` writes a repository shaped like the real
ones flux-lint is used on (``../shared/corpus``): ``clusters/<name>/`` with the Flux bootstrap
objects and Flux Kustomizations that use ``postBuild.substitute``/``substituteFrom``,
``infrastructure/`` with Helm-installed controllers, ``apps/`` with app bases (HelmReleases with
sizeable ``values``, sources, Deployments, Services, ConfigMaps, SOPS-encrypted Secrets) and
per-cluster overlays whose patches are partial objects, kustomize ``kustomization.yaml`` files,
Helm values files read by ``configMapGenerator``, CI workflows and other YAML that is not
Kubernetes at all. A small share of objects carries a deliberate mistake (a typo in a field name,
an API version Flux removed, a wrong type, a bad enum value) so that the rules have something to
report and the benchmark measures the reporting path as well as the clean one.

The point is to measure flux-lint on input whose *shape* matches real repositories, so the
numbers mean something: many small files, a few multi-document files, objects from 10 to 300
lines. Output depends only on ``N`` and the seed (no clock, no set ordering, no environment), so
two runs compare the same bytes. Every document is valid YAML under both YAML 1.1 and 1.2, which
keeps the document count exact for every parser and lets a bare ruamel parse serve as the floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = ".flux-lint-benchmark"
"""Written into every generated tree; ``--force`` only ever deletes a tree that holds it."""

# --------------------------------------------------------------------------------------------
# A small, deterministic YAML emitter.
#
# Hand-rolled instead of ruamel's dumper for three reasons: the output must not change with the
# installed ruamel version, it must look like what people write (two-space indents, sequences
# indented under their key, literal blocks for embedded files), and every string that YAML 1.1
# or 1.2 would read as something else must be quoted so both kinds of parsers agree.


class Block(str):
    """A multi-line string, written as a literal block scalar (``|`` / ``|-``)."""

    __slots__ = ()


_PLAIN = re.compile(r"(?:\.{1,2}/|[A-Za-z0-9_/$])[-A-Za-z0-9_./${}@:=+ ]*")
_NUMBERISH = re.compile(r"[-+]?[0-9][-+0-9_.:eExXoObBa-fA-F]*")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ""}


def scalar(value: Any) -> str:
    """One scalar as YAML text that both YAML 1.1 and YAML 1.2 read back as ``value``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if (
        _PLAIN.fullmatch(text)
        and not _NUMBERISH.fullmatch(text)
        and text.lower() not in _RESERVED
        and ": " not in text
        and " #" not in text
        and not text.endswith((":", " "))
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _key(key: str) -> str:
    # GitHub Actions' `on:` is written bare in every workflow (YAML 1.1 reads it as `true`).
    return key if key == "on" else scalar(key)


def dump(value: Any, indent: int = 0) -> list[str]:
    """Lines of ``value`` (a dict or list) in block style at ``indent`` spaces."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines.extend(_entry(f"{pad}{_key(key)}:", item, indent))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = dump(item, indent + 2)
                inner[0] = f"{pad}- {inner[0][indent + 2 :]}"
                lines.extend(inner)
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(dump(item, indent + 2))
            else:
                lines.extend(_entry(f"{pad}-", item, indent))
    else:
        lines.append(pad + scalar(value))
    return lines


def _entry(head: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, Block):
        chomp = "" if item.endswith("\n") else "-"
        body = [" " * (indent + 2) + line if line else "" for line in item.splitlines()]
        return [f"{head} |{chomp}", *body]
    if isinstance(item, dict):
        return [f"{head} {{}}"] if not item else [head, *dump(item, indent + 2)]
    if isinstance(item, list):
        return [f"{head} []"] if not item else [head, *dump(item, indent + 2)]
    return [f"{head} {scalar(item)}"]


def document(obj: dict[str, Any], comment: str | None = None) -> str:
    """One YAML document's text (no ``---``), with an optional leading comment line."""
    head = f"# {comment}\n" if comment else ""
    return head + "\n".join(dump(obj)) + "\n"


def join_documents(docs: Iterable[str]) -> str:
    """A multi-document file the way people write them: ``---`` before every document."""
    return "".join(f"---\n{doc}" for doc in docs)


# --------------------------------------------------------------------------------------------
# Vocabulary.

APPS = [
    ("podinfo", "default"), ("grafana", "observability"), ("loki", "observability"),
    ("tempo", "observability"), ("mimir", "observability"), ("gatus", "observability"),
    ("radarr", "media"), ("sonarr", "media"), ("prowlarr", "media"), ("bazarr", "media"),
    ("jellyfin", "media"), ("plex", "media"), ("overseerr", "media"), ("tautulli", "media"),
    ("immich", "media"), ("navidrome", "media"), ("home-assistant", "home"),
    ("zigbee2mqtt", "home"), ("mosquitto", "home"), ("esphome", "home"), ("node-red", "home"),
    ("paperless", "documents"), ("nextcloud", "documents"), ("gitea", "development"),
    ("forgejo", "development"), ("renovate", "development"), ("harbor", "development"),
    ("vaultwarden", "security"), ("authentik", "security"), ("authelia", "security"),
    ("oauth2-proxy", "security"), ("postgres", "database"), ("redis", "database"),
    ("dragonfly", "database"), ("mariadb", "database"), ("minio", "storage"),
    ("volsync", "storage"), ("kopia", "storage"), ("echo-server", "network"),
    ("cloudflared", "network"), ("blocky", "network"), ("unifi", "network"),
    ("miniflux", "tools"), ("linkding", "tools"), ("mealie", "tools"), ("atuin", "tools"),
    ("changedetection", "tools"), ("excalidraw", "tools"), ("it-tools", "tools"),
    ("searxng", "tools"), ("wikijs", "tools"), ("outline", "tools"), ("n8n", "automation"),
    ("windmill", "automation"), ("temporal", "automation"), ("kafka-ui", "data"),
    ("superset", "data"), ("metabase", "data"), ("jupyterhub", "data"), ("airflow", "data"),
]  # fmt: skip

CONTROLLERS = [
    ("cert-manager", "https://charts.jetstack.io", "v1.15.3"),
    ("ingress-nginx", "https://kubernetes.github.io/ingress-nginx", "4.11.2"),
    ("external-dns", "https://kubernetes-sigs.github.io/external-dns", "1.15.0"),
    ("external-secrets", "oci://ghcr.io/external-secrets/charts", "0.10.3"),
    ("kube-prometheus-stack", "oci://ghcr.io/prometheus-community/charts", "62.7.0"),
    ("metrics-server", "https://kubernetes-sigs.github.io/metrics-server", "3.12.1"),
    ("reloader", "oci://ghcr.io/stakater/charts", "1.1.0"),
    ("cilium", "https://helm.cilium.io", "1.16.1"),
    ("rook-ceph", "https://charts.rook.io/release", "v1.15.1"),
    ("longhorn", "https://charts.longhorn.io", "1.7.1"),
    ("velero", "https://vmware-tanzu.github.io/helm-charts", "7.2.1"),
    ("kyverno", "https://kyverno.github.io/kyverno", "3.2.6"),
    ("trivy-operator", "oci://ghcr.io/aquasecurity/helm-charts", "0.24.1"),
    ("cloudnative-pg", "https://cloudnative-pg.github.io/charts", "0.22.0"),
    ("snapshot-controller", "https://piraeus.io/helm-charts", "3.0.6"),
    ("descheduler", "https://kubernetes-sigs.github.io/descheduler", "0.31.0"),
    ("node-feature-discovery", "oci://registry.k8s.io/nfd/charts", "0.16.4"),
    ("spegel", "oci://ghcr.io/spegel-org/helm-charts", "0.0.24"),
    ("coredns", "https://coredns.github.io/helm", "1.33.0"),
    ("envoy-gateway", "oci://docker.io/envoyproxy", "v1.1.1"),
]

CLUSTERS = ["production", "staging", "dev-eu", "dev-us", "edge-1", "edge-2", "lab", "dr"]

WORKFLOWS = ["e2e", "lint", "flux-diff", "renovate", "release", "label-sync", "schemas"]

REMOVED_API = {
    "HelmRelease": "helm.toolkit.fluxcd.io/v2beta1",
    "HelmRepository": "source.toolkit.fluxcd.io/v1beta2",
    "GitRepository": "source.toolkit.fluxcd.io/v1beta1",
    "OCIRepository": "source.toolkit.fluxcd.io/v1beta2",
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1beta2",
}

ERROR_KINDS = ("typo", "removed-api", "bad-type", "bad-enum")
MISTAKE_EVERY = 41
"""About 2.5% of Flux objects carry a mistake: "a few", as in a repository under review."""


# --------------------------------------------------------------------------------------------
# The repository being built.


@dataclass
class Repo:
    """Files (path → document texts) and the budget of documents still to be written."""

    target: int
    rng: random.Random
    files: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # files that are not YAML documents
    count: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    namespaces: set[str] = field(default_factory=set)
    releases: list[tuple[str, str]] = field(default_factory=list)  # HelmReleases (name, ns)
    pending_releases: list[tuple[str, str]] = field(default_factory=list)
    flux_objects: int = 0

    @property
    def remaining(self) -> int:
        return self.target - self.count

    def add(self, path: str, docs: list[str]) -> None:
        assert path not in self.files, path
        self.files[path] = docs
        self.count += len(docs)

    def mistake(self) -> str | None:
        """Which deliberate error (if any) the next Flux object carries: one object in
        ``MISTAKE_EVERY``, the kinds in turn, so even a small repository shows each kind.
        Counted once the bundle holding the object is kept."""
        self.flux_objects += 1
        if self.flux_objects % MISTAKE_EVERY:
            return None
        kind = ERROR_KINDS[(self.flux_objects // MISTAKE_EVERY) % len(ERROR_KINDS)]
        self.pending.append(kind)
        return kind

    def texts(self) -> dict[str, str]:
        out = {path: _file_text(docs) for path, docs in self.files.items()}
        out.update(self.raw)
        return dict(sorted(out.items()))


def _file_text(docs: list[str]) -> str:
    if len(docs) == 1 and not docs[0].startswith("---"):
        return docs[0]
    return join_documents(docs)


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"


def _interval(rng: random.Random) -> str:
    return rng.choice(["1m", "5m", "10m", "15m", "30m", "1h", "12h", "24h"])


def _flux(
    repo: Repo, api_version: str, kind: str, metadata: dict[str, Any], spec: dict[str, Any]
) -> dict[str, Any]:
    """A Flux object, possibly carrying one deliberate mistake."""
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    obj["spec"] = spec
    error = repo.mistake()
    if error == "typo" and "interval" in spec:
        spec["intervall"] = spec.pop("interval")
    elif error == "removed-api" and kind in REMOVED_API:
        obj["apiVersion"] = REMOVED_API[kind]
    elif error == "bad-type":
        if kind == "HelmRelease":
            spec.setdefault("install", {})["remediation"] = {"retries": "3"}
        else:
            spec["suspend"] = "no"
    elif error == "bad-enum":
        if kind == "HelmRepository":
            spec["type"] = "ocii"
        elif kind == "Kustomization":
            spec["deletionPolicy"] = "Delete-All"
        else:
            spec["interval"] = "5 minutes"
    return obj


def _schema_comment(group: str, kind: str, version: str) -> str:
    return (
        "yaml-language-server: $schema=https://k8s-schemas.example.com/"
        f"{group}/{kind.lower()}_{version}.json"
    )


# --------------------------------------------------------------------------------------------
# Clusters.


def cluster_bundle(repo: Repo, cluster: str) -> list[tuple[str, list[str]]]:
    """Bootstrap objects, the Flux Kustomizations that build the cluster, its settings, its
    notifications: the files under ``clusters/<cluster>/``."""
    rng = repo.rng
    base = f"clusters/{cluster}"
    sync = [
        document(
            _flux(
                repo,
                "source.toolkit.fluxcd.io/v1",
                "GitRepository",
                {"name": "flux-system", "namespace": "flux-system"},
                {
                    "interval": "1m0s",
                    "ref": {"branch": "main"},
                    "secretRef": {"name": "flux-system"},
                    "url": "ssh://git@github.com/example/fleet-infra",
                },
            )
        ),
        document(
            _flux(
                repo,
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                {"name": "flux-system", "namespace": "flux-system"},
                {
                    "interval": "10m0s",
                    "path": f"./{base}",
                    "prune": True,
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                },
            )
        ),
    ]
    settings = {
        "CLUSTER_NAME": cluster,
        "CLUSTER_DOMAIN": f"{cluster}.example.com",
        "TIMEZONE": "Europe/Berlin",
        "STORAGE_CLASS": rng.choice(["ceph-block", "longhorn", "local-path"]),
        "INGRESS_CLASS": "nginx",
        "LB_RANGE": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24",
        "REPLICAS": str(rng.randint(1, 3)),
    }
    ks_common = {
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "timeout": "5m",
    }
    infra = [
        document(
            _flux(
                repo,
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                {"name": "infra-controllers", "namespace": "flux-system"},
                {
                    "interval": "1h",
                    "retryInterval": "1m",
                    "path": "./infrastructure/controllers",
                    **ks_common,
                    "wait": True,
                    "postBuild": {"substitute": {k: settings[k] for k in list(settings)[:4]}},
                },
            )
        ),
        document(
            _flux(
                repo,
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                {"name": "infra-configs", "namespace": "flux-system"},
                {
                    "dependsOn": [{"name": "infra-controllers"}],
                    "interval": "1h",
                    "path": "./infrastructure/configs",
                    **ks_common,
                    "postBuild": {
                        "substitute": {"CLUSTER_NAME": cluster},
                        "substituteFrom": [{"kind": "ConfigMap", "name": "cluster-settings"}],
                    },
                },
            )
        ),
    ]
    apps = [
        document(
            _flux(
                repo,
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                {"name": "apps", "namespace": "flux-system"},
                {
                    "dependsOn": [{"name": "infra-configs"}],
                    "interval": "10m",
                    "path": f"./apps/{cluster}",
                    **ks_common,
                    "wait": False,
                    "decryption": {"provider": "sops", "secretRef": {"name": "sops-age"}},
                    "postBuild": {
                        "substituteFrom": [
                            {"kind": "ConfigMap", "name": "cluster-settings"},
                            {"kind": "Secret", "name": "cluster-secrets", "optional": True},
                        ]
                    },
                },
            ),
            _schema_comment("kustomize.toolkit.fluxcd.io", "Kustomization", "v1"),
        )
    ]
    settings_doc = document(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cluster-settings", "namespace": "flux-system"},
            "data": settings,
        }
    )
    secrets_doc = sops_secret(rng, "cluster-secrets", "flux-system", ["SECRET_DOMAIN", "API_TOKEN"])
    notifications = [
        document(
            {
                "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
                "kind": "Provider",
                "metadata": {"name": "slack", "namespace": "flux-system"},
                "spec": {
                    "type": "slack",
                    "channel": f"flux-{cluster}",
                    "secretRef": {"name": "slack-webhook"},
                },
            }
        ),
        document(
            {
                "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
                "kind": "Alert",
                "metadata": {"name": "on-call", "namespace": "flux-system"},
                "spec": {
                    "providerRef": {"name": "slack"},
                    "eventSeverity": "error",
                    "eventSources": [
                        {"kind": "GitRepository", "name": "*"},
                        {"kind": "Kustomization", "name": "*"},
                        {"kind": "HelmRelease", "name": "*", "namespace": "*"},
                    ],
                },
            }
        ),
    ]
    kustomization = kustomize(
        ["gotk-sync.yaml"],
        patches=[
            {
                "patch": Block(
                    "- op: add\n  path: /spec/template/spec/containers/0/args/-\n"
                    "  value: --concurrent=8\n"
                ),
                "target": {"kind": "Deployment", "name": "kustomize-controller"},
            }
        ],
    )
    return [
        (f"{base}/flux-system/gotk-sync.yaml", sync),
        (f"{base}/flux-system/kustomization.yaml", [kustomization]),
        (f"{base}/infrastructure.yaml", infra),
        (f"{base}/apps.yaml", apps),
        (f"{base}/cluster-settings.yaml", [settings_doc]),
        (f"{base}/cluster-secrets.sops.yaml", [secrets_doc]),
        (f"{base}/notifications.yaml", notifications),
    ]


def kustomize(resources: list[str], **extra: Any) -> str:
    """kustomize's own ``kustomization.yaml`` (build configuration, not a Flux object)."""
    obj: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    obj.update({k: v for k, v in extra.items() if v})
    return document(obj, "yaml-language-server: $schema=https://json.schemastore.org/kustomization")


def sops_secret(rng: random.Random, name: str, namespace: str, keys: list[str]) -> str:
    """A Secret as SOPS leaves it: ``ENC[...]`` values and a top-level ``sops:`` block."""

    def enc(label: str) -> str:
        data = _digest(name, label, rng.random())
        return f"ENC[AES256_GCM,data:{data[:24]}=,iv:{data[24:56]}=,tag:{data[56:]}==,type:str]"

    armour = "\n".join(_digest(name, i, rng.random())[:64] for i in range(5))
    return document(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "stringData": {key: enc(key) for key in keys},
            "sops": {
                "kms": [],
                "gcp_kms": [],
                "azure_kv": [],
                "hc_vault": [],
                "age": [
                    {
                        "recipient": "age1" + _digest(name, "recipient")[:58],
                        "enc": Block(
                            "-----BEGIN AGE ENCRYPTED FILE-----\n"
                            f"{armour}\n-----END AGE ENCRYPTED FILE-----\n"
                        ),
                    }
                ],
                "lastmodified": "2024-06-01T12:00:00Z",
                "mac": enc("mac"),
                "pgp": [],
                "encrypted_regex": "^(data|stringData)$",
                "version": "3.9.0",
            },
        }
    )


# --------------------------------------------------------------------------------------------
# Infrastructure controllers.


def controller_values(rng: random.Random, name: str) -> dict[str, Any]:
    """Helm values of the size and nesting real controller charts get."""
    values: dict[str, Any] = {
        "installCRDs": True,
        "replicaCount": rng.randint(1, 3),
        "image": {"repository": f"quay.io/{name}/{name}", "tag": f"v{_version(rng)}"},
        "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9402"},
        "resources": {
            "requests": {"cpu": f"{rng.choice([10, 25, 50, 100])}m", "memory": "64Mi"},
            "limits": {"memory": f"{rng.choice([128, 256, 512])}Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "serviceMonitor": {"enabled": True, "interval": "30s", "labels": {"release": "prom"}},
        "tolerations": [
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
             "effect": "NoSchedule"},
        ],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {
                                "matchLabels": {"app.kubernetes.io/name": name}
                            },
                        },
                    }
                ]
            }
        },
        "extraArgs": [f"--{flag}" for flag in rng.sample(
            ["enable-gateway-api", "v=2", "leader-elect", "metrics-bind-address=:8080",
             "dns01-recursive-nameservers-only", "max-concurrent-reconciles=5"], 3)],
    }  # fmt: skip
    if rng.random() < 0.5:
        values["prometheus"] = {
            "prometheusSpec": {
                "retention": "14d",
                "retentionSize": "45GB",
                "walCompression": True,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": "${STORAGE_CLASS}",
                            "resources": {"requests": {"storage": "50Gi"}},
                        }
                    }
                },
                "additionalScrapeConfigs": [
                    {
                        "job_name": f"node-exporter-{i}",
                        "scrape_interval": "1m",
                        "static_configs": [{"targets": [f"10.0.{i}.{j}:9100" for j in range(3)]}],
                    }
                    for i in range(rng.randint(2, 6))
                ],
            }
        }
    if rng.random() < 0.4:
        values["config"] = Block(
            "".join(
                f"{key}: {value}\n"
                for key, value in (
                    ("log-level", "info"),
                    ("bind-address", "0.0.0.0"),
                    ("proxy-body-size", "64m"),
                    ("use-forwarded-headers", "true"),
                    ("ssl-protocols", "TLSv1.3 TLSv1.2"),
                )
            )
        )
    return values


def controller_bundle(repo: Repo, name: str, url: str, version: str) -> list[tuple[str, list[str]]]:
    """One Helm-installed controller: namespace, chart source, HelmRelease, kustomization."""
    rng = repo.rng
    base = f"infrastructure/controllers/{name}"
    oci = url.startswith("oci://")
    if oci and rng.random() < 0.5:
        source = _flux(
            repo,
            "source.toolkit.fluxcd.io/v1",
            "OCIRepository",
            {"name": name, "namespace": "flux-system"},
            {
                "interval": _interval(rng),
                "layerSelector": {
                    "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                    "operation": "copy",
                },
                "ref": {"tag": version},
                "url": f"{url}/{name}",
            },
        )
        chart: dict[str, Any] = {"chartRef": {"kind": "OCIRepository", "name": name,
                                              "namespace": "flux-system"}}  # fmt: skip
    else:
        spec: dict[str, Any] = {"interval": "24h", "url": url}
        if oci:
            spec["type"] = "oci"
        source = _flux(
            repo,
            "source.toolkit.fluxcd.io/v1",
            "HelmRepository",
            {"name": name, "namespace": "flux-system"},
            spec,
        )
        chart = {
            "chart": {
                "spec": {
                    "chart": name,
                    "version": version,
                    "sourceRef": {"kind": "HelmRepository", "name": name,
                                  "namespace": "flux-system"},
                    "interval": "12h",
                }
            }
        }  # fmt: skip
    release_spec: dict[str, Any] = {
        "interval": _interval(rng),
        "releaseName": name,
        **chart,
        "install": {"crds": "Create", "remediation": {"retries": 3}},
        "upgrade": {"crds": "CreateReplace", "remediation": {"retries": 3}},
        "values": controller_values(rng, name),
    }
    if rng.random() < 0.2:
        release_spec["postRenderers"] = [
            {
                "kustomize": {
                    "patches": [
                        {
                            "target": {"kind": "Deployment"},
                            "patch": Block(
                                "- op: add\n  path: /metadata/annotations/owner\n"
                                "  value: platform\n"
                            ),
                        }
                    ]
                }
            }
        ]
    release = _flux(
        repo,
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        {"name": name, "namespace": name},
        release_spec,
    )
    repo.pending_releases.append((name, name))
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"toolkit.fluxcd.io/tenant": "platform"}},
    }
    return [
        (f"{base}/namespace.yaml", [document(namespace)]),
        (f"{base}/repository.yaml", [document(source)]),
        (
            f"{base}/release.yaml",
            [document(release, _schema_comment("helm.toolkit.fluxcd.io", "HelmRelease", "v2"))],
        ),
        (
            f"{base}/kustomization.yaml",
            [kustomize(["namespace.yaml", "repository.yaml", "release.yaml"])],
        ),
    ]


# --------------------------------------------------------------------------------------------
# Apps.


def app_values(rng: random.Random, app: str, namespace: str) -> dict[str, Any]:
    """bjw-s app-template style values: the largest objects in most home-ops repositories."""
    env = {
        "TZ": "${TIMEZONE}",
        "LOG_LEVEL": rng.choice(["info", "debug", "warn"]),
        f"{app.upper().replace('-', '_')}__PORT": str(rng.choice([80, 3000, 8080, 8096, 9000])),
    }
    for i in range(rng.randint(2, 12)):
        env[f"{app.upper().replace('-', '_')}__OPTION_{i}"] = rng.choice(
            ["true", "false", "enabled", f"value-{i}", "${CLUSTER_DOMAIN}", str(i * 7)]
        )
    port = rng.choice([80, 3000, 8080, 8096, 9000])
    probe = {
        "enabled": True,
        "custom": True,
        "spec": {
            "httpGet": {"path": rng.choice(["/healthz", "/ping", "/api/health"]), "port": port},
            "initialDelaySeconds": 0,
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "failureThreshold": 3,
        },
    }
    values: dict[str, Any] = {
        "controllers": {
            app: {
                "annotations": {"reloader.stakater.com/auto": "true"},
                "pod": {"securityContext": {"runAsUser": 568, "runAsGroup": 568,
                                            "fsGroup": 568,
                                            "fsGroupChangePolicy": "OnRootMismatch"}},
                "containers": {
                    "app": {
                        "image": {
                            "repository": f"ghcr.io/home-operations/{app}",
                            "tag": f"{_version(rng)}@sha256:{_digest(app, rng.random())}",
                        },
                        "env": env,
                        "envFrom": [{"secretRef": {"name": f"{app}-secret"}}],
                        "probes": {"liveness": probe, "readiness": probe,
                                   "startup": {"enabled": False}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": {"cpu": f"{rng.choice([10, 50, 100, 500])}m"},
                            "limits": {"memory": f"{rng.choice([256, 512, 1024, 4096])}Mi"},
                        },
                    }
                },
            }
        },
        "service": {"app": {"controller": app, "ports": {"http": {"port": port}}}},
        "route": {
            "app": {
                "hostnames": [f"{app}.${{CLUSTER_DOMAIN}}"],
                "parentRefs": [{"name": "internal", "namespace": "kube-system",
                                "sectionName": "https"}],
                "rules": [{"backendRefs": [{"name": app, "port": port}]}],
            }
        },
        "persistence": {
            "config": {"existingClaim": app},
            "tmp": {"type": "emptyDir"},
        },
    }  # fmt: skip
    if rng.random() < 0.5:
        values["persistence"]["media"] = {
            "type": "nfs",
            "server": "nas.internal",
            "path": f"/mnt/tank/{namespace}",
            "globalMounts": [{"path": "/media", "readOnly": rng.random() < 0.5}],
        }
    if rng.random() < 0.3:
        values["controllers"][app]["initContainers"] = {
            "init-db": {
                "image": {"repository": "ghcr.io/home-operations/postgres-init", "tag": "17"},
                "envFrom": [{"secretRef": {"name": f"{app}-db-secret"}}],
            }
        }
    if rng.random() < 0.25:
        values["configMaps"] = {
            "config": {
                "data": {
                    "config.yaml": Block(
                        "".join(
                            f"setting_{i}: {rng.choice(['on', 'off', i, 'auto'])}\n"
                            for i in range(rng.randint(5, 25))
                        )
                    )
                }
            }
        }
    return values


def deployment(rng: random.Random, app: str, namespace: str) -> list[str]:
    """A plain Deployment and its Service, in one file, as many repositories keep them."""
    port = rng.choice([8080, 3000, 9090])
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": "${REPLICAS:=1}" if rng.random() < 0.3 else rng.randint(1, 3),
            "revisionHistoryLimit": 3,
            "strategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": app,
                    "containers": [
                        {
                            "name": app,
                            "image": f"ghcr.io/example/{app}:{_version(rng)}",
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["--port", str(port), "--log-format=json"],
                            "ports": [{"name": "http", "containerPort": port,
                                       "protocol": "TCP"}],
                            "env": [{"name": "POD_NAME",
                                     "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                          "limits": {"memory": "256Mi"}},
                            "volumeMounts": [{"name": "config", "mountPath": "/config"}],
                        }
                    ],
                    "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}],
                },
            },
        },
    }  # fmt: skip
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": labels,
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    return [document(deploy), document(service)]


def app_bundle(
    repo: Repo, app: str, namespace: str, clusters: list[str]
) -> list[tuple[str, list[str]]]:
    """One app: base files plus, for some clusters, a values patch in the cluster's overlay.

    Apps share namespaces, so a namespace's manifest comes with the first app that uses it
    (``apps/base/namespaces/``): defining it once per app would be a real duplicate-object
    mistake, not the deliberate kind.
    """
    rng = repo.rng
    base = f"apps/base/{app}"
    files: list[tuple[str, list[str]]] = []
    resources: list[str] = []
    if namespace not in repo.namespaces:
        files.append(
            (
                f"apps/base/namespaces/{namespace}.yaml",
                [document({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": namespace}})],
            )
        )  # fmt: skip
    helm = rng.random() < 0.75
    values_file = helm and rng.random() < 0.5
    if helm:
        if rng.random() < 0.6:
            source = _flux(
                repo,
                "source.toolkit.fluxcd.io/v1",
                "OCIRepository",
                {"name": app, "namespace": namespace},
                {
                    "interval": "15m",
                    "layerSelector": {
                        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "operation": "copy",
                    },
                    "ref": {"tag": "3.5.1"},
                    "url": "oci://ghcr.io/bjw-s/helm/app-template",
                },
            )
            chart: dict[str, Any] = {"chartRef": {"kind": "OCIRepository", "name": app}}
        else:
            source = _flux(
                repo,
                "source.toolkit.fluxcd.io/v1",
                "GitRepository",
                {"name": app, "namespace": namespace},
                {
                    "interval": "30m",
                    "url": f"https://github.com/example/{app}",
                    "ref": {"tag": f"v{_version(rng)}"},
                    "ignore": Block("/*\n!/charts\n"),
                },
            )
            chart = {
                "chart": {
                    "spec": {
                        "chart": f"./charts/{app}",
                        "sourceRef": {"kind": "GitRepository", "name": app},
                        "reconcileStrategy": "Revision",
                    }
                }
            }
        files.append((f"{base}/source.yaml", [document(source)]))
        spec: dict[str, Any] = {
            "interval": _interval(rng),
            **chart,
            "install": {"remediation": {"retries": -1}},
            "upgrade": {"cleanupOnFail": True, "remediation": {"retries": 3,
                                                              "strategy": "rollback"}},
            "values": app_values(rng, app, namespace),
        }  # fmt: skip
        if repo.releases and rng.random() < 0.5:
            name, ns = repo.releases[rng.randrange(min(len(repo.releases), 12))]
            spec["dependsOn"] = [{"name": name, "namespace": ns}]
        if values_file:
            spec["valuesFrom"] = [{"kind": "ConfigMap", "name": f"{app}-values"}]
        files.append(
            (
                f"{base}/helmrelease.yaml",
                [
                    document(
                        _flux(
                            repo,
                            "helm.toolkit.fluxcd.io/v2",
                            "HelmRelease",
                            {"name": app, "namespace": namespace},
                            spec,
                        ),
                        _schema_comment("helm.toolkit.fluxcd.io", "HelmRelease", "v2"),
                    )
                ],
            )
        )
        resources += ["source.yaml", "helmrelease.yaml"]
        repo.pending_releases.append((app, namespace))
    else:
        files.append((f"{base}/deployment.yaml", deployment(rng, app, namespace)))
        resources.append("deployment.yaml")
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{app}-config", "namespace": namespace},
        "data": {
            f"KEY_{i}": rng.choice(["true", "1", "debug", f"{app}-{i}", "${CLUSTER_NAME}"])
            for i in range(rng.randint(3, 15))
        },
    }
    files.append((f"{base}/configmap.yaml", [document(config)]))
    resources.append("configmap.yaml")
    if rng.random() < 0.4:
        keys = [f"{app.upper().replace('-', '_')}_{k}" for k in ("API_KEY", "DB_PASSWORD")]
        files.append((f"{base}/secret.sops.yaml", [sops_secret(rng, f"{app}-secret", namespace,
                                                               keys)]))  # fmt: skip
        resources.append("secret.sops.yaml")
    generators: list[dict[str, Any]] = []
    if values_file:
        values = {
            "fullnameOverride": app,
            "podLabels": {"team": namespace},
            "extraEnv": [{"name": f"EXTRA_{i}", "value": str(i)} for i in range(4)],
        }
        files.append((f"{base}/values.yaml", [document(values)]))
        generators.append({"name": f"{app}-values", "files": ["values.yaml"]})
    files.append(
        (
            f"{base}/kustomization.yaml",
            [
                kustomize(
                    resources,
                    namespace=namespace,
                    configMapGenerator=generators,
                    generatorOptions={"disableNameSuffixHash": True} if generators else None,
                )
            ],
        )
    )
    if helm:
        for cluster in clusters:
            if rng.random() < 0.35:
                patch = {
                    "apiVersion": "helm.toolkit.fluxcd.io/v2",
                    "kind": "HelmRelease",
                    "metadata": {"name": app, "namespace": namespace},
                    "spec": {
                        "values": {
                            "controllers": {app: {"replicas": 2 if cluster == "production"
                                                  else 1}},
                            "route": {"app": {"hostnames": [f"{app}.{cluster}.example.com"]}},
                        }
                    },
                }  # fmt: skip
                files.append((f"apps/{cluster}/{app}-values.yaml", [document(patch)]))
    return files


# --------------------------------------------------------------------------------------------
# YAML that is not Kubernetes.


def workflow(rng: random.Random, name: str) -> str:
    """A GitHub Actions workflow (``on:`` is a boolean key under YAML 1.1, as in real life)."""
    steps: list[dict[str, Any]] = [
        {"name": "Checkout", "uses": "actions/checkout@v4"},
        {"name": "Setup Flux", "uses": "fluxcd/flux2/action@main"},
    ]
    for i in range(rng.randint(2, 6)):
        steps.append(
            {
                "name": f"Step {i}",
                "run": Block(f"flux build kustomization apps --path ./apps/{i}\necho done\n"),
            }
        )
    obj = {
        "name": name,
        "on": {
            "pull_request": {"branches": ["main"], "paths": ["clusters/**", "apps/**"]},
            "push": {"branches": ["main"]},
            "workflow_dispatch": {},
        },
        "permissions": {"contents": "read"},
        "jobs": {
            name: {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 20,
                "strategy": {"matrix": {"kubernetes": ["v1.30.0", "v1.31.0"]}},
                "steps": steps,
            }
        },
    }
    return document(obj)


def misc_files(repo: Repo) -> list[tuple[str, list[str]]]:
    rng = repo.rng
    files = [(f".github/workflows/{name}.yaml", [workflow(rng, name)]) for name in WORKFLOWS]
    files.append(
        (
            ".sops.yaml",
            [
                document(
                    {
                        "creation_rules": [
                            {
                                "path_regex": r".*\.sops\.ya?ml",
                                "encrypted_regex": "^(data|stringData)$",
                                "age": "age1" + _digest("sops")[:58],
                            }
                        ]
                    }
                )
            ],
        )
    )
    files.append(
        (
            ".pre-commit-config.yaml",
            [
                document(
                    {
                        "fail_fast": False,
                        "repos": [
                            {
                                "repo": "https://github.com/adrienverge/yamllint",
                                "rev": "v1.35.1",
                                "hooks": [{"id": "yamllint", "args": ["-c", ".yamllint.yaml"]}],
                            },
                            {
                                "repo": "https://github.com/pre-commit/pre-commit-hooks",
                                "rev": "v4.6.0",
                                "hooks": [{"id": "trailing-whitespace"},
                                          {"id": "end-of-file-fixer"}],
                            },
                        ],
                    }
                )
            ],
        )
    )  # fmt: skip
    return files


def padding(repo: Repo, count: int) -> list[tuple[str, list[str]]]:
    """ConfigMaps that bring the total to exactly N documents, 50 to a file."""
    files: list[tuple[str, list[str]]] = []
    docs = [
        document(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"dashboard-{i}", "namespace": "observability",
                             "labels": {"grafana_dashboard": "1"}},
                "data": {f"panel-{j}.json": json.dumps({"id": j, "type": "graph"})
                         for j in range(repo.rng.randint(1, 4))},
            }
        )
        for i in range(count)
    ]  # fmt: skip
    for start in range(0, count, 50):
        files.append((f"infrastructure/configs/dashboards-{start // 50:04d}.yaml",
                      docs[start : start + 50]))  # fmt: skip
    return files


# --------------------------------------------------------------------------------------------


def generate(n: int, seed: int = 0) -> Repo:
    """Build (in memory) a repository of exactly ``n`` documents.

    Bundles (a cluster, an app, a controller) are added whole while they fit, so every
    reference inside the repository resolves; the last few documents are ConfigMaps, which fill
    any remainder exactly. The kustomization files that list the bundles are written last but
    their documents are reserved first, so they are never squeezed out.
    """
    if n < 0:
        raise ValueError("the number of documents must not be negative")
    repo = Repo(n, random.Random(seed))

    def add_bundle(bundle: list[tuple[str, list[str]]], reserve: int = 0) -> bool:
        size = sum(len(docs) for _, docs in bundle)
        errors, releases = repo.pending, repo.pending_releases
        repo.pending, repo.pending_releases = [], []
        if size + reserve > repo.remaining:
            return False
        for path, docs in bundle:
            repo.add(path, docs)
            if path.startswith("apps/base/namespaces/"):
                repo.namespaces.add(path.rsplit("/", 1)[1].removesuffix(".yaml"))
        for kind in errors:
            repo.errors[kind] = repo.errors.get(kind, 0) + 1
        repo.releases.extend(releases)
        repo.count += reserve
        return True

    clusters: list[str] = []
    for cluster in CLUSTERS[: min(len(CLUSTERS), 2 + n // 20_000)]:
        # One document is kept for the cluster's apps overlay (apps/<cluster>/kustomization.yaml).
        if not add_bundle(cluster_bundle(repo, cluster), reserve=1):
            break
        clusters.append(cluster)
    add_bundle(misc_files(repo))

    infra: list[str] = []
    reserved_infra = add_bundle([], reserve=1)
    reserved_namespaces = add_bundle([], reserve=1)
    step = 0
    while repo.remaining >= 40:
        if step % 9 == 8:  # about one controller for every eight apps, as in the corpus
            k = step // 9
            name, url, version = CONTROLLERS[k % len(CONTROLLERS)]
            name = name if k < len(CONTROLLERS) else f"{name}-{k // len(CONTROLLERS) + 1}"
            if not add_bundle(controller_bundle(repo, name, url, version)):
                break
            infra.append(name)
        else:
            k = step - step // 9
            name, namespace = APPS[k % len(APPS)]
            name = name if k < len(APPS) else f"{name}-{k // len(APPS) + 1}"
            if not add_bundle(app_bundle(repo, name, namespace, clusters)):
                break
        step += 1

    if reserved_infra:
        repo.count -= 1
        if infra:
            repo.add(
                "infrastructure/controllers/kustomization.yaml",
                [kustomize([f"./{name}" for name in infra])],
            )
    if reserved_namespaces:
        repo.count -= 1
        if repo.namespaces:
            repo.add(
                "apps/base/namespaces/kustomization.yaml",
                [kustomize([f"{ns}.yaml" for ns in sorted(repo.namespaces)])],
            )
    apps = sorted({p.split("/")[2] for p in repo.files if p.startswith("apps/base/")})
    for cluster in clusters:
        patches = sorted(
            p.rsplit("/", 1)[1]
            for p in repo.files
            if p.startswith(f"apps/{cluster}/") and p.endswith("-values.yaml")
        )
        repo.count -= 1
        repo.add(
            f"apps/{cluster}/kustomization.yaml",
            [
                kustomize(
                    [f"../base/{app}" for app in apps],
                    patches=[{"path": patch} for patch in patches],
                )
            ],
        )
    for path, docs in padding(repo, repo.remaining):
        repo.add(path, docs)
    repo.raw[MARKER] = f"generated by benchmarks/generate.py: {n} documents, seed {seed}\n"
    repo.raw[".gitignore"] = "*.dec.yaml\n/dist/\n"
    assert repo.count == n, (repo.count, n)
    return repo


def write(repo: Repo, out: Path, *, force: bool = False) -> int:
    """Write the repository under ``out``; returns the number of files written."""
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} is not empty (use --force to replace a generated tree)")
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} was not made by this generator; refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    texts = repo.texts()
    for path, text in texts.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=int, help="number of YAML documents to generate")
    parser.add_argument("out_dir", type=Path, help="where to write the repository")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--force", action="store_true", help="replace OUT_DIR if a previous run generated it"
    )
    args = parser.parse_args(argv)
    if args.documents < 0:
        parser.error("the number of documents must not be negative")
    repo = generate(args.documents, args.seed)
    files = write(repo, args.out_dir, force=args.force)
    mistakes = ", ".join(f"{k} {v}" for k, v in sorted(repo.errors.items())) or "none"
    print(
        f"wrote {repo.count} documents in {files} files to {args.out_dir} "
        f"(seed {args.seed}; deliberate mistakes: {mistakes})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
