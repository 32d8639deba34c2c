#!/usr/bin/env bash
# Prints the Maven flags that choose the images' base images (used by make images and make test).
#
#   IMAGE_BASE=debian    (default) bases built here from Debian's packages by images/build-base.sh
#                        (built once, cached in ~/.cache/bdk/base-images): needs no container
#                        registry, so it works in CI and on air-gapped build hosts.
#   IMAGE_BASE=official  the official images the root pom names (eclipse-temurin:17.0.15_6-jre,
#                        python:3.11.12-slim-bookworm, debian:12.11-slim), pulled by Jib from their registry.
#   JAVA_BASE_IMAGE=REF / PYTHON_BASE_IMAGE=REF / MINIMAL_BASE_IMAGE=REF   any other base (a registry
#                        reference, ideally with @sha256:…, or tar:///path/to/image.tar); overrides
#                        IMAGE_BASE for it. The minimal base is under the Envoy and nats-server images.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${IMAGE_BASE:-debian}" in
  debian)
    java="${JAVA_BASE_IMAGE:-tar://$("$here/build-base.sh" java17 | tail -1)}"
    python="${PYTHON_BASE_IMAGE:-tar://$("$here/build-base.sh" python311 | tail -1)}"
    minimal="${MINIMAL_BASE_IMAGE:-tar://$("$here/build-base.sh" minimal | tail -1)}"
    ;;
  official)
    java="${JAVA_BASE_IMAGE:-}"
    python="${PYTHON_BASE_IMAGE:-}"
    minimal="${MINIMAL_BASE_IMAGE:-}"
    ;;
  *)
    echo "error: IMAGE_BASE must be debian or official; got '${IMAGE_BASE}'" >&2
    exit 2
    ;;
esac
flags=()
[[ -n "$java" ]] && flags+=("-Dbdk.image.java-base=$java")
[[ -n "$python" ]] && flags+=("-Dbdk.image.python-base=$python")
[[ -n "$minimal" ]] && flags+=("-Dbdk.image.minimal-base=$minimal")
echo "${flags[*]:-}"
