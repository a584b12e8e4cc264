/**
 * Longest token accepted anywhere (verification, revocation): far above any token we issue;
 * refuses oversized input before any parsing work.
 */
export const MAX_TOKEN_LENGTH = 8192;
