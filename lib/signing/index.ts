/** Ed25519 policy signing and HMAC approval signatures (node:crypto; no file access). */
export {
  generateKeyPair,
  parsePublicKey,
  parsePrivateKey,
  sign,
  verify,
  KeyFormatError,
  SIGNATURE_BYTES,
  type KeyPairB64,
  type VerifyResult,
  type VerifyFailure,
} from "./ed25519";
export { hmacSha256, hmacSha256Hex, hmacVerifyHex, constantTimeEqual } from "./hmac";
