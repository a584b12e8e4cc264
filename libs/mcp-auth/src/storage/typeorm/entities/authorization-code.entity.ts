import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_authorization_codes' })
@Index('mcp_auth_authorization_codes_grant_id_idx', ['grantId'])
@Index('mcp_auth_authorization_codes_expires_at_idx', ['expiresAt'])
export class AuthorizationCodeEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_authorization_codes_pkey' })
  issuer!: string;

  @PrimaryColumn({
    name: 'code_hash',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_authorization_codes_pkey',
  })
  codeHash!: string;

  @Column({ name: 'grant_id', type: 'uuid' })
  grantId!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  @Column({ name: 'redirect_uri_provided', type: 'boolean' })
  redirectUriProvided!: boolean;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'text' })
  resource!: string;

  @Column({ name: 'code_challenge', type: 'text' })
  codeChallenge!: string;

  @Column({ name: 'code_challenge_method', type: 'text' })
  codeChallengeMethod!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
