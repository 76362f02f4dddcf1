# On top of keyward-operator, for `keyward kek rotate` only (break-glass; never given to replicas):
# a new KEK version, and every audit signing key re-wrapped under it. Re-wrapping writes a new
# version of the wrapped key; it cannot change the key, whose public half is write-once and is
# checked against it at every start (docs/audit.md).
path "transit/keys/keyward-kek/rotate" {
  capabilities = ["update"]
}
path "secret/data/keyward/audit/instances/+/signing-key" {
  capabilities = ["read", "update"]
}
path "secret/metadata/keyward/audit/instances/*" {
  capabilities = ["list"]
}
