#!/usr/bin/env bash
# build-apiserver.sh builds kube-apiserver v1.37.2 from the Go module proxy,
# through the tools module k8s/tools/apiserver, and caches the binary. It
# prints the binary's path. A cached binary is reused; delete it to rebuild.
#
# Cache: ${E2ETLS_KUBE_APISERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/e2etls/kube-apiserver-v1.37.2}
# The build takes about 8 minutes on 2 cores.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=v1.37.2
out=${E2ETLS_KUBE_APISERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/e2etls/kube-apiserver-$version}

if [[ -x $out ]] && "$out" --version >/dev/null 2>&1; then
	echo "$out"
	exit 0
fi

mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
cd "$here/../tools/apiserver"
# -trimpath and no VCS stamping: the binary depends on the module versions only.
CGO_ENABLED=0 go build -trimpath -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
"$tmp" --version >&2
mv "$tmp" "$out"
echo "$out"
