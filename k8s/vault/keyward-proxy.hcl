# What every Keyward replica needs: read its state, unwrap data keys, keep its own audit trail's
# signing key and witness, keep its own token alive. Nothing else: it cannot write a credential,
# touch another replica's audit paths, or delete any history.
#
# AUTH_JWT_ACCESSOR stands for the accessor of the auth mount the replicas log in with; setup.sh
# puts it in. The entity alias that template names is the pod name (the JWT role's user_claim),
# which is also each replica's audit.instance (its host name): a replica's audit paths are its own.

# Credentials, signing keys, agents and revocations.
path "secret/data/keyward/*" {
  capabilities = ["read"]
}
path "secret/metadata/keyward/*" {
  capabilities = ["read", "list"]
}
# The audit trail (docs/audit.md): every instance's paths are closed to the others...
path "secret/data/keyward/audit/*" {
  capabilities = ["deny"]
}
path "secret/metadata/keyward/audit/*" {
  capabilities = ["deny"]
}
# ...and each instance writes its own. The signing key and its public half are write-once: create
# succeeds only while the path does not exist, so not even the instance can replace them.
path "secret/data/keyward/audit/instances/{{identity.entity.aliases.AUTH_JWT_ACCESSOR.name}}/signing-key" {
  capabilities = ["create", "read"]
}
path "secret/data/keyward/audit/instances/{{identity.entity.aliases.AUTH_JWT_ACCESSOR.name}}/public-key" {
  capabilities = ["create", "read"]
}
path "secret/data/keyward/audit/instances/{{identity.entity.aliases.AUTH_JWT_ACCESSOR.name}}/witness" {
  capabilities = ["create", "read", "update"]
}
# Unwrap data keys; encrypt only seals the instance's audit signing key at its creation. Without
# write access to credentials, encrypting cannot plant a key anywhere.
path "transit/decrypt/keyward-kek" {
  capabilities = ["update"]
}
path "transit/encrypt/keyward-kek" {
  capabilities = ["update"]
}
# The replica's own token: lookup tells an expired token from a denial; revoke at shutdown.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
