import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'mcp_auth_consents' })
export class ConsentEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_consents_pkey' })
  issuer!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_consents_pkey' })
  subject!: string;

  @PrimaryColumn({
    name: 'client_id',
    type: 'text',
    primaryKeyConstraintName: 'mcp_auth_consents_pkey',
  })
  clientId!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
