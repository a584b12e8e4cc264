import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_used_jtis' })
@Index('mcp_auth_used_jtis_expires_at_idx', ['expiresAt'])
export class UsedJtiEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_used_jtis_pkey' })
  issuer!: string;

  /** SHA-256 of the namespace (`client:<client_id>`, `id-jag:<iss>`) and the `jti`. */
  @PrimaryColumn({
    name: 'jti_hash',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_used_jtis_pkey',
  })
  jtiHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
