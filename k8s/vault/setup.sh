#!/usr/bin/env bash
# Vault's side of k8s/base: secrets engines, the policies, and the JWT auth role each replica logs
# in with (its pod's projected service-account token, audience "vault").
# Run once with a Vault token allowed to configure Vault (VAULT_ADDR and VAULT_TOKEN set), and
# KUBERNETES_ISSUER / KUBERNETES_CA naming the cluster's service-account issuer and its CA file.
#
# Why JWT auth rather than Kubernetes auth: both take the same login ({role, jwt}), but only the
# JWT method can name each pod (user_claim below), and keyward-proxy.hcl gives every replica the
# audit paths of its own pod name and no others. Kubernetes auth names the service account, which
# all replicas share.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

vault secrets list -format=json | grep -q '"secret/"' || vault secrets enable -path=secret kv-v2
vault secrets list -format=json | grep -q '"transit/"' || vault secrets enable transit
vault read transit/keys/keyward-kek >/dev/null 2>&1 \
  || vault write -f transit/keys/keyward-kek type=aes256-gcm96   # not exportable, not deletable

vault auth list -format=json | grep -q '"jwt/"' || vault auth enable jwt
vault write auth/jwt/config oidc_discovery_url="${KUBERNETES_ISSUER:?set KUBERNETES_ISSUER}" \
    oidc_discovery_ca_pem=@"${KUBERNETES_CA:?set KUBERNETES_CA}"

# The policies template the pod name through the JWT mount's accessor (Vault 1.10+).
accessor="$(vault read -field=accessor sys/auth/jwt)"
for policy in keyward-proxy keyward-operator keyward-kek-rotation; do
  sed "s/AUTH_JWT_ACCESSOR/$accessor/g" "$here/$policy.hcl" | vault policy write "$policy" -
done

# The replicas serve the admin API, so they hold keyward-proxy and keyward-operator. A deployment
# with the admin API off (admin.enabled: false) binds keyward-proxy only. keyward-kek-rotation is
# for the operator who runs `keyward kek rotate`, never for a replica.
vault write auth/jwt/role/keyward role_type=jwt \
    bound_audiences=vault bound_subject=system:serviceaccount:keyward:keyward \
    user_claim=/kubernetes.io/pod/name user_claim_json_pointer=true \
    token_policies=keyward-proxy,keyward-operator token_ttl=1h token_max_ttl=24h
