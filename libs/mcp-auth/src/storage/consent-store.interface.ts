import { Inject } from '@nestjs/common';

/** Scopes a resource owner has already approved for a client. */
export interface ConsentRecord {
  subject: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** @publicApi */
export interface ConsentStore {
  find(subject: string, clientId: string): Promise<ConsentRecord | null>;
  /** Adds scopes to the remembered consent (union with what was approved before). */
  remember(subject: string, clientId: string, scopes: string[]): Promise<ConsentRecord>;
  forget(subject: string, clientId: string): Promise<boolean>;
}

export const ConsentStore = Symbol('McpAuth:ConsentStore');

/** @publicApi */
export const InjectConsentStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(ConsentStore);
