import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_clients' })
// Filter + keyset order of ClientStore.list by source (administration).
@Index('mcp_auth_clients_issuer_source_idx', ['issuer', 'source', 'clientId'])
export class ClientEntity {
  /** Every row belongs to one issuer, so several module instances can share a database. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_clients_pkey' })
  issuer!: string;

  @PrimaryColumn({
    name: 'client_id',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_clients_pkey',
  })
  clientId!: string;

  @Column({ name: 'client_secret_hash', type: 'text', nullable: true })
  clientSecretHash!: string | null;

  @Column({ name: 'client_secret_expires_at', type: 'timestamptz', nullable: true })
  clientSecretExpiresAt!: Date | null;

  @Column({ name: 'redirect_uris', type: 'text', array: true })
  redirectUris!: string[];

  @Column({ name: 'token_endpoint_auth_method', type: 'text' })
  tokenEndpointAuthMethod!: string;

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes!: string[];

  @Column({ name: 'response_types', type: 'text', array: true })
  responseTypes!: string[];

  @Column({ name: 'application_type', type: 'text' })
  applicationType!: string;

  @Column({ name: 'client_name', type: 'text', nullable: true })
  clientName!: string | null;

  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  @Column({ type: 'jsonb' })
  metadata!: Record<string, unknown>;

  @Column({ type: 'text' })
  source!: string;

  /** When a metadata-document client's cached document is stale; null for other clients. */
  @Column({ name: 'document_expires_at', type: 'timestamptz', nullable: true })
  documentExpiresAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
