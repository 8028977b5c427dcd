// Chaff's optional native addon: the symmetric part of one Sphinx hop in a
// single call, and the AEZ SPRP on AES-NI. Loaded by protocol/crypto/native.ts;
// without it (no compiler, no AES-NI, another CPU) the pure TypeScript path
// runs, byte for byte the same (test/protocol/crypto/native.test.ts and the
// Katzenpost vectors run both).
//
// Why native: a profile of unwrap at the production geometry (docs/sphinx.md
// §Performance) puts two thirds of its time outside the two X25519
// operations: the AEZ payload SPRP in JavaScript (table AES) and eleven
// separate node:crypto calls (HKDF's five HMACs, ChaCha20, SHA-512/256, the
// header HMAC, AES-CTR), each paying for a JavaScript wrapper object. Here
// AEZ runs on AES-NI and the rest is one call into the same OpenSSL that
// node:crypto uses (Node exports its symbols to addons), so an unwrap is
// three native calls: X25519 (libsodium), this hop, blinding (libsodium).
//
// Built by scripts/build-native.ts (npm run build:native): g++/gcc against
// the running Node's headers, nothing downloaded. N-API, so one build serves
// every Node with the same OpenSSL major version.
//
// Specs: AEZ v5 (Hoang, Krovetz, Rogaway, 2017) §1.5 and Appendix B, as in
// protocol/crypto/aez.ts (whose header states the conventions used here);
// the Sphinx KDF and hop as in protocol/sphinx/kdf.ts and packet.ts.

#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define AES_TARGET __attribute__((target("aes,sse2")))

typedef __m128i block;

// ---------------------------------------------------------------------------
// AEZ v5 (τ = 0, no AD, 48-byte key, 16-byte nonce): Encipher / Decipher by
// AEZ-core for messages of at least 32 bytes (Sphinx payloads always are).
// ---------------------------------------------------------------------------

typedef struct {
  block I, J, L;
  block I2;      // 2I
  block J2, J4;  // 2J, 4J
  block Lm[8];   // r·L, r = 0..7
} aez_key;

// 2·X in GF(2^128), X read as a big-endian 128-bit string (AEZ §1.1).
static void dbl_bytes(uint8_t out[16], const uint8_t in[16]) {
  uint8_t carry = in[0] >> 7;
  for (int k = 0; k < 15; k++) out[k] = (uint8_t)((in[k] << 1) | (in[k + 1] >> 7));
  out[15] = (uint8_t)((in[15] << 1) ^ (carry ? 0x87 : 0));
}

AES_TARGET static block load(const uint8_t *p) { return _mm_loadu_si128((const block *)p); }
AES_TARGET static void store(uint8_t *p, block b) { _mm_storeu_si128((block *)p, b); }

AES_TARGET static block dbl(block x) {
  uint8_t b[16];
  store(b, x);
  dbl_bytes(b, b);
  return load(b);
}

AES_TARGET static void aez_setup(aez_key *k, const uint8_t key[48]) {
  k->I = load(key);
  k->J = load(key + 16);
  k->L = load(key + 32);
  k->I2 = dbl(k->I);
  k->J2 = dbl(k->J);
  k->J4 = dbl(k->J2);
  block L1 = k->L, L2 = dbl(L1), L4 = dbl(L2);
  k->Lm[0] = _mm_setzero_si128();
  k->Lm[1] = L1;
  k->Lm[2] = L2;
  k->Lm[3] = _mm_xor_si128(L2, L1);
  k->Lm[4] = L4;
  k->Lm[5] = _mm_xor_si128(L4, L1);
  k->Lm[6] = _mm_xor_si128(L4, L2);
  k->Lm[7] = _mm_xor_si128(k->Lm[6], L1);
}

// AES4 with round keys (J, I, L, 0): four full rounds, no initial AddRoundKey.
AES_TARGET static inline block aes4(const aez_key *k, block x) {
  x = _mm_aesenc_si128(x, k->J);
  x = _mm_aesenc_si128(x, k->I);
  x = _mm_aesenc_si128(x, k->L);
  return _mm_aesenc_si128(x, _mm_setzero_si128());
}

