#!/usr/bin/env bash
# Vault's side of k8s/base: secrets engines, the two policies, and the Kubernetes auth role the
# keyward service account logs in with (projected token, audience "vault").
# Run once with a Vault token allowed to configure Vault (VAULT_ADDR and VAULT_TOKEN set).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

vault secrets list -format=json | grep -q '"secret/"' || vault secrets enable -path=secret kv-v2
vault secrets list -format=json | grep -q '"transit/"' || vault secrets enable transit
vault read transit/keys/keyward-kek >/dev/null 2>&1 \
  || vault write -f transit/keys/keyward-kek type=aes256-gcm96   # not exportable, not deletable

vault policy write keyward-proxy "$here/keyward-proxy.hcl"
vault policy write keyward-operator "$here/keyward-operator.hcl"

vault auth list -format=json | grep -q '"kubernetes/"' || vault auth enable kubernetes
vault write auth/kubernetes/config kubernetes_host="${KUBERNETES_HOST:?set KUBERNETES_HOST}"
# The replicas serve the admin API, so they hold both policies. A deployment with the admin API
# off (admin.enabled: false) binds keyward-proxy only.
vault write auth/kubernetes/role/keyward \
    bound_service_account_names=keyward bound_service_account_namespaces=keyward \
    audience=vault token_policies=keyward-proxy,keyward-operator token_ttl=1h token_max_ttl=24h
