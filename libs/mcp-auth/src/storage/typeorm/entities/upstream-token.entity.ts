import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { GrantEntity } from './grant.entity';

@Entity({ name: 'mcp_auth_upstream_tokens' })
export class UpstreamTokenEntity {
  /** The grant (mcp_auth_grants.id) the tokens belong to; deleted with it. */
  @PrimaryColumn({
    name: 'grant_id',
    type: 'uuid',
    primaryKeyConstraintName: 'mcp_auth_upstream_tokens_pkey',
  })
  grantId!: string;

  @OneToOne(() => GrantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'grant_id',
    foreignKeyConstraintName: 'mcp_auth_upstream_tokens_grant_id_fkey',
  })
  grant?: GrantEntity;

  @Column({ type: 'text' })
  issuer!: string;

  @Column({ type: 'text' })
  provider!: string;

  /** AES-256-GCM compact JWE of the token set: never plain text. */
  @Column({ type: 'text' })
  sealed!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