// AES10 with round keys (I, J, L, I, J, L, I, J, L, I).
AES_TARGET static inline block aes10(const aez_key *k, block x) {
  x = _mm_aesenc_si128(x, k->I);
  x = _mm_aesenc_si128(x, k->J);
  x = _mm_aesenc_si128(x, k->L);
  x = _mm_aesenc_si128(x, k->I);
  x = _mm_aesenc_si128(x, k->J);
  x = _mm_aesenc_si128(x, k->L);
  x = _mm_aesenc_si128(x, k->I);
  x = _mm_aesenc_si128(x, k->J);
  x = _mm_aesenc_si128(x, k->L);
  return _mm_aesenc_si128(x, k->I);
}

// The block `s` (a prefix of `len` < 16 bytes) padded as s‖10*.
AES_TARGET static block pad10(const uint8_t *s, size_t len) {
  uint8_t b[16] = {0};
  memcpy(b, s, len);
  b[len] = 0x80;
  return load(b);
}

// Stores the first `len` bytes of `x`.
AES_TARGET static void store_prefix(uint8_t *p, block x, size_t len) {
  uint8_t b[16];
  store(b, x);
  memcpy(p, b, len);
}

// E^{0,i}(X) = AES4(X ⊕ 2^{⌈i/8⌉}I ⊕ (i mod 8)L) for 1 ≤ i ≤ 8 (the central and u/v tweaks).
AES_TARGET static inline block e0(const aez_key *k, int i, block x) { return aes4(k, _mm_xor_si128(x, _mm_xor_si128(k->I2, k->Lm[i & 7]))); }
// E^{-1,i}(X) = AES10(X ⊕ iL) for 1 ≤ i ≤ 7.
AES_TARGET static inline block em1(const aez_key *k, int i, block x) { return aes10(k, _mm_xor_si128(x, k->Lm[i])); }

// Δ = AEZ-hash(K, ([0]_128, N)) for τ = 0 and a 16-byte nonce: E^{3,1}(0^128) ⊕ E^{4,1}(N).
AES_TARGET static block aez_delta(const aez_key *k, const uint8_t nonce[16]) {
  block t1 = _mm_xor_si128(k->I2, k->L);  // 2^{⌈1/8⌉}I ⊕ 1·L
  block j3 = _mm_xor_si128(k->J2, k->J);
  block tau = aes4(k, _mm_xor_si128(j3, t1));
  block n = aes4(k, _mm_xor_si128(load(nonce), _mm_xor_si128(k->J4, t1)));
  return _mm_xor_si128(tau, n);
}

