# On top of keyward-proxy: what the admin API's actions need (credentials, agents, revocations,
# signing-key rotation). Given to replicas that serve the admin API (the default in k8s/base), and
# to break-glass CLI use. It cannot delete a credential's history (secret/metadata delete), export
# or delete the Transit key, rotate the KEK (keyward-kek-rotation), or write any audit path.
path "secret/data/keyward/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/keyward/*" {
  capabilities = ["create", "read", "update", "list"]   # update: the disabled flag
}
# Audit paths belong to the instance that writes them. Operators read what `keyward audit verify`
# needs: every instance's witness and public key, never its signing key.
path "secret/data/keyward/audit/*" {
  capabilities = ["deny"]
}
path "secret/metadata/keyward/audit/*" {
  capabilities = ["deny"]
}
path "secret/data/keyward/audit/instances/+/witness" {
  capabilities = ["read"]
}
path "secret/data/keyward/audit/instances/+/public-key" {
  capabilities = ["read"]
}
path "secret/destroy/keyward/credentials/*" {
  capabilities = ["update"]
}
path "transit/encrypt/keyward-kek" {
  capabilities = ["update"]
}
path "transit/decrypt/keyward-kek" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
