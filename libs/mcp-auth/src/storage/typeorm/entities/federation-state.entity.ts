import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_federation_states' })
@Index('mcp_auth_federation_states_expires_at_idx', ['expiresAt'])
@Check(
  'mcp_auth_federation_states_purpose_check',
  `"purpose" IN ('authorization', 'connected_apps')`,
)
export class FederationStateEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_federation_states_pkey' })
  issuer!: string;

  @PrimaryColumn({
    name: 'state_hash',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_federation_states_pkey',
  })
  stateHash!: string;

  /** `authorization` or `connected_apps` (migration 1796600700000). */
  @Column({ type: 'text', default: 'authorization' })
  purpose!: string;

  @Column({ name: 'interaction_id_hash', type: 'text' })
  interactionIdHash!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'text', nullable: true })
  nonce!: string | null;

  @Column({ name: 'code_verifier', type: 'text', nullable: true })
  codeVerifier!: string | null;

  @Column({ name: 'browser_binding_hash', type: 'text' })
  browserBindingHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
