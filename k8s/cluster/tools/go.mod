// Tiny programs make cluster needs on a machine that pulls from no container registry: the pod
// sandbox ("pause") binary, a small HTTP server for the node's checks, and a packer that writes
// each as an OCI image archive for `ctr -n k8s.io images import`. Standard library only.
module bdk.voyager.io/k8s/cluster/tools

go 1.24.0