// AEZ-core Encipher (decipher = 0) or Decipher (decipher = 1); n ≥ 32; dst may equal src.
AES_TARGET static void aez_core(const aez_key *k, block delta, const uint8_t *src, uint8_t *dst, size_t n, int decipher) {
  size_t d = n - 32;
  size_t m = d / 32;
  size_t uv = d % 32;
  const uint8_t *muv = src + 32 * m;
  block mx = load(src + n - 32);
  block my = load(src + n - 16);
  uint8_t mu_v[32];
  memcpy(mu_v, muv, uv);

  // First pass: W_i = M_i ⊕ E^{1,i}(M'_i), X_i = M'_i ⊕ E^{0,0}(W_i); W_i, X_i stored in dst.
  block X = _mm_setzero_si128();
  block ipow = k->I;  // 2^{⌈i/8⌉}I, doubled when i passes a multiple of 8
  block j1 = k->J;
  for (size_t i = 1; i <= m; i++) {
    if ((i & 7) == 1) ipow = dbl(ipow);
    const uint8_t *p = src + 32 * (i - 1);
    block mi = load(p), mi2 = load(p + 16);
    block w = _mm_xor_si128(mi, aes4(k, _mm_xor_si128(mi2, _mm_xor_si128(_mm_xor_si128(j1, ipow), k->Lm[i & 7]))));
    block xi = _mm_xor_si128(mi2, aes4(k, _mm_xor_si128(w, k->I)));
    store(dst + 32 * (i - 1), w);
    store(dst + 32 * (i - 1) + 16, xi);
    X = _mm_xor_si128(X, xi);
  }
  if (uv > 0 && uv < 16) {
    X = _mm_xor_si128(X, e0(k, 4, pad10(mu_v, uv)));
  } else if (uv >= 16) {
    X = _mm_xor_si128(X, e0(k, 4, load(mu_v)));
    X = _mm_xor_si128(X, e0(k, 5, pad10(mu_v + 16, uv - 16)));
  }
  // The central Feistel: tweaks 1 to encipher, 2 to decipher (Appendix B), and the other at the end.
  int a = decipher ? 2 : 1, b = decipher ? 1 : 2;
  block sx = _mm_xor_si128(_mm_xor_si128(mx, delta), _mm_xor_si128(X, e0(k, a, my)));
  block sy = _mm_xor_si128(my, em1(k, a, sx));
  block S = _mm_xor_si128(sx, sy);

  // Second pass.
  block Y = _mm_setzero_si128();
  ipow = k->I;
  for (size_t i = 1; i <= m; i++) {
    if ((i & 7) == 1) ipow = dbl(ipow);
    uint8_t *p = dst + 32 * (i - 1);
    block w = load(p), xi = load(p + 16);
    block sp = aes4(k, _mm_xor_si128(S, _mm_xor_si128(_mm_xor_si128(k->J2, ipow), k->Lm[i & 7])));
    block yi = _mm_xor_si128(w, sp);
    block zi = _mm_xor_si128(xi, sp);
    block ci2 = _mm_xor_si128(yi, aes4(k, _mm_xor_si128(zi, k->I)));
    block ci = _mm_xor_si128(zi, aes4(k, _mm_xor_si128(ci2, _mm_xor_si128(_mm_xor_si128(j1, ipow), k->Lm[i & 7]))));
    store(p, ci);
    store(p + 16, ci2);
    Y = _mm_xor_si128(Y, yi);
  }
  uint8_t *cuv = dst + 32 * m;
  if (uv > 0 && uv < 16) {
    block cu = _mm_xor_si128(pad10(mu_v, uv), em1(k, 4, S));  // only the first uv bytes are kept
    store_prefix(cuv, cu, uv);
    Y = _mm_xor_si128(Y, e0(k, 4, pad10(cuv, uv)));
  } else if (uv >= 16) {
    block cu = _mm_xor_si128(load(mu_v), em1(k, 4, S));
    store(cuv, cu);
    block cv = _mm_xor_si128(pad10(mu_v + 16, uv - 16), em1(k, 5, S));
    store_prefix(cuv + 16, cv, uv - 16);
    Y = _mm_xor_si128(Y, e0(k, 4, cu));
    Y = _mm_xor_si128(Y, e0(k, 5, pad10(cuv + 16, uv - 16)));
  }
  block cy = _mm_xor_si128(sx, em1(k, b, sy));
  block cx = _mm_xor_si128(_mm_xor_si128(sy, delta), _mm_xor_si128(Y, e0(k, b, cy)));
  store(dst + n - 32, cx);
  store(dst + n - 16, cy);
  OPENSSL_cleanse(mu_v, sizeof mu_v);
}

AES_TARGET static void aez_sprp(const uint8_t key[48], const uint8_t nonce[16], const uint8_t *src, uint8_t *dst, size_t n, int decipher) {
  aez_key k;
  aez_setup(&k, key);
  block delta = aez_delta(&k, nonce);
  aez_core(&k, delta, src, dst, n, decipher);
  OPENSSL_cleanse(&k, sizeof k);
  OPENSSL_cleanse(&delta, sizeof delta);
}

// ---------------------------------------------------------------------------
// HMAC-SHA256 with the key's inner and outer states computed once.
// ---------------------------------------------------------------------------

typedef struct {
  SHA256_CTX inner, outer;
} hmac_key;

static void hmac_setup(hmac_key *h, const uint8_t *key, size_t len) {
  uint8_t pad[64];
  uint8_t k[64] = {0};
  memcpy(k, key, len);  // len ≤ 64 (Sphinx keys are 32 bytes)
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  SHA256_Init(&h->inner);
  SHA256_Update(&h->inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&h->outer);
  SHA256_Update(&h->outer, pad, 64);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
}

