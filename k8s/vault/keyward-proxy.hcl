# What every Keyward replica needs: read its state, unwrap data keys, write its audit witness,
# keep its own token alive. Nothing else: it cannot write a credential or delete any history.

# Credentials, signing keys, agents and revocations.
path "secret/data/keyward/*" {
  capabilities = ["read"]
}
path "secret/metadata/keyward/*" {
  capabilities = ["read", "list"]
}
# The audit trail's checkpoint witness (one per replica) and its signing key, created on first
# start (docs/audit.md).
path "secret/data/keyward/audit/*" {
  capabilities = ["create", "read", "update"]
}
# Unwrap data keys; encrypt only seals the audit signing key at its creation. Without write access
# to credentials, encrypting cannot plant a key anywhere.
path "transit/decrypt/keyward-kek" {
  capabilities = ["update"]
}
path "transit/encrypt/keyward-kek" {
  capabilities = ["update"]
}
# The replica's own token.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
