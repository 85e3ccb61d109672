#!/usr/bin/env bash
# tokens.sh: SoftHSM2 demo tokens ("UKeys") for the development PKI.
#
#   deploy/tokens.sh PKIDIR TOKENDIR
#
# PKIDIR is made by deploy/pki.sh. For every demo organization in
# PKIDIR/orgs.tsv and each of RSA and ECDSA (SoftHSM2 has no SM2) this makes
# one token labelled "<slug>-<alg>" (e.g. buyer-ec) holding the private key
# and its certificate under the same CKA_ID (01) and CKA_LABEL (the token
# label). Everything lives under TOKENDIR: its own SOFTHSM2_CONF
# (TOKENDIR/softhsm2.conf) and token store (TOKENDIR/store); the system's
# SoftHSM2 configuration is never used. Idempotent: existing tokens are kept.
#
# DEVELOPMENT ONLY PINs: user PIN 123456, SO PIN 12345678.
#
# TOKENDIR/tokens.tsv lists: label <TAB> org slug <TAB> alg <TAB> certificate path.
# Prints how to use a demo token on stdout.
set -euo pipefail

pki=${1:-}; dir=${2:-}
if [ -z "$pki" ] || [ -z "$dir" ]; then echo "usage: tokens.sh PKIDIR TOKENDIR" >&2; exit 64; fi
[ -f "$pki/orgs.tsv" ] || { echo "tokens.sh: $pki/orgs.tsv missing (run deploy/pki.sh first)" >&2; exit 1; }
pki=$(cd "$pki" && pwd)

module=${SEALPACT_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[ -f "$module" ] || { echo "tokens.sh: PKCS#11 module $module missing (apt-get install softhsm2)" >&2; exit 1; }
user_pin=123456
so_pin=12345678
id=01

mkdir -p "$dir/store"
dir=$(cd "$dir" && pwd)
chmod 700 "$dir/store"
cat >"$dir/softhsm2.conf" <<EOF
# Made by deploy/tokens.sh: sealpact's development tokens only.
directories.tokendir = $dir/store
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$dir/softhsm2.conf

# complete LABEL: the token exists and holds both its key and its certificate.
# (Output captured first: grep -q under pipefail would SIGPIPE the lister.)
complete() {
  local objs
  objs=$(pkcs11-tool --module "$module" --token-label "$1" --login --pin "$user_pin" -O 2>/dev/null) ||
    return 1
  grep -q '^Private Key Object' <<<"$objs" && grep -q '^Certificate Object' <<<"$objs"
}
has_token() {
  local slots
  slots=$(softhsm2-util --show-slots 2>/dev/null)
  grep -q -E "^ *Label: *$1 *\$" <<<"$slots"
}

: >"$dir/tokens.tsv.tmp"
while IFS=$'\t' read -r slug name code; do
  [ -n "$slug" ] || continue
  for alg in rsa ec; do
    label="$slug-$alg"
    key="$pki/orgs/$slug/$alg.key"
    crt="$pki/orgs/$slug/$alg.crt"
    if [ ! -f "$key" ] || [ ! -f "$crt" ]; then echo "tokens.sh: $key or $crt missing" >&2; exit 1; fi
    if has_token "$label" && ! complete "$label"; then
      # Left half-made by an interrupted run: remake it.
      softhsm2-util --delete-token --token "$label" >/dev/null
    fi
    if ! has_token "$label"; then
      echo "tokens.sh: token $label ($name, $code)" >&2
      softhsm2-util --init-token --free --label "$label" --pin "$user_pin" --so-pin "$so_pin" >/dev/null
      softhsm2-util --import "$key" --token "$label" --label "$label" --id "$id" \
        --pin "$user_pin" >/dev/null
      der=$(mktemp "$dir/crt.XXXXXX")
      openssl x509 -in "$crt" -outform DER -out "$der"
      pkcs11-tool --module "$module" --token-label "$label" --login --pin "$user_pin" \
        --write-object "$der" --type cert --id "$id" --label "$label" >/dev/null
      rm -f "$der"
    fi
    printf '%s\t%s\t%s\t%s\n' "$label" "$slug" "$alg" "$crt" >>"$dir/tokens.tsv.tmp"
  done
done <"$pki/orgs.tsv"
mv "$dir/tokens.tsv.tmp" "$dir/tokens.tsv"

first=$(head -n1 "$dir/tokens.tsv" | cut -f1)
cat <<EOF
SoftHSM2 demo tokens (development only) in $dir:
$(cut -f1 "$dir/tokens.tsv" | sed 's/^/  /')
  user PIN $user_pin, SO PIN $so_pin; key and certificate share CKA_ID $id and the token's label.
Use one:
  export SOFTHSM2_CONF=$dir/softhsm2.conf
  pkcs11-tool --module $module --token-label $first --login --pin $user_pin -O
Log in with it (SOFTHSM2_CONF exported as above, SEALPACT_SERVER and SEALPACT_CACERT
naming the server and its CA — deploy/run.sh writes all of them to var/env.sh; the PIN
is asked without echo, or comes from SEALPACT_PIN or --pin-file):
  sealpact login --module $module --token $first --key-id $id
SM2 keys have no token (SoftHSM2 lacks SM2): log in with the PEM key, e.g.
  sealpact login --key $pki/orgs/$(head -n1 "$pki/orgs.tsv" | cut -f1)/sm2.key --cert $pki/orgs/$(head -n1 "$pki/orgs.tsv" | cut -f1)/sm2.crt
EOF
