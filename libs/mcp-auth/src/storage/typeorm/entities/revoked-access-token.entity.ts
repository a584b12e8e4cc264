import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Access tokens are JWTs; revoking one before it expires means remembering its `jti`. */
@Entity({ name: 'mcp_auth_revoked_access_tokens' })
@Index('mcp_auth_revoked_access_tokens_revoked_at_idx', ['issuer', 'revokedAt'])
@Index('mcp_auth_revoked_access_tokens_expires_at_idx', ['expiresAt'])
export class RevokedAccessTokenEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_revoked_access_tokens_pkey' })
  issuer!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_revoked_access_tokens_pkey' })
  jti!: string;

  @Column({ name: 'revoked_at', type: 'timestamptz', default: () => 'now()' })
  revokedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
