/** The module options of what runs at start and in the background: migrations and clean-up. */
export interface LifecycleOptions {
  /** Run the module's migrations when the application starts. Default false. */
  migrationsRun?: boolean;
  /** Seconds between clean-ups of expired rows; 0 disables it. Default 300. */
  cleanupInterval?: number;
}

/** Problems with `migrationsRun` and `cleanupInterval`, worded like the module's other option errors. */
export function validateLifecycleOptions(options: LifecycleOptions): string[] {
  if (options.cleanupInterval !== undefined && !(options.cleanupInterval >= 0)) {
    return ['cleanupInterval must be 0 (off) or a positive number of seconds'];
  }
  return [];
}
