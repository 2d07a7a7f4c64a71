/**
 * `useSessions` from the package's `./sessions` entry point. Imported by source path until
 * packages/react/package.json exports `"./sessions"`; then this becomes
 * `export * from '@portcullis/react/sessions';` (nothing else in the demo changes).
 */
export * from '../../../packages/react/src/sessions';