// out = HMAC(key, a ‖ b ‖ c) (b, c may be empty).
static void hmac(const hmac_key *h, const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *c, size_t cl, uint8_t out[32]) {
  SHA256_CTX ctx = h->inner;
  uint8_t inner[32];
  SHA256_Update(&ctx, a, al);
  if (bl) SHA256_Update(&ctx, b, bl);
  if (cl) SHA256_Update(&ctx, c, cl);
  SHA256_Final(inner, &ctx);
  ctx = h->outer;
  SHA256_Update(&ctx, inner, 32);
  SHA256_Final(out, &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  OPENSSL_cleanse(inner, sizeof inner);
}

// ---------------------------------------------------------------------------
// The Sphinx hop (docs/sphinx.md §Unwrap), after the shared secret.
// ---------------------------------------------------------------------------

static const uint8_t KDF_INFO[] = "katzenpost-kdf-v0-hkdf-sha256";
#define KDF_INFO_LEN (sizeof KDF_INFO - 1)
#define OKM_LEN 160  // MAC key 32 ‖ AES key 32 ‖ IV 16 ‖ AEZ key 48 ‖ blinding seed 32

static EVP_MD *sha512_256_md;
static EVP_CIPHER *aes256ctr_cipher;
static EVP_CIPHER *chacha20_cipher;
static int has_aesni;

static int stream_xor(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t iv[16], const uint8_t *in, uint8_t *out, int len) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int outl = 0, ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, cipher, key, iv, NULL) == 1 && EVP_EncryptUpdate(ctx, out, &outl, in, len) == 1 && outl == len;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

// Returns 0 (the hop is valid: outputs written), 1 (header MAC mismatch), or -1 (an OpenSSL failure).
//   secret: X25519 shared secret (32); packet: the whole packet; out: a packet-sized buffer whose
//   β (next hop's routing info) and payload are written here; commands: this hop's perHop bytes;
//   blinding: the blinding factor (32); tag: the replay tag SHA-512/256(α) (32, written in every case).
AES_TARGET static int sphinx_hop(const uint8_t secret[32], const uint8_t *packet, size_t packet_len, size_t routing_len, size_t per_hop, uint8_t *out, uint8_t *commands, uint8_t blinding[32], uint8_t tag[32]) {
  const size_t alpha = 2, beta = 34, mac = beta + routing_len, payload = mac + 32;
  uint8_t okm[OKM_LEN], t[32], zero16[16] = {0}, zero32[32] = {0}, counter;
  hmac_key h;
  int rc = -1;
  unsigned int tag_len = 0;

  if (EVP_Digest(packet + alpha, 32, tag, &tag_len, sha512_256_md, NULL) != 1 || tag_len != 32) return -1;

  // HKDF-Expand(SHA-256, prk = secret, info, 160): T(i) = HMAC(prk, T(i−1) ‖ info ‖ i).
  hmac_setup(&h, secret, 32);
  for (int i = 0; i < OKM_LEN / 32; i++) {
    counter = (uint8_t)(i + 1);
    if (i == 0) hmac(&h, KDF_INFO, KDF_INFO_LEN, &counter, 1, NULL, 0, t);
    else hmac(&h, t, 32, KDF_INFO, KDF_INFO_LEN, &counter, 1, t);
    memcpy(okm + 32 * i, t, 32);
  }
  const uint8_t *mac_key = okm, *aes_key = okm + 32, *iv = okm + 64, *aez_key = okm + 80, *seed = okm + 128;

  // γ = HMAC(MAC key, AD ‖ α ‖ β), compared in constant time.
  hmac_setup(&h, mac_key, 32);
  hmac(&h, packet, mac, NULL, 0, NULL, 0, t);
  if (CRYPTO_memcmp(t, packet + mac, 32) != 0) {
    rc = 1;
    goto done;
  }

  // β ‖ 0^perHop decrypted with AES-256-CTR: this hop's commands, then the next hop's β.
  uint8_t *next_beta = out + beta;
  uint8_t head[512];
  uint8_t *cmd = per_hop <= sizeof head ? head : NULL;
  if (cmd == NULL) goto done;
  // The stream covers routing_len + per_hop bytes: the first per_hop go to `commands`, the rest to out[beta..mac).
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int outl = 0, ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, aes256ctr_cipher, aes_key, iv, NULL) == 1;
  ok = ok && EVP_EncryptUpdate(ctx, cmd, &outl, packet + beta, (int)per_hop) == 1 && (size_t)outl == per_hop;
  ok = ok && EVP_EncryptUpdate(ctx, next_beta, &outl, packet + beta + per_hop, (int)(routing_len - per_hop)) == 1 && (size_t)outl == routing_len - per_hop;
  // The per_hop zero bytes shifted in at the end: key stream only.
  uint8_t tail[512];
  ok = ok && per_hop <= sizeof tail;
  if (ok) {
    memset(tail, 0, per_hop);
    ok = EVP_EncryptUpdate(ctx, next_beta + routing_len - per_hop, &outl, tail, (int)per_hop) == 1 && (size_t)outl == per_hop;
  }
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) goto done;
  memcpy(commands, cmd, per_hop);
  OPENSSL_cleanse(head, per_hop);

  // Blinding factor = the first 32 bytes of ChaCha20(seed, nonce 0).
  if (!stream_xor(chacha20_cipher, seed, zero16, zero32, blinding, 32)) goto done;

  // The payload, one SPRP layer off (AEZ, nonce = the header IV).
  aez_sprp(aez_key, iv, packet + payload, out + payload, packet_len - payload, 1);
  memset(out, 0, 2);  // AD 0x0000
  rc = 0;
