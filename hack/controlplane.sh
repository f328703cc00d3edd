#!/usr/bin/env bash
# Builds kube-apiserver and etcd from their Go modules into bin/k8s, the
# directory that envtest reads through KUBEBUILDER_ASSETS. A binary that is
# already present is kept, so only the first run pays for the build (several
# minutes on a cold module cache).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bin/k8s"
mkdir -p "$out"

build() {
  local name=$1 dir=$2 pkg=$3
  if [[ -x "$out/$name" ]]; then
    return
  fi
  echo "building $name from $pkg (first run only)" >&2
  (cd "$root/hack/tools/$dir" && go build -trimpath -o "$out/$name.tmp" "$pkg")
  mv "$out/$name.tmp" "$out/$name"
}

build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver &
apiserver=$!
build etcd etcd go.etcd.io/etcd/server/v3 &
etcd=$!
wait "$apiserver"
wait "$etcd"
echo "$out"
