import { Inject } from '@nestjs/common';

/** A signing key pair. The private half never leaves the store except to the signer. */
export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  /** Public JWK, as published in the JWKS. */
  publicJwk: Record<string, unknown>;
  /** Private JWK serialized as JSON (or a JWE of it when a key-encryption secret is set). */
  privateKey: string;
  createdAt: Date;
  /** After this the key no longer signs; it still verifies until `expiresAt`. */
  retiresAt: Date | null;
  /** After this the key is no longer published and can be deleted. */
  expiresAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'createdAt'>;

/** @publicApi */
export interface SigningKeyStore {
  create(key: NewSigningKey): Promise<SigningKeyRecord>;
  /** Every key that can still verify a token (not past `expiresAt`), newest first. */
  listUsable(): Promise<SigningKeyRecord[]>;
  /** Schedules a key's retirement (stop signing) and removal from the JWKS. */
  retire(kid: string, retiresAt: Date, expiresAt: Date): Promise<boolean>;
}

export const SigningKeyStore = Symbol('McpAuth:SigningKeyStore');

/** @publicApi */
export const InjectSigningKeyStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(SigningKeyStore);
