# On top of keyward-proxy: what operators' actions need (credentials, agents, revocations,
# signing-key and KEK rotation). Given to replicas that serve the admin API (the default in
# k8s/base), and to break-glass CLI use. It cannot delete a credential's history
# (secret/metadata delete), nor export or delete the Transit key.
path "secret/data/keyward/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/keyward/*" {
  capabilities = ["create", "read", "update", "list"]   # update: the disabled flag
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
path "transit/keys/keyward-kek/rotate" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
