import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_authorization_requests' })
@Index('mcp_auth_authorization_requests_expires_at_idx', ['expiresAt'])
@Index('mcp_auth_authorization_requests_browser_binding_idx', ['issuer', 'browserBindingHash'])
export class AuthorizationRequestEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_authorization_requests_pkey' })
  issuer!: string;

  @PrimaryColumn({
    name: 'id_hash',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_authorization_requests_pkey',
  })
  idHash!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  @Column({ name: 'redirect_uri_provided', type: 'boolean' })
  redirectUriProvided!: boolean;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'text' })
  resource!: string;

  @Column({ type: 'text', nullable: true })
  state!: string | null;

  @Column({ name: 'code_challenge', type: 'text' })
  codeChallenge!: string;

  @Column({ name: 'code_challenge_method', type: 'text' })
  codeChallengeMethod!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  prompt!: string[];

  @Column({ name: 'browser_binding_hash', type: 'text' })
  browserBindingHash!: string;

  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  @Column({ name: 'subject_display_name', type: 'text', nullable: true })
  subjectDisplayName!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
