#!/usr/bin/env bash
# examples/kubernetes: every manifest checked offline against the Kubernetes API's schema
# (tools/validate-manifests: kubernetes-models' validators and TypeScript over its types, which
# catch unknown fields; kubectl cannot check without an API server), render-job.sh's output is
# the committed job.yaml and validates for other pods too, and the Job's ckimg arguments, as
# committed, work: run against the kubelet TEST DOUBLE (lib/kubelet_double.py) with the pod's
# paths mapped to this machine's files, they checkpoint, build and push.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
source "$(dirname "$0")/lib/kubelet.sh"
need node

EXAMPLES=$CKIMG_SOURCE_DIR/examples/kubernetes
VALIDATOR=$CKIMG_SOURCE_DIR/tools/validate-manifests
[[ -d $VALIDATOR/node_modules/kubernetes-models ]] ||
    fail "tools/validate-manifests has no node_modules (tools/install-deps runs npm ci there)"
validate() { node "$VALIDATOR/validate.mjs" "$@"; }

step "the committed manifests are valid"
validate "$EXAMPLES"/*.yaml >"$WORK/validate.out" 2>&1 || fail "invalid manifests: $(cat "$WORK/validate.out")"

step "the validator refuses what the API server would: an unknown field, a wrong type"
sed 's/volumeMounts:/volumeMount:/' "$EXAMPLES/job.yaml" >"$WORK/typo.yaml"
! validate "$WORK/typo.yaml" >"$WORK/typo.out" 2>&1 || fail "a misspelt field passed"
grep -q "volumeMount" "$WORK/typo.out" || fail "the typo is not named: $(cat "$WORK/typo.out")"
sed 's/backoffLimit: 0/backoffLimit: none/' "$EXAMPLES/job.yaml" >"$WORK/type.yaml"
! validate "$WORK/type.yaml" >/dev/null 2>&1 || fail "a string for an integer passed"

step "render-job.sh: its output for the example pod is job.yaml"
render=$EXAMPLES/render-job.sh
"$render" default/counters/counter --push registry.example.com/ckpt/counter:v1 --node node-1 \
    >"$WORK/job.yaml" || fail "render-job.sh failed"
diff -u "$EXAMPLES/job.yaml" "$WORK/job.yaml" >&2 || fail "job.yaml is not render-job.sh's output"

step "render-job.sh: other pods, --rm, and the node from kubectl"
mkdir -p "$WORK/bin"
# A TEST STUB of kubectl (no cluster here): answers the one query render-job.sh makes.
cat >"$WORK/bin/kubectl" <<'STUB'
#!/bin/sh
[ "$*" = "get pod -n shop web-7d9f.x1 -o jsonpath={.spec.nodeName}" ] && { echo node-7; exit 0; }
echo "stub kubectl: unexpected: $*" >&2; exit 1
STUB
chmod +x "$WORK/bin/kubectl"
PATH=$WORK/bin:$PATH "$render" shop/web-7d9f.x1/app --push reg.example/shop/web:ckpt --rm \
    >"$WORK/rendered.yaml" || fail "render-job.sh with kubectl failed"
grep -q "nodeName: node-7" "$WORK/rendered.yaml" || fail "the node from kubectl is not used"
grep -q -- "- --rm" "$WORK/rendered.yaml" || fail "--rm is not passed"
grep -q "readOnly: false" "$WORK/rendered.yaml" || fail "--rm needs the directory writable"
validate "$WORK/rendered.yaml" >"$WORK/validate2.out" 2>&1 || fail "rendered job invalid: $(cat "$WORK/validate2.out")"
status=0
"$render" shop/web --push x >/dev/null 2>&1 || status=$?
assert_eq 2 "$status" "render-job.sh with a bad target"

step "the Job's ckimg arguments, as committed, against the kubelet double"
start_registry tls-basic
make_archive "$WORK/counter.tar" 1M
start_kubelet_double --pod default/counters/counter --archive "$WORK/counter.tar"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_HOST" \
    "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)" >"$WORK/auth.json"
# The container's args (the YAML list under "args:"), with the pod's paths mapped to files here:
# what the Job mounts (the service account's CA and token, the Secret, the checkpoints
# directory) and the node's address.
mapfile -t args < <(sed -n '/^ *args:/,/^ *env:/p' "$EXAMPLES/job.yaml" | sed -n 's/^ *- //p')
[[ ${args[0]} == checkpoint ]] || fail "the Job does not run ckimg checkpoint: ${args[*]}"
mapped=()
for arg in "${args[@]}"; do
    case $arg in
    'https://$(HOST_IP):10250') arg=$KUBELET_URL ;;
    /var/run/secrets/kubernetes.io/serviceaccount/ca.crt) arg=$KUBELET_CA ;;
    /etc/ckimg/registry/auth.json) arg=$WORK/auth.json ;;
    registry.example.com/ckpt/counter:v1) arg=$REG_HOST/ckpt/counter:v1 ;;
    esac
    mapped+=("$arg")
done
CKIMG_KUBELET_TOKEN_FILE=$KUBELET_PKI/sa.token "$CKIMG" "${mapped[@]}" \
    --checkpoints-dir "$KUBELET_DIR" --registry-ca-file "$REG_CA" >"$WORK/job.out" 2>"$WORK/job.err" ||
    fail "the Job's command failed: $(cat "$WORK/job.err")"
assert_eq "$(json_get "$WORK/job.out" 'd["digest"]')" "$(reg_manifest_digest ckpt/counter v1)" \
    "the Job's image in the registry"
assert_no_kubelet_secret "$WORK/job.out" "$WORK/job.err"
assert_no_secret "$WORK/job.out" "$WORK/job.err"

echo "test_kubernetes_examples: ok" >&2
