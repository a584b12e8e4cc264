import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One rate-limit counter (`TypeOrmThrottlerStorage`): the same record `@nestjs/throttler`'s
 * in-memory storage keeps per key, so every instance on the database shares it.
 */
@Entity({ name: 'mcp_auth_rate_limits' })
@Index('mcp_auth_rate_limits_expires_at_idx', ['expiresAt'])
export class RateLimitCounterEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_rate_limits_pkey' })
  issuer!: string;

  /** The throttler's key (the module's guard gives a SHA-256 of endpoint and client address). */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'mcp_auth_rate_limits_pkey' })
  key!: string;

  /** When each counted hit leaves the window: a sliding window, at most `limit + 1` long. */
  @Column({ type: 'timestamptz', array: true })
  hits!: Date[];

  @Column({ name: 'window_expires_at', type: 'timestamptz' })
  windowExpiresAt!: Date;

  @Column({ name: 'is_blocked', type: 'boolean' })
  isBlocked!: boolean;

  @Column({ name: 'block_expires_at', type: 'timestamptz', nullable: true })
  blockExpiresAt!: Date | null;

  /** Whether the latest hit was refused (what `increment` answers as `isBlocked`). */
  @Column({ type: 'boolean' })
  refused!: boolean;

  /** When the row stops mattering (no live hit, window or block): the clean-up deletes it. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