done:
  OPENSSL_cleanse(okm, sizeof okm);
  OPENSSL_cleanse(t, sizeof t);
  OPENSSL_cleanse(&h, sizeof h);
  return rc;
}

// ---------------------------------------------------------------------------
// N-API bindings. Arguments are Uint8Arrays; lengths are checked here, the
// caller (protocol/crypto/native.ts) checks the geometry.
// ---------------------------------------------------------------------------

static int bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &buffer, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = (uint8_t *)ptr;
  *len = length;
  return 1;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static napi_value number(napi_env env, int x) {
  napi_value v;
  napi_create_int32(env, x, &v);
  return v;
}

// aezSprp(key48, nonce16, src, dst, decipher): dst = AEZ Encipher/Decipher(src), |src| = |dst| ≥ 32.
static napi_value js_aez_sprp(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *key, *nonce, *src, *dst;
  size_t kl, nl, sl, dl;
  bool decipher;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return fail(env, "aezSprp: 5 arguments");
  if (!bytes(env, argv[0], &key, &kl) || kl != 48 || !bytes(env, argv[1], &nonce, &nl) || nl != 16) return fail(env, "aezSprp: key 48 bytes, nonce 16 bytes");
  if (!bytes(env, argv[2], &src, &sl) || !bytes(env, argv[3], &dst, &dl) || sl != dl || sl < 32) return fail(env, "aezSprp: src and dst of one length ≥ 32");
  if (napi_get_value_bool(env, argv[4], &decipher) != napi_ok) return fail(env, "aezSprp: decipher is a boolean");
  aez_sprp(key, nonce, src, dst, sl, decipher ? 1 : 0);
  return NULL;
}

// sphinxHop(secret32, packet, out, commands, blinding32, tag32, routingLen): 0 valid, 1 MAC mismatch, -1 failure.
static napi_value js_sphinx_hop(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  uint8_t *secret, *packet, *out, *commands, *blinding, *tag;
  size_t sl, pl, ol, cl, bl, tl;
  uint32_t routing_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return fail(env, "sphinxHop: 7 arguments");
  if (!bytes(env, argv[0], &secret, &sl) || sl != 32 || !bytes(env, argv[1], &packet, &pl) || !bytes(env, argv[2], &out, &ol) || ol != pl) return fail(env, "sphinxHop: secret 32 bytes, out as long as packet");
  if (!bytes(env, argv[3], &commands, &cl) || !bytes(env, argv[4], &blinding, &bl) || bl != 32) return fail(env, "sphinxHop: commands, blinding 32 bytes");
  if (!bytes(env, argv[5], &tag, &tl) || tl != 32) return fail(env, "sphinxHop: tag 32 bytes");
  if (napi_get_value_uint32(env, argv[6], &routing_len) != napi_ok) return fail(env, "sphinxHop: routing length");
  if (cl == 0 || cl > 512 || cl > routing_len || (size_t)routing_len + 66 + 32 > pl) return fail(env, "sphinxHop: geometry does not fit the packet");
  return number(env, sphinx_hop(secret, packet, pl, routing_len, cl, out, commands, blinding, tag));
}

static napi_value init(napi_env env, napi_value exports) {
  unsigned int eax, ebx, ecx, edx;
  has_aesni = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_AES) && (edx & bit_SSE2);
  if (sha512_256_md == NULL) sha512_256_md = EVP_MD_fetch(NULL, "SHA512-256", NULL);
  if (aes256ctr_cipher == NULL) aes256ctr_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
  if (chacha20_cipher == NULL) chacha20_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
  napi_value available;
  napi_get_boolean(env, has_aesni && sha512_256_md && aes256ctr_cipher && chacha20_cipher, &available);
  napi_set_named_property(env, exports, "available", available);
  napi_property_descriptor props[] = {
      {"aezSprp", NULL, js_aez_sprp, NULL, NULL, NULL, napi_default, NULL},
      {"sphinxHop", NULL, js_sphinx_hop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
