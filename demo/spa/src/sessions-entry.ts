/** `useSessions` from the package's `./sessions` entry point (kept out of the core bundle). */
export * from '@portcullis/react/sessions';
