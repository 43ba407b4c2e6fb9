#!/usr/bin/env bash
# Prints the Job that checkpoints one container with ckimg on the node its pod runs on and
# pushes the image: kubectl apply -f <(render-job.sh default/counters/counter --push REF).
#
#   render-job.sh NAMESPACE/POD/CONTAINER --push REF [--node NODE] [--image CKIMG_IMAGE] [--rm]
#
# --node: the pod's node (default: asked with `kubectl get pod -o jsonpath={.spec.nodeName}`).
# --image: the ckimg image built from examples/kubernetes/Containerfile.
# --rm: mount the checkpoints directory writable and remove the archive once pushed.
# Needs rbac.yaml and registry-secret.yaml applied. job.yaml is this script's output for the
# example pod (tests/e2e/test_kubernetes_examples.sh checks that they agree).
set -euo pipefail

usage() {
    echo "usage: $0 NAMESPACE/POD/CONTAINER --push REF [--node NODE] [--image IMAGE] [--rm]" >&2
    exit 2
}

target=${1:-}
[[ $target =~ ^([a-z0-9][-a-z0-9]*)/([a-z0-9][-a-z0-9.]*)/([a-z0-9][-a-z0-9]*)$ ]] || usage
namespace=${BASH_REMATCH[1]} pod=${BASH_REMATCH[2]} container=${BASH_REMATCH[3]}
shift
push="" node="" image=registry.example.com/tools/ckimg:0.1.0 remove=false
while (($#)); do
    case $1 in
    --push) push=${2:?}; shift 2 ;;
    --node) node=${2:?}; shift 2 ;;
    --image) image=${2:?}; shift 2 ;;
    --rm) remove=true; shift ;;
    *) usage ;;
    esac
done
[[ -n $push ]] || usage
if [[ -z $node ]]; then
    node=$(kubectl get pod -n "$namespace" "$pod" -o jsonpath='{.spec.nodeName}')
    [[ -n $node ]] || { echo "$0: pod $namespace/$pod is not scheduled on a node" >&2; exit 1; }
fi

# A Job name is at most 63 characters: a prefix of the pod and container, and a hash of all.
hash=$(printf '%s' "$target" | sha256sum | cut -c1-8)
name=$(printf 'ckpt-%s-%s' "$pod" "$container" | cut -c1-45 | sed 's/[-.]*$//')-$hash
read_only=true rm_arg=""
if [[ $remove == true ]]; then read_only=false rm_arg='
            - --rm'; fi

cat <<YAML
# Rendered by examples/kubernetes/render-job.sh $target --push $push --node $node
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
  namespace: ckimg
  labels:
    app.kubernetes.io/name: ckimg
    app.kubernetes.io/component: checkpoint
spec:
  # A checkpoint is not retried blindly: each try pauses the container.
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ckimg
        app.kubernetes.io/component: checkpoint
    spec:
      serviceAccountName: ckimg
      # The kubelet writes the archive on its own node: ckimg must run there to read it.
      nodeName: $node
      restartPolicy: Never
      containers:
        - name: ckimg
          image: $image
          args:
            - checkpoint
            - $target
            - --kubelet
            - https://\$(HOST_IP):10250
            # The kubelet's serving certificate, when the cluster CA signs it (serverTLSBootstrap,
            # EKS, GKE). With kubeadm's default self-signed one: the node's kubelet CA from a
            # ConfigMap, or --kubelet-insecure-tls (then a token could reach an impostor).
            - --ca-file
            - /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
            - --push
            - $push
            - --authfile
            - /etc/ckimg/registry/auth.json
            - --json$rm_arg
          env:
            - name: HOST_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.hostIP
          # The service account token (mounted by default) authenticates ckimg to the kubelet.
          securityContext:
            # Runtimes write archives root-owned, mode 0600; no capability is needed to read them.
            runAsUser: 0
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            requests:
              cpu: 500m
              memory: 128Mi
            limits:
              memory: 512Mi
          volumeMounts:
            - name: checkpoints
              mountPath: /var/lib/kubelet/checkpoints
              readOnly: $read_only
            - name: registry
              mountPath: /etc/ckimg/registry
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: checkpoints
          hostPath:
            path: /var/lib/kubelet/checkpoints
            type: Directory
        - name: registry
          secret:
            secretName: ckimg-registry
        - name: tmp
          emptyDir: {}
YAML
