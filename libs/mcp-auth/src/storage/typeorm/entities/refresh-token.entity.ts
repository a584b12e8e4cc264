import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { GrantEntity } from './grant.entity';

@Entity({ name: 'mcp_auth_refresh_tokens' })
@Index('mcp_auth_refresh_tokens_grant_id_idx', ['grantId'])
@Index('mcp_auth_refresh_tokens_expires_at_idx', ['expiresAt'])
export class RefreshTokenEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_refresh_tokens_pkey' })
  issuer!: string;

  @PrimaryColumn({
    name: 'token_hash',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_refresh_tokens_pkey',
  })
  tokenHash!: string;

  @Column({ name: 'grant_id', type: 'uuid' })
  grantId!: string;

  @ManyToOne(() => GrantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'grant_id',
    foreignKeyConstraintName: 'mcp_auth_refresh_tokens_grant_id_fkey',
  })
  grant?: GrantEntity;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'text' })
  resource!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;
}
